"""What customers do with an offer: see it (recorded once), accept it (a request for their account
managers, who are notified once and emailed through the notification outbox), or dismiss it (never shown to them again). Pages and API call these; who
may do what was decided before, in offers.access."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from kundportal.accounts.models import ProviderRole, User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce.services import clean_text
from kundportal.messaging.models import Category
from kundportal.messaging.notifications import notify
from kundportal.offers.access import OfferAccess
from kundportal.offers.models import Offer, OfferResponse
from kundportal.organisations.access import is_provider_staff
from kundportal.organisations.models import Organisation


def mark_seen(*, user: User, organisation: Organisation, offers: Iterable[Offer]) -> None:
    """Record the first time `user` saw these offers (from offers.access, which annotates `my_seen_at`).

    Writes only for offers not seen before, in one statement: later views write nothing."""
    now = timezone.now()
    unseen = [offer for offer in offers if getattr(offer, "my_seen_at", None) is None]
    if not unseen or is_provider_staff(user):
        return
    OfferResponse.objects.bulk_create(
        [OfferResponse(offer=offer, user=user, organisation=organisation, seen_at=now) for offer in unseen],
        update_conflicts=True,
        unique_fields=["offer", "user"],
        update_fields=["seen_at"],
    )
    for offer in unseen:
        offer.my_seen_at = now  # type: ignore[attr-defined]


def _response(found: OfferAccess, user: User) -> OfferResponse:
    response, _created = OfferResponse.objects.select_for_update().get_or_create(
        offer=found.offer, user=user, defaults={"organisation": found.organisation}
    )
    return response


@transaction.atomic
def accept_offer(
    *, actor: User, offer: OfferAccess, message: str = "", request: HttpRequest | None = None
) -> tuple[OfferResponse, bool]:
    """The customer takes up the offer: a request for their account managers, who are emailed once.

    Returns the response and whether the acceptance is new (accepting again repeats nothing)."""
    if not offer.can_accept:
        raise PermissionDenied
    try:
        message = clean_text(message, max_length=1000)
    except ValidationError as error:
        raise ValidationError({"message": error.messages}) from None
    response = _response(offer, actor)
    if response.accepted_at is not None:
        return response, False
    now = timezone.now()
    response.accepted_at = now
    response.seen_at = response.seen_at or now
    response.message = message
    response.organisation = offer.organisation  # type: ignore[assignment]
    response.save(update_fields=["accepted_at", "seen_at", "message", "organisation"])
    record_event(
        Action.OFFER_ACCEPTED,
        actor=actor,
        organisation=offer.organisation,
        target=offer.offer,
        request=request,
    )
    _notify_account_managers(response, actor)
    return response, True


@transaction.atomic
def dismiss_offer(*, actor: User, offer: OfferAccess) -> OfferResponse:
    """Never show this offer to `actor` again (on the offers page, the dashboard and the API). Only their own
    view changes: nobody is told, and dismissing twice changes nothing."""
    if not offer.can_respond:
        raise PermissionDenied
    response = _response(offer, actor)
    if response.dismissed_at is None:
        response.dismissed_at = timezone.now()
        response.save(update_fields=["dismissed_at"])
    return response


# ---------------------------------------------------------------------------------------------------------
# Telling the account managers


def _recipients(organisation: Organisation) -> list[User]:
    """The customer's account managers; a customer nobody looks after goes to the provider's admins."""
    managers = list(organisation.account_managers.filter(is_active=True))
    if managers:
        return managers
    return list(User.objects.filter(provider_role=ProviderRole.ADMIN, is_active=True))


def _notify_account_managers(response: OfferResponse, actor: User) -> None:
    """A notification to each account manager, in this transaction; their email comes through the outbox
    (messaging.delivery), batched with their other news and in their language. Their message is read on the
    offer's page, not in the email."""
    offer, organisation = response.offer, response.organisation
    notify(
        recipients=_recipients(organisation),
        category=Category.OFFER_ACCEPTED,
        organisation=organisation,
        params={"organisation": organisation.name, "offer": offer.title, "person": actor.display_name},
        url=reverse("staff_offer_detail", kwargs={"offer_id": offer.pk}),
        actor=actor,
    )
