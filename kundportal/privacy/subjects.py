"""What the apps' `personal_data` modules share: whose data a subject covers, JSON-safe rows, and scrubbing a
person's identifiers out of text that stays (records kept by law, other people's notifications).

Who is the person, and who is the organisation (decided once, here, for every app):

- A company's own data (its name, VAT number, its documents and orders) is not personal data of its members.
  Exporting or erasing a member touches only what is tied to them (their account, what they wrote or uploaded,
  their consents) and scrubs their name and email from the company's records where they appear verbatim.
- A private customer's organisation *is* the person: its name, profile, addresses, payment methods, orders and
  documents are their personal data. A person's export includes every private customer they belong to; their
  erasure erases the private customers where they are the only member (privacy.erasure).
- Erasing an organisation (a customer admin for theirs, or a provider admin) erases all of its data except the
  records kept by law (orders, their lines and invoices), which stay under a neutral pseudonym.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import models

from kundportal.privacy.registry import Subject

if TYPE_CHECKING:
    from kundportal.accounts.models import User
    from kundportal.organisations.models import Organisation

# Stored in place of an erased name or address: data, not interface text, so not translated.
ERASED_PERSON = "Erased person"
ERASED_ORGANISATION = "Erased customer"


def erased_organisation_name(organisation: Organisation) -> str:
    return f"{ERASED_ORGANISATION} {organisation.pk.hex[:8]}"


def exported_organisations(subject: Subject) -> models.QuerySet[Organisation]:
    """Organisations whose own data is the subject's personal data (see the module docstring)."""
    from kundportal.organisations.models import Organisation, OrganisationKind

    if subject.organisation is not None:
        return Organisation.objects.filter(pk=subject.organisation.pk)
    if subject.user is not None:
        return Organisation.objects.filter(
            kind=OrganisationKind.PRIVATE, memberships__user=subject.user
        ).distinct()
    return Organisation.objects.none()


# ------------------------------------------------------------------------------------------------------
# JSON-safe rows
# ------------------------------------------------------------------------------------------------------


def json_safe(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return None  # keys and ciphertexts are never exported
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def rows(queryset: models.QuerySet[Any], *fields: str, **expressions: Any) -> Iterator[dict[str, Any]]:
    """`queryset.values(*fields)` as JSON-safe dicts, read in chunks (an export never holds a table)."""
    for row in queryset.values(*fields, **expressions).iterator(chunk_size=500):
        yield {key: json_safe(value) for key, value in row.items()}


# ------------------------------------------------------------------------------------------------------
# Scrubbing identifiers out of what stays
# ------------------------------------------------------------------------------------------------------


def identifiers(user: User) -> list[str]:
    """What names the person in free text: their email address and (if long enough to be one) their name."""
    found = [user.email]
    if len(user.full_name.strip()) >= 4:
        found.append(user.full_name.strip())
    return [value for value in found if value]


def _pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    needles = sorted({needle for needle in needles if needle}, key=len, reverse=True)
    if not needles:
        return None
    return re.compile("|".join(re.escape(needle) for needle in needles), re.IGNORECASE)


def scrub(text: str, needles: Iterable[str]) -> str:
    pattern = _pattern(needles)
    return pattern.sub(ERASED_PERSON, text) if pattern and text else text


def scrub_json(value: Any, needles: Iterable[str]) -> Any:
    needles = list(needles)
    if isinstance(value, str):
        return scrub(value, needles)
    if isinstance(value, dict):
        return {key: scrub_json(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub_json(item, needles) for item in value]
    return value


def contains_any(text: str, needles: Iterable[str]) -> bool:
    pattern = _pattern(needles)
    return bool(pattern and text and pattern.search(text))


def text_mentions(field: str, needles: Iterable[str]) -> models.Q:
    """A filter for rows whose `field` contains any of the needles (case-insensitive)."""
    query = models.Q(pk__in=[])
    for needle in needles:
        if needle:
            query |= models.Q(**{f"{field}__icontains": needle})
    return query
