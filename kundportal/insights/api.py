"""API: the insight figures (provider staff only; everyone else 404), the numbers behind the dashboard's charts."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import Http404, HttpRequest
from django.utils.dateparse import parse_datetime
from ninja import Router, Schema
from pydantic import Field

from kundportal.insights.dashboard import NO_PURCHASES, NOT_SCORED
from kundportal.insights.figures import Figures
from kundportal.insights.segments import Segment
from kundportal.insights.snapshots import get_figures_for_user

router = Router(tags=["insights (staff)"])


class InsightSegmentOut(Schema):
    segment: str = Field(
        description="An RFM segment, `not_scored` (bought since the last scoring) or `no_purchases`"
    )
    customers: int


class InsightInterestOut(Schema):
    slug: str
    names: dict[str, str] = Field(description="The category's name by language code (empty: use `en`)")
    declared: int = Field(description="Customers who chose it")
    inferred: int = Field(description="Customers it is inferred for from purchases (and not turned off)")


class InsightSalesOut(Schema):
    month: str = Field(description="YYYY-MM, in the portal's time zone")
    currency: str
    orders: int
    revenue: Decimal = Field(description="Never converted between currencies")


class InsightFrequencyOut(Schema):
    bucket: str
    fewest: int
    most: int | None
    customers: int


class InsightOfferOut(Schema):
    id: str
    title: str
    status: str
    starts_on: date
    ends_on: date
    reach: int | None = Field(description="Customers the offer's target matched; null for an account manager")
    views: int
    acceptances: int
    dismissals: int


class InsightActivityOut(Schema):
    week: date = Field(description="The week's Monday")
    logins: int
    uploads: int
    downloads: int


class InsightFiguresOut(Schema):
    scope: Literal["all_customers", "own_customers"] = Field(
        description="A provider admin sees every customer; an account manager those they look after"
    )
    computed_at: datetime
    scored_at: datetime | None = Field(description="When the RFM segments were last scored")
    customers: int
    buyers: int = Field(description="Customers with at least one order that was not cancelled")
    segments: list[InsightSegmentOut]
    interests: list[InsightInterestOut]
    months: list[str] = Field(description="The months `sales` covers (YYYY-MM), oldest first")
    sales: list[InsightSalesOut] = Field(description="Months and currencies with orders only")
    frequency: list[InsightFrequencyOut]
    offers: list[InsightOfferOut]
    activity: list[InsightActivityOut]


def _out(figures: Figures, *, own: bool) -> dict[str, object]:
    segments = figures["segments"]
    return {
        **figures,
        "scope": "own_customers" if own else "all_customers",
        "computed_at": parse_datetime(figures["computed_at"]),
        "scored_at": parse_datetime(figures["scored_at"]) if figures["scored_at"] else None,
        "segments": [
            *({"segment": s.value, "customers": segments.get(s.value, 0)} for s in Segment),
            {"segment": NOT_SCORED, "customers": segments.get("", 0)},
            {"segment": NO_PURCHASES, "customers": figures["customers"] - figures["buyers"]},
        ],
    }


@router.get(
    "/insights",
    response=InsightFiguresOut,
    summary="The insight figures: segments, interests, sales, purchase frequency, offers, activity (staff)",
    description="A provider admin gets the figures as last computed for every customer (nightly, or on "
    "request on the insights page); an account manager gets those of the customers they look after (computed "
    "now, or nightly for a manager of more than 500). 404 until the provider's figures have been computed "
    "for the first time.",
)
def get_insights(request: HttpRequest) -> dict[str, object]:
    found = get_figures_for_user(request.user)
    if found.figures is None:
        raise Http404
    return _out(found.figures, own=found.own)
