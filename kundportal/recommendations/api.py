"""API: a customer's recommended products, and the provider's recompute.

The same services and rules as the pages: personalised only for a caller who consents to personalised
offers and recommendations at the moment of the call, the bestsellers otherwise; an organisation the caller
does not see answers 404. The recompute is for provider admins (404 for everyone else)."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from decimal import Decimal
from uuid import UUID

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from kundportal.organisations.access import get_organisation_for_user, require_provider_admin
from kundportal.recommendations import progress, services
from kundportal.recommendations.services import RecommendedProduct

router = Router(tags=["recommendations"])


class RecommendedProductOut(Schema):
    product_id: UUID
    sku: str
    name: str
    price: Decimal
    currency: str
    reason: str = Field(
        description="Why: `bought_with` (often bought with `source_product_id`), `popular_in_interest` "
        "(popular in the interest `interest_id`), `popular_in_segment` (popular with similar customers) "
        "or `bestseller`."
    )
    reason_text: str = Field(description="The reason in the request's language.")
    source_product_id: UUID | None = Field(
        description="The product it is often bought with; only when the caller sees an order with it."
    )
    interest_id: UUID | None


class RecommendationListOut(Schema):
    personalised: bool = Field(
        description="True: picked for this customer (the caller consents to personalised recommendations). "
        "False: the bestsellers every customer sees."
    )
    items: list[RecommendedProductOut]


class RecommendationLimitIn(Schema):
    limit: int = Field(default=5, ge=1, le=services.MAX_LIMIT)


class RecomputeStatusOut(Schema):
    running: bool = Field(description="A full recompute is queued or running.")
    queued: bool | None = Field(
        default=None, description="On POST: false when one was queued or running already."
    )
    phase: str = Field(default="", description="`reading`, `affinities` or `lists`; empty while queued.")
    done: int = 0
    total: int = 0


def _item(item: RecommendedProduct) -> dict[str, object]:
    return {
        "product_id": item.product.pk,
        "sku": item.product.sku,
        "name": item.product.name,
        "price": item.product.price,
        "currency": item.product.currency,
        "reason": item.kind,
        "reason_text": item.reason,
        "source_product_id": item.source_product.pk if item.source_product else None,
        "interest_id": item.interest.pk if item.interest else None,
    }


@router.get(
    "/organisations/{organisation_id}/recommendations",
    response=RecommendationListOut,
    summary="Recommended products for a customer, each with its reason",
)
def list_recommendations(
    request: HttpRequest, organisation_id: UUID, query: Query[RecommendationLimitIn]
) -> dict[str, object]:
    access = get_organisation_for_user(request.user, organisation_id)
    shown = services.recommendations_for(request.user, access.organisation, limit=query.limit)
    return {"personalised": shown.personalised, "items": [_item(item) for item in shown]}


@router.post(
    "/recommendations/recompute",
    response={202: RecomputeStatusOut},
    summary="Recompute every customer's recommendations in the background (provider admins)",
)
def start_recompute(request: HttpRequest) -> Status:
    queued = services.start_recompute(actor=request.user)
    return Status(202, {**progress.read_progress(), "queued": queued})


@router.get(
    "/recommendations/recompute",
    response=RecomputeStatusOut,
    summary="Whether a full recompute is running, and how far it is (provider admins)",
)
def recompute_status(request: HttpRequest) -> dict[str, object]:
    require_provider_admin(request.user)
    return progress.read_progress()
