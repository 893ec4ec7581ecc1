"""Which offers a customer sees: the one place this is decided, for the pages, the dashboard and the API.

An offer is shown to a customer user when it is live (published, within its period), its target and its
account manager's scope match the organisation, the user has not dismissed it, and, for an offer targeted on
personal data, the user consents to personalised offers at the moment of the request: a withdrawal hides
such offers on the very next page. Provider staff are not customers and get no offers; they may look at any
offer. Everything a user would not see listed answers 404, whatever the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404

from kundportal.offers.models import Offer, OfferResponse
from kundportal.offers.targeting import Target, matches_of
from kundportal.organisations.access import (
    OrganisationAccess,
    get_organisation_for_user,
    is_provider_staff,
    organisation_access,
    parse_uuid,
)
from kundportal.organisations.models import CustomerRole, Organisation
from kundportal.privacy.purposes import PERSONALISED_OFFERS
from kundportal.privacy.services import has_consent

if TYPE_CHECKING:
    from kundportal.accounts.models import User


@dataclass(frozen=True)
class OfferAccess:
    """One offer as one user may see it: in which organisation (None for provider staff), and what they
    may do with it."""

    offer: Offer
    access: OrganisationAccess | None

    @property
    def organisation(self) -> Organisation | None:
        return self.access.organisation if self.access else None

    @property
    def can_respond(self) -> bool:
        """Dismissing is everyone's own choice, viewers included; staff get no offers to respond to."""
        return self.access is not None and not self.access.staff

    @property
    def can_accept(self) -> bool:
        """Accepting asks the account manager for something on the organisation's behalf: admins and members;
        viewers only read."""
        return (
            self.access is not None
            and not self.access.staff
            and self.access.customer_role in (CustomerRole.ADMIN, CustomerRole.MEMBER)
        )


def _candidates(user: User, *, personal: bool, dismissed: bool = False) -> QuerySet[Offer]:
    """Live offers with this user's response (seen, accepted) alongside: one query."""
    mine = OfferResponse.objects.filter(offer=OuterRef("pk"), user=user)
    offers = Offer.objects.live()
    if not dismissed:
        offers = offers.exclude(Exists(mine.filter(dismissed_at__isnull=False)))
    if not personal:
        offers = offers.filter(personal=False)
    return (
        offers.annotate(
            my_seen_at=Subquery(mine.values("seen_at")[:1]),
            my_accepted_at=Subquery(mine.values("accepted_at")[:1]),
            my_dismissed_at=Subquery(mine.values("dismissed_at")[:1]),
        )
        .select_related("image")
        .order_by("-published_at", "-created_at")
    )


def _matching(organisation: Organisation, offers: list[Offer], *, personal: bool) -> list[Offer]:
    targets = [Target.from_json(offer.target) for offer in offers]
    matched = matches_of(organisation, [(t, o.manager_id) for t, o in zip(targets, offers, strict=True)])
    return [
        offer
        for offer, target, match in zip(offers, targets, matched, strict=True)
        # `personal` is derived from the target when the offer is saved; checking the target itself as well
        # keeps a row written around the services from reaching someone who did not consent.
        if match and (personal or not target.personal)
    ]


def offers_for(
    user: User, organisation: Organisation, *, limit: int | None = None, personal: bool | None = None
) -> list[Offer]:
    """The live offers `user` sees in `organisation` (already known to be visible to them), newest first.

    At most three queries whatever the number of offers: the candidates, the consent (only if a candidate
    is personal, and unless the caller read it already and passes `personal`), and one match of them all."""
    if is_provider_staff(user) or not getattr(user, "is_authenticated", False):
        return []
    candidates = list(_candidates(user, personal=personal is not False))
    if not candidates:
        return []
    if personal is None:
        asks = any(offer.personal or Target.from_json(offer.target).personal for offer in candidates)
        personal = asks and has_consent(user, PERSONALISED_OFFERS)
        if not personal:
            candidates = [offer for offer in candidates if not offer.personal]
    found = _matching(organisation, candidates, personal=personal)
    return found[:limit] if limit is not None else found


def personalised(user: User) -> bool:
    """Whether `user` consents to personalised offers now (one query)."""
    return has_consent(user, PERSONALISED_OFFERS)


def get_offer_for_user(
    user: User,
    offer_id: UUID | str,
    *,
    organisation_id: UUID | str | None = None,
    dismissed: bool = False,
) -> OfferAccess:
    """The offer if `user` would see it listed, else 404. For customers in several organisations, in the
    one named (else the first, by name, whose customers it is for). `dismissed` also finds an offer the
    user dismissed (dismissing it again is harmless). Staff see every offer, in no organisation."""
    pk = parse_uuid(offer_id)
    if is_provider_staff(user):
        offer = Offer.objects.select_related("image").filter(pk=pk).first()
        if offer is None:
            raise Http404
        return OfferAccess(offer=offer, access=None)
    if organisation_id:
        organisations = [get_organisation_for_user(user, organisation_id).organisation]
    else:
        organisations = list(Organisation.objects.visible_to(user).order_by("name")[:20])
    if not organisations:
        raise Http404
    personal = has_consent(user, PERSONALISED_OFFERS)
    offer = _candidates(user, personal=personal, dismissed=dismissed).filter(pk=pk).first()
    if offer is None:
        raise Http404
    for organisation in organisations:
        if _matching(organisation, [offer], personal=personal):
            return OfferAccess(offer=offer, access=organisation_access(user, organisation))
    raise Http404


def get_offer_to_accept(user: User, offer_id: UUID | str, **options: Any) -> OfferAccess:
    found = get_offer_for_user(user, offer_id, **options)
    if not found.can_accept:
        raise PermissionDenied
    return found


def get_offer_to_dismiss(user: User, offer_id: UUID | str, **options: Any) -> OfferAccess:
    found = get_offer_for_user(user, offer_id, dismissed=True, **options)
    if not found.can_respond:
        raise PermissionDenied
    return found
