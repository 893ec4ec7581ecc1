"""API: the provider's side of offers (staff only; customers get 404): write, preview, publish and end offers,
their picture, and the acceptances to handle. Access and rules: offers.services, as on the pages."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.insights.segments import Segment
from kundportal.offers import images, services
from kundportal.offers.models import Offer, OfferImage, OfferResponse, OfferStatus
from kundportal.offers.targeting import AGE_BAND_KEYS, Target, clean_target, describe, names_for
from kundportal.organisations.access import require_provider_staff
from kundportal.organisations.models import OrganisationKind

router = Router(tags=["offers (staff)"])

SegmentValue = Literal[tuple(Segment.values)]  # type: ignore[valid-type]
KindValue = Literal[tuple(OrganisationKind.values)]  # type: ignore[valid-type]
AgeBand = Literal[tuple(AGE_BAND_KEYS)]  # type: ignore[valid-type]
MAX_CHOICES = 300


class StaffOfferTargetIn(InputSchema):
    """Who an offer is for: criteria combine with AND, the values inside one with OR; all empty = everyone."""

    declared_interests: list[UUID] = Field(default_factory=list, max_length=MAX_CHOICES)
    inferred_interests: list[UUID] = Field(default_factory=list, max_length=MAX_CHOICES)
    purchased_categories: list[UUID] = Field(default_factory=list, max_length=MAX_CHOICES)
    segments: list[SegmentValue] = Field(default_factory=list, max_length=MAX_CHOICES)  # type: ignore[valid-type]
    days_since_purchase_min: int | None = Field(None, ge=0, le=100_000)
    days_since_purchase_max: int | None = Field(None, ge=0, le=100_000)
    orders_min: int | None = Field(None, ge=0, le=100_000)
    orders_max: int | None = Field(None, ge=0, le=100_000)
    countries: list[str] = Field(
        default_factory=list, max_length=MAX_CHOICES, description="ISO 3166 codes of the billing address"
    )
    kinds: list[KindValue] = Field(default_factory=list, max_length=MAX_CHOICES)  # type: ignore[valid-type]
    age_bands: list[AgeBand] = Field(default_factory=list, max_length=MAX_CHOICES)  # type: ignore[valid-type]


class StaffOfferIn(InputSchema):
    title: str = Field(max_length=1000, description="At most 120 characters, plain text")
    body: str = Field(max_length=20_000, description="At most 4,000 characters, plain text")
    starts_on: date
    ends_on: date = Field(description="The last day, included; today or later")
    price: Decimal | None = Field(None, description="With `currency`; or give `discount_percent`, not both")
    currency: str = Field("", max_length=3)
    discount_percent: int | None = Field(None, description="1 to 95")
    products: list[UUID] = Field(default_factory=list, max_length=MAX_CHOICES)
    categories: list[UUID] = Field(default_factory=list, max_length=MAX_CHOICES)
    target: StaffOfferTargetIn = Field(default_factory=StaffOfferTargetIn)


class StaffOfferPatchIn(InputSchema):
    """Only the fields sent change; a `target` sent replaces the whole target."""

    title: str | None = Field(None, max_length=1000)
    body: str | None = Field(None, max_length=20_000)
    starts_on: date | None = None
    ends_on: date | None = None
    price: Decimal | None = None
    currency: str | None = Field(None, max_length=3)
    discount_percent: int | None = None
    products: list[UUID] | None = Field(None, max_length=MAX_CHOICES)
    categories: list[UUID] | None = Field(None, max_length=MAX_CHOICES)
    target: StaffOfferTargetIn | None = None


class StaffOfferPreviewIn(InputSchema):
    target: StaffOfferTargetIn = Field(default_factory=StaffOfferTargetIn)
    offer_id: UUID | None = Field(
        None, description="Count within this offer's scope (an account manager's customers); default: yours"
    )


class StaffOfferImageOut(Schema):
    content_type: str
    width: int
    height: int
    size: int
    alt_text: str


class StaffOfferStatsOut(Schema):
    views: int
    acceptances: int
    dismissals: int


class StaffOfferOut(Schema):
    id: UUID
    title: str
    body: str
    status: str
    live: bool = Field(description="Published and within its period today")
    starts_on: date
    ends_on: date
    price: Decimal | None
    currency: str
    discount_percent: int | None
    products: list[UUID]
    categories: list[UUID]
    target: dict[str, Any]
    target_summary: list[str]
    personal: bool = Field(description="Targeted on personal data: shown only to users who opted in")
    manager_id: UUID | None = Field(description="Reaches only this account manager's customers; null: all")
    can_change: bool
    reach: int
    reach_counted_at: datetime | None
    published_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    updated_at: datetime
    image: StaffOfferImageOut | None
    stats: StaffOfferStatsOut


class StaffOfferPreviewOut(Schema):
    matched: int = Field(description="Customers (organisations) the target matches")
    total: int = Field(description="Customers in the offer's scope")
    personal: bool
    users: int | None = Field(description="For a personal target: active users of the matched customers")
    consenting_users: int | None = Field(description="... of whom opted in to personalised offers")
    nobody: bool
    everyone: bool
    warnings: list[str]
    summary: list[str]


class StaffOfferAcceptanceOut(Schema):
    id: UUID
    user_id: UUID
    user_name: str
    user_email: str
    organisation_id: UUID
    organisation_name: str
    message: str
    accepted_at: datetime
    handled_at: datetime | None
    handled_by_id: UUID | None


def _image_out(image: OfferImage | None) -> dict[str, Any] | None:
    if image is None:
        return None
    return {
        "content_type": image.content_type,
        "width": image.width,
        "height": image.height,
        "size": image.plaintext_size,
        "alt_text": image.alt_text,
    }


def _loaded(user: Any, offers: Any) -> list[Offer]:
    """Offers with their counts, picture, links and target in words: a constant number of queries."""
    rows = list(
        services.with_stats(offers)
        .select_related("manager", "image")
        .prefetch_related("products", "categories")
    )
    targets = [Target.from_json(offer.target) for offer in rows]
    names = names_for(targets, language=get_language() or "en")
    for offer, target in zip(rows, targets, strict=True):
        offer.summary = describe(target, names)  # type: ignore[attr-defined]
    return rows


def _offer_out(user: Any, offer: Offer) -> dict[str, Any]:
    from django.utils import timezone

    today = timezone.localdate()
    return {
        "id": offer.pk,
        "title": offer.title,
        "body": offer.body,
        "status": offer.status,
        "live": offer.status == OfferStatus.PUBLISHED and offer.starts_on <= today <= offer.ends_on,
        "starts_on": offer.starts_on,
        "ends_on": offer.ends_on,
        "price": offer.price,
        "currency": offer.currency,
        "discount_percent": offer.discount_percent,
        "products": [p.pk for p in offer.products.all()],
        "categories": [c.pk for c in offer.categories.all()],
        "target": offer.target or {},
        "target_summary": offer.summary,  # type: ignore[attr-defined]
        "personal": offer.personal,
        "manager_id": offer.manager_id,
        "can_change": services.can_change_offer(user, offer),
        "reach": offer.reach,
        "reach_counted_at": offer.reach_counted_at,
        "published_at": offer.published_at,
        "ended_at": offer.ended_at,
        "created_at": offer.created_at,
        "updated_at": offer.updated_at,
        "image": _image_out(getattr(offer, "image", None)),
        "stats": {
            "views": offer.views,  # type: ignore[attr-defined]
            "acceptances": offer.acceptances,  # type: ignore[attr-defined]
            "dismissals": offer.dismissals,  # type: ignore[attr-defined]
        },
    }


def _one(user: Any, offer: Offer) -> dict[str, Any]:
    return _offer_out(user, _loaded(user, Offer.objects.filter(pk=offer.pk))[0])


def _data(
    payload: StaffOfferIn | StaffOfferPatchIn, base: services.OfferData | None = None
) -> services.OfferData:
    sent = payload.model_dump(exclude_unset=base is not None)
    if base is None:
        values: dict[str, Any] = {}
    else:
        values = {
            "title": base.title,
            "body": base.body,
            "starts_on": base.starts_on,
            "ends_on": base.ends_on,
            "price": base.price,
            "currency": base.currency,
            "discount_percent": base.discount_percent,
            "products": list(base.products),
            "categories": list(base.categories),
            "target": dict(base.target),
        }
    for name, value in sent.items():
        values[name] = (
            value if value is not None or name in ("price", "discount_percent") else values.get(name)
        )
    if values.get("currency") is None:
        values["currency"] = ""
    return services.OfferData(**values)


class _Rows:
    """The paginator's slice of offers, loaded for output in a constant number of queries."""

    def __init__(self, user: Any, offers: Any) -> None:
        self.user, self.offers = user, offers

    def count(self) -> int:
        return self.offers.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        return [_offer_out(self.user, offer) for offer in _loaded(self.user, self.offers[index])]


