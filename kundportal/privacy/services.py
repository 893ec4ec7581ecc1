"""Giving and withdrawing consent, and asking whether a user has given it: the one place offers,
recommendations and (later) the privacy centre go through."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.privacy.models import Consent, ConsentSource
from kundportal.privacy.purposes import Purpose, find_purpose

if TYPE_CHECKING:
    from kundportal.accounts.models import User


def purpose_of(key: str) -> Purpose:
    """A built-in purpose, or an active one the provider configured."""
    purpose = find_purpose(key)
    if purpose is None:
        raise ValidationError({"purpose": _("There is no such purpose.")})
    return purpose


def latest_consent(user: User, purpose: Purpose) -> Consent | None:
    return Consent.objects.filter(user=user, purpose=purpose.key).order_by("-created_at").first()


def has_consent(user: User, purpose: Purpose) -> bool:
    """Granted, and to the current wording: a new version of the wording asks again. One query."""
    if not user.is_authenticated:
        return False
    latest = latest_consent(user, purpose)
    return latest is not None and latest.granted and latest.version == purpose.version


def consenting(purpose: Purpose, user_ref: OuterRef | str = "pk") -> Exists:
    """For querysets of users (or of anything with a user, through `user_ref`): the user's latest decision
    about `purpose` is a grant of the current wording."""
    ref = OuterRef(user_ref) if isinstance(user_ref, str) else user_ref
    # Two levels down: `latest` sits inside the EXISTS query, which sits inside the caller's query.
    latest = Consent.objects.filter(user=OuterRef(ref), purpose=purpose.key).order_by("-created_at")
    return Exists(
        Consent.objects.filter(pk=Subquery(latest.values("pk")[:1]), granted=True, version=purpose.version)
    )


@transaction.atomic
def record_consent(
    *,
    actor: User,
    user: User,
    purpose: Purpose,
    granted: bool,
    source: str = ConsentSource.PAGE,
    request: HttpRequest | None = None,
) -> Consent:
    """Give or withdraw `user`'s consent to `purpose`, with the wording as shown in the current language.

    `actor` is the user themself, or provider staff acting on their behalf (source "staff"). Saying the same
    thing twice records nothing new."""
    if actor.pk != user.pk and source != ConsentSource.STAFF:
        raise ValidationError(_("Only the person themself gives or withdraws their consent."))
    latest = latest_consent(user, purpose)
    if (
        latest is not None
        and latest.granted == granted
        and (not granted or latest.version == purpose.version)
    ):
        return latest
    consent = Consent.objects.create(
        user=user,
        purpose=purpose.key,
        version=purpose.version,
        granted=granted,
        wording=str(purpose.wording),
        language=translation.get_language() or "en",
        source=source,
        recorded_by=actor if actor.pk != user.pk else None,
    )
    record_event(
        Action.CONSENT_GIVEN if granted else Action.CONSENT_WITHDRAWN,
        actor=actor,
        target=consent,
        request=request,
        purpose=purpose.key,
        version=purpose.version,
        user=str(user.pk),
    )
    return consent


def consent_history(user: User) -> QuerySet[Consent]:
    return Consent.objects.filter(user=user).order_by("-created_at")
