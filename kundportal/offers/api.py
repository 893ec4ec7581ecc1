"""API: a customer's offers, why they see each, accepting and dismissing. The same access rules (access.py)
and services (responses.py) as the pages. The staff's offers API is in staff_api.py."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import Field

from kundportal.core.schemas import InputSchema
from kundportal.offers import responses
from kundportal.offers.access import (
    get_offer_for_user,
    get_offer_to_accept,
    get_offer_to_dismiss,
    offers_for,
)
from kundportal.offers.explain import explain, explain_offers
from kundportal.offers.models import Offer, OfferResponse
from kundportal.offers.templatetags.offer_tags import price_text
from kundportal.organisations.access import get_organisation_for_user

router = Router(tags=["offers"])


# ---------------------------------------------------------------------------------------------------------
# Schemas (named "My…": the staff's offers API has schemas of its own)


class MyOfferFactOut(Schema):
    criterion: str = Field(description="The target criterion this fact matched, or `everyone`, `manager`")
    text: str = Field(description="The fact, addressed to the customer in their language")


class MyOfferProductOut(Schema):
    id: UUID
    sku: str
    name: str


class MyOfferOut(Schema):
    id: UUID
    title: str
    body: str
    starts_on: date
    ends_on: date
    price: Decimal | None
    currency: str
    discount_percent: int | None
    price_text: str = Field(
        description='The price or discount as the reader\'s language writes it, e.g. "20% off"'
    )
    personal: bool = Field(description="Picked using personal data: shown only with consent")
    image_url: str | None
    products: list[MyOfferProductOut]
    categories: list[str]
    seen_at: datetime | None
    accepted_at: datetime | None
    why: list[MyOfferFactOut] = Field(description="Why am I seeing this?")


class MyOfferDetailOut(MyOfferOut):
    organisation_id: UUID | None = Field(
        description="The organisation the offer is shown in (none for staff)"
    )


class MyOfferAcceptIn(InputSchema):
    message: str = Field(default="", max_length=1000, description="Optional, for the account manager")
    organisation_id: UUID | None = Field(
        default=None, description="For someone in several organisations: which one accepts"
    )


class MyOfferResponseOut(Schema):
    offer_id: UUID
    organisation_id: UUID
    seen_at: datetime | None
    accepted_at: datetime | None
    dismissed_at: datetime | None
    message: str
    new: bool = Field(description="False when this repeated an earlier acceptance or dismissal")


class MyOfferWhere(Schema):
    organisation_id: UUID | None = Field(
        default=None, description="For someone in several organisations: in which one"
    )


# ---------------------------------------------------------------------------------------------------------
# Helpers


def _offer(offer: Offer, why: list, **extra: object) -> dict[str, object]:
    try:
        has_image = offer.image is not None
    except ObjectDoesNotExist:
        has_image = False
    return {
        "id": offer.pk,
        "title": offer.title,
        "body": offer.body,
        "starts_on": offer.starts_on,
        "ends_on": offer.ends_on,
        "price": offer.price,
        "currency": offer.currency,
        "discount_percent": offer.discount_percent,
        "price_text": price_text(offer),
        "personal": offer.personal,
        "image_url": reverse("offer_image", kwargs={"offer_id": offer.pk}) if has_image else None,
        "products": [{"id": p.pk, "sku": p.sku, "name": p.name} for p in offer.products.all()],
        "categories": [category.name for category in offer.categories.all()],
        "seen_at": getattr(offer, "my_seen_at", None),
        "accepted_at": getattr(offer, "my_accepted_at", None),
        "why": [{"criterion": fact.criterion, "text": fact.text} for fact in why],
        **extra,
    }


def _response(response: OfferResponse, *, new: bool) -> dict[str, object]:
    return {
        "offer_id": response.offer_id,
        "organisation_id": response.organisation_id,
        "seen_at": response.seen_at,
        "accepted_at": response.accepted_at,
        "dismissed_at": response.dismissed_at,
        "message": response.message,
        "new": new,
    }


# ---------------------------------------------------------------------------------------------------------
# Endpoints


@router.get(
    "/organisations/{uuid:organisation_id}/offers",
    response=list[MyOfferOut],
    summary="The offers a customer user sees in their organisation",
    description="Live offers matching the organisation and not dismissed; offers picked using personal data "
    "only while the user consents to personalised offers. Staff get none. Listing records them as seen.",
)
def list_my_offers(request: HttpRequest, organisation_id: UUID) -> list[dict[str, object]]:
    access = get_organisation_for_user(request.user, organisation_id)
    offers = offers_for(request.user, access.organisation)
    prefetch_related_objects(offers, "products", "categories")
    facts = explain_offers(offers, access.organisation)
    responses.mark_seen(user=request.user, organisation=access.organisation, offers=offers)
    return [_offer(offer, facts[offer.pk]) for offer in offers]


@router.get("/offers/{uuid:offer_id}", response=MyOfferDetailOut, summary="One offer, with why it is shown")
def get_my_offer(request: HttpRequest, offer_id: UUID, where: Query[MyOfferWhere]) -> dict[str, object]:
    found = get_offer_for_user(request.user, offer_id, organisation_id=where.organisation_id)
    prefetch_related_objects([found.offer], "products", "categories")
    organisation = found.organisation
    if organisation is not None:
        responses.mark_seen(user=request.user, organisation=organisation, offers=[found.offer])
    why = explain(found.offer, organisation) if organisation is not None else []
    return _offer(found.offer, why, organisation_id=organisation.pk if organisation else None)


@router.post(
    "/offers/{uuid:offer_id}/accept",
    response=MyOfferResponseOut,
    summary="Accept an offer",
    description="Asks the organisation's account managers, who are emailed once. Accepting again repeats "
    "nothing (`new` is false). Admins and members only; viewers get 403.",
)
def accept_my_offer(request: HttpRequest, offer_id: UUID, data: MyOfferAcceptIn) -> dict[str, object]:
    found = get_offer_to_accept(request.user, offer_id, organisation_id=data.organisation_id)
    response, new = responses.accept_offer(
        actor=request.user, offer=found, message=data.message, request=request
    )
    return _response(response, new=new)


@router.post(
    "/offers/{uuid:offer_id}/dismiss",
    response=MyOfferResponseOut,
    summary="Dismiss an offer: it is never shown to you again",
)
def dismiss_my_offer(request: HttpRequest, offer_id: UUID, where: Query[MyOfferWhere]) -> dict[str, object]:
    found = get_offer_to_dismiss(request.user, offer_id, organisation_id=where.organisation_id)
    already = getattr(found.offer, "my_dismissed_at", None) is not None
    response = responses.dismiss_offer(actor=request.user, offer=found)
    return _response(response, new=not already)