@router.get(
    "/offers/manage",
    response=list[StaffOfferOut],
    summary="Offers, newest first (staff; account managers: their own and the provider-wide ones)",
)
@paginate(BoundedLimitOffsetPagination)
def list_staff_offers(request: HttpRequest, status: Literal["", "draft", "published", "ended"] = "") -> Any:
    require_provider_staff(request.user)
    offers = services.staff_offers(request.user).order_by("-created_at")
    if status:
        offers = offers.filter(status=status)
    return _Rows(request.user, offers)


@router.post("/offers/manage", response={201: StaffOfferOut}, summary="Write a new offer (a draft)")
def create_staff_offer(request: HttpRequest, payload: StaffOfferIn) -> Status:
    require_provider_staff(request.user)
    offer = services.create_offer(actor=request.user, data=_data(payload), request=request)
    return Status(201, _one(request.user, offer))


@router.post(
    "/offers/preview",
    response=StaffOfferPreviewOut,
    summary="How many customers a target matches, and for a personal one how many of their users opted in",
)
def preview_staff_offer(request: HttpRequest, payload: StaffOfferPreviewIn) -> dict[str, Any]:
    require_provider_staff(request.user)
    offer = services.get_offer_for_staff(request.user, payload.offer_id) if payload.offer_id else None
    target = clean_target(payload.target.model_dump())
    preview = services.preview_target(
        actor=request.user,
        target=target,
        manager_id=services.scope_manager_id(actor=request.user, offer=offer),
    )
    return {
        "matched": preview.matched,
        "total": preview.total,
        "personal": preview.personal,
        "users": preview.users,
        "consenting_users": preview.consenting_users,
        "nobody": preview.nobody,
        "everyone": preview.everyone,
        "warnings": preview.warnings,
        "summary": describe(target, names_for([target], language=get_language() or "en")),
    }


