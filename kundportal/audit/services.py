from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.utils import timezone

from kundportal.audit.chain import seal_after_commit
from kundportal.audit.models import Action, AuditEvent
from kundportal.core.bulk import insert_objects

if TYPE_CHECKING:
    from kundportal.accounts.models import User
    from kundportal.organisations.models import Organisation


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (behind a trusted proxy, the proxy sets REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def new_event(
    action: Action,
    *,
    actor: Any = None,
    organisation: Any = None,
    organisation_id: Any = None,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
    **data: Any,
) -> AuditEvent:
    """An event not yet saved: `record_event` saves one, `record_events` many at once."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.email if actor else ""),
        organisation_id=organisation_id if organisation is None else organisation.pk,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:254] if target is not None else "",
        ip=client_ip(request),
        data=data,
    )


def record_event(action: Action, **fields: Any) -> AuditEvent:
    """Write one event; it is sealed into the chain once the surrounding transaction commits (audit.chain)."""
    event = new_event(action, **fields)
    event.save(force_insert=True)
    seal_after_commit()
    return event


def record_events(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Many events at once: one action that touches thousands of customers writes one row for each (so each
    customer's own history shows it) in a few statements (core.bulk: an import of 10,000 new customers
    writes 10,000 events)."""
    events = list(events)
    insert_objects(AuditEvent, events)
    if events:
        seal_after_commit()
    return events


# ----------------------------------------------------------------------------------------------------
# Redaction for erasure (called by the privacy app's erasure)
# ----------------------------------------------------------------------------------------------------

PERSONAL_FIELDS = ("actor_label", "target_label", "ip", "data")


@transaction.atomic
def redact_events(events: models.QuerySet[AuditEvent], *, reason: str) -> int:
    """Remove the personal data from `events` (who, what, IP address and details) while the chain still
    verifies: the entries keep their time, action, ids and hashes, and lose the salt of their personal digest
    so that it cannot confirm a guessed value either. Recorded as one event with the count (no actor, no
    personal data). Returns how many entries were redacted."""
    count = (
        AuditEvent.objects.filter(pk__in=events.values("pk"), redacted_at__isnull=True)
        .order_by()
        ._write_sealed_fields(
            actor_label="", target_label="", ip=None, data={}, salt="", redacted_at=timezone.now()
        )
    )
    if count:
        record_event(Action.AUDIT_REDACTED, actor_label="privacy", reason=reason[:100], count=count)
    return count


def events_about_user(user: User) -> models.QuerySet[AuditEvent]:
    """Entries by or about `user`: as actor, as target, or naming their email (a failed login with it, an
    invitation sent to it, a removed membership)."""
    email = user.email
    about = Q(actor_id=user.pk) | Q(target_type=user._meta.label_lower, target_id=str(user.pk))
    if email:
        about |= (
            Q(actor_label__iexact=email) | Q(target_label__icontains=email) | Q(data_text__icontains=email)
        )
    return AuditEvent.objects.annotate(data_text=Cast("data", TextField())).filter(about)


def redact_for_user(user: User, *, reason: str = "erasure") -> int:
    """Redact every entry by or about `user` (events_about_user). Call it before the account row is deleted
    (it reads the id and email) and after the erasure's own events are recorded, in the same transaction."""
    return redact_events(events_about_user(user), reason=reason)


def redact_for_organisation(organisation: Organisation, *, reason: str = "erasure") -> int:
    """Redact every entry about `organisation` (its own events and those targeting it). Its members' own
    entries elsewhere (their logins) are redact_for_user's, called for each erased member."""
    about = Q(organisation_id=organisation.pk) | Q(
        target_type=organisation._meta.label_lower, target_id=str(organisation.pk)
    )
    return redact_events(AuditEvent.objects.filter(about), reason=reason)