@router.get("/offers/manage/{uuid:offer_id}", response=StaffOfferOut, summary="One offer with its figures")
def get_staff_offer(request: HttpRequest, offer_id: UUID) -> dict[str, Any]:
    return _one(request.user, services.get_offer_for_staff(request.user, offer_id))


@router.patch(
    "/offers/manage/{uuid:offer_id}",
    response=StaffOfferOut,
    summary="Change an offer (not an ended one); a published one must still match someone",
)
def patch_staff_offer(request: HttpRequest, offer_id: UUID, payload: StaffOfferPatchIn) -> dict[str, Any]:
    offer = services.get_offer_for_staff(request.user, offer_id, write=True)
    data = _data(payload, services.OfferData.of(offer))
    offer = services.update_offer(actor=request.user, offer=offer, data=data, request=request)
    return _one(request.user, offer)


@router.post(
    "/offers/manage/{uuid:offer_id}/publish",
    response=StaffOfferOut,
    summary="Publish a draft (refused when its period has ended or its target matches nobody)",
)
def publish_staff_offer(request: HttpRequest, offer_id: UUID) -> dict[str, Any]:
    offer = services.get_offer_for_staff(request.user, offer_id, write=True)
    return _one(request.user, services.publish_offer(actor=request.user, offer=offer, request=request))


@router.post(
    "/offers/manage/{uuid:offer_id}/end", response=StaffOfferOut, summary="End a published offer now"
)
def end_staff_offer(request: HttpRequest, offer_id: UUID) -> dict[str, Any]:
    offer = services.get_offer_for_staff(request.user, offer_id, write=True)
    return _one(request.user, services.end_offer(actor=request.user, offer=offer, request=request))


@router.post(
    "/offers/manage/{uuid:offer_id}/duplicate",
    response={201: StaffOfferOut},
    summary="A new draft with the same content and target, scoped to you",
)
def duplicate_staff_offer(request: HttpRequest, offer_id: UUID) -> Status:
    offer = services.get_offer_for_staff(request.user, offer_id)
    copy = services.duplicate_offer(actor=request.user, offer=offer, request=request)
    return Status(201, _one(request.user, copy))


IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["image"],
                    "properties": {
                        "image": {"type": "string", "format": "binary", "description": "PNG, JPEG or WebP"},
                        "alt_text": {"type": "string", "maxLength": images.ALT_TEXT_MAX},
                    },
                }
            }
        },
    }
}


@router.post(
    "/offers/manage/{uuid:offer_id}/image",
    response={201: StaffOfferImageOut},
    summary="Set the offer's picture: multipart field `image` (PNG, JPEG or WebP, at most 5 MiB), `alt_text`",
    openapi_extra=IMAGE_BODY,
)
def upload_staff_offer_image(request: HttpRequest, offer_id: UUID) -> Status:
    offer = services.get_offer_for_staff(request.user, offer_id, write=True)
    images.use_image_upload(request)  # in memory only, before anything parses the body
    data = images.uploaded_image(request)
    if data is None:
        raise ValidationError({"image": [_("Send the picture in the multipart field “image”.")]})
    image = images.set_offer_image(
        actor=request.user, offer=offer, data=data, alt_text=request.POST.get("alt_text", ""), request=request
    )
    return Status(201, _image_out(image))


@router.get(
    "/offers/manage/{uuid:offer_id}/image",
    response={200: bytes},
    summary="The offer's picture (decrypted and checked)",
)
def get_staff_offer_image(request: HttpRequest, offer_id: UUID) -> HttpResponse:
    offer = services.get_offer_for_staff(request.user, offer_id)
    image = OfferImage.objects.filter(offer=offer).first()
    if image is None:
        raise Http404
    response = HttpResponse(images.read_image(image), content_type=image.content_type)
    response["Cache-Control"] = "private, no-cache"
    return response


@router.delete(
    "/offers/manage/{uuid:offer_id}/image", response={204: None}, summary="Remove the offer's picture"
)
def delete_staff_offer_image(request: HttpRequest, offer_id: UUID) -> Status:
    offer = services.get_offer_for_staff(request.user, offer_id, write=True)
    with transaction.atomic():
        images.remove_offer_image(actor=request.user, offer=offer, request=request)
    return Status(204, None)


def _acceptance_out(response: OfferResponse) -> dict[str, Any]:
    return {
        "id": response.pk,
        "user_id": response.user_id,
        "user_name": response.user.display_name,
        "user_email": response.user.email,
        "organisation_id": response.organisation_id,
        "organisation_name": response.organisation.name,
        "message": response.message,
        "accepted_at": response.accepted_at,
        "handled_at": response.handled_at,
        "handled_by_id": response.handled_by_id,
    }


class _Acceptances:
    def __init__(self, responses: Any) -> None:
        self.responses = responses

    def count(self) -> int:
        return self.responses.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        return [_acceptance_out(response) for response in self.responses[index]]


@router.get(
    "/offers/manage/{uuid:offer_id}/acceptances",
    response=list[StaffOfferAcceptanceOut],
    summary="Who accepted the offer, open requests first (account managers: their customers only)",
)
@paginate(BoundedLimitOffsetPagination)
def list_staff_offer_acceptances(request: HttpRequest, offer_id: UUID) -> Any:
    offer = services.get_offer_for_staff(request.user, offer_id)
    return _Acceptances(services.visible_acceptances(request.user, offer))


@router.post(
    "/offers/manage/{uuid:offer_id}/acceptances/{uuid:response_id}/handle",
    response=StaffOfferAcceptanceOut,
    summary="Mark a customer's acceptance as handled",
)
def handle_staff_offer_acceptance(request: HttpRequest, offer_id: UUID, response_id: UUID) -> dict[str, Any]:
    offer = services.get_offer_for_staff(request.user, offer_id)
    response = services.get_acceptance_for_staff(request.user, offer, response_id)
    response = services.mark_acceptance_handled(actor=request.user, response=response, request=request)
    response = services.visible_acceptances(request.user, offer).get(pk=response.pk)
    return _acceptance_out(response)
