"""API: The provider's view of its customers: list, 360° view, interests."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import get_language
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.customers import interests, queries
from kundportal.customers.models import InterestCategory
from kundportal.organisations.access import get_organisation_for_user, require_provider_staff
from kundportal.organisations.models import Organisation

router = Router(tags=["customers (staff)"])

Sort = Literal[tuple(queries.SORTS)]  # type: ignore[valid-type]
Currency = Literal[tuple(queries.CURRENCY_CODES)]  # type: ignore[valid-type]


class CustomerFilterIn(InputSchema):
    q: str = Field("", max_length=200, description="Name, external id, VAT number or contact email contains")
    country: str = Field("", max_length=2, description="Country of the default billing address (ISO 3166)")
    kind: Literal["", "company", "private"] = ""
    interest: UUID | None = Field(None, description="An interest category that is an active interest")
    purchased_after: date | None = Field(None, description="Last purchase on or after this day")
    purchased_before: date | None = Field(None, description="Last purchase before this day")
    min_orders: int | None = Field(None, ge=0, le=2**31 - 1)
    min_revenue: Decimal | None = Field(
        None, ge=0, max_digits=14, decimal_places=2, description="Revenue in `currency` at least"
    )
    currency: Currency = Field(  # type: ignore[valid-type]
        queries.DEFAULT_CURRENCY,
        description="The currency of `min_revenue` and of the revenue sort; amounts are never converted",
    )
    sort: Sort = "name"  # type: ignore[valid-type]

    def filters(self, user: object) -> queries.CustomerFilters:
        data = self.model_dump()
        if self.interest is not None:
            interests.find_interest_category(user, self.interest)
        data["q"] = self.q.strip()
        data["country"] = self.country.upper()
        return queries.CustomerFilters(**data)


class RevenueOut(Schema):
    currency: str
    amount: Decimal


class CustomerListRowOut(Schema):
    id: UUID
    name: str
    kind: str
    external_id: str | None
    vat_number: str
    email: str
    country: str
    order_count: int
    last_purchase: datetime | None
    revenue: list[RevenueOut]


def _row(organisation: Organisation) -> dict[str, object]:
    profile = queries.selected_profile(organisation)
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "kind": organisation.kind,
        "external_id": profile.external_id if profile else None,
        "vat_number": profile.vat_number if profile else "",
        "email": profile.email if profile else "",
        "country": organisation.country or "",  # type: ignore[attr-defined]
        "order_count": organisation.order_count,  # type: ignore[attr-defined]
        "last_purchase": organisation.last_purchase,  # type: ignore[attr-defined]
        "revenue": organisation.revenues,  # type: ignore[attr-defined]
    }


class _Rows(queries.CustomerPage):
    def __getitem__(self, index: slice) -> list[dict[str, object]]:  # type: ignore[override]
        return [_row(organisation) for organisation in super().__getitem__(index)]


@router.get(
    "/customers",
    response=list[CustomerListRowOut],
    summary="Customers with purchase figures, filtered as the staff customer list (staff)",
)
@paginate(BoundedLimitOffsetPagination)
def list_customers(request: HttpRequest, filters: Query[CustomerFilterIn]) -> object:
    require_provider_staff(request.user)
    return _Rows(request.user, filters.filters(request.user))


class Customer360AddressOut(Schema):
    id: UUID
    purpose: str
    is_default: bool
    name: str
    company_name: str
    street_address: str
    postal_code: str
    city: str
    country_area: str
    country: str


class Customer360PaymentMethodOut(Schema):
    id: UUID
    kind: str
    is_default: bool
    masked: str


class Customer360OrderOut(Schema):
    id: UUID
    number: str
    status: str
    currency: str
    total: Decimal
    placed_at: datetime


class Customer360OrdersOut(Schema):
    count: int
    revenue: list[RevenueOut]
    first_order: datetime | None
    last_order: datetime | None
    average_days_between: float | None
    latest: list[Customer360OrderOut]


class CustomerInterestOut(Schema):
    category_id: UUID
    slug: str
    name: str
    declared: bool
    inferred_items: int
    suppressed: bool
    active: bool
    reason: str


class Customer360DocumentOut(Schema):
    id: UUID
    name: str
    folder: str
    updated_at: datetime


class Customer360ChangeRequestOut(Schema):
    id: UUID
    field: str
    current_value: str
    requested_value: str
    requested_by: str | None
    created_at: datetime


class Customer360ChangeOut(Schema):
    when: datetime
    who: str
    subject: str
    field: str
    old: str
    new: str


class Customer360ProfileOut(Schema):
    external_id: str | None
    vat_number: str
    email: str
    phone: str
    website: str
    preferred_language: str
    contact_channel: str
    age: int | None


class Customer360Out(Schema):
    id: UUID
    name: str
    kind: str
    profile: Customer360ProfileOut
    account_managers: list[str]
    addresses: list[Customer360AddressOut]
    payment_methods: list[Customer360PaymentMethodOut]
    orders: Customer360OrdersOut
    interests: list[CustomerInterestOut]
    documents: list[Customer360DocumentOut]
    pending_change_requests: list[Customer360ChangeRequestOut]
    recent_changes: list[Customer360ChangeOut]


def _interest(interest: interests.Interest, *, staff: bool) -> dict[str, object]:
    return {
        "category_id": interest.category.pk,
        "slug": interest.category.slug,
        "name": interest.name,
        "declared": interest.declared,
        "inferred_items": interest.inferred_items,
        "suppressed": interest.suppressed,
        "active": interest.active,
        "reason": interest.staff_reason if staff else interest.reason,
    }


def _customer(summary: queries.CustomerSummary) -> dict[str, object]:
    organisation, profile, orders = summary.organisation, summary.profile, summary.orders
    return {
        "id": organisation.pk,
        "name": organisation.name,
        "kind": organisation.kind,
        "profile": {
            "external_id": profile.external_id,
            "vat_number": profile.vat_number,
            "email": profile.email,
            "phone": profile.phone,
            "website": profile.website,
            "preferred_language": profile.preferred_language,
            "contact_channel": profile.contact_channel,
            "age": summary.age,
        },
        "account_managers": [manager.email for manager in summary.managers],
        "addresses": [
            {
                **{
                    field: getattr(address, field)
                    for field in Customer360AddressOut.model_fields
                    if field != "country"
                },
                "country": address.country.code,
            }
            for address in summary.addresses
        ],
        "payment_methods": summary.payment_methods,
        "orders": {
            "count": orders.count,
            "revenue": orders.revenue,
            "first_order": orders.first,
            "last_order": orders.last,
            "average_days_between": orders.average_days_between,
            "latest": summary.latest_orders,
        },
        "interests": [_interest(i, staff=True) for i in summary.interests if i.declared or i.inferred],
        "documents": [
            {"id": d.pk, "name": d.name, "folder": d.folder.name, "updated_at": d.updated_at}
            for d in summary.documents
        ],
        "pending_change_requests": [
            {
                "id": r.pk,
                "field": r.field,
                "current_value": r.current_value,
                "requested_value": r.requested_value,
                "requested_by": r.requested_by.email if r.requested_by else None,
                "created_at": r.created_at,
            }
            for r in summary.change_requests
        ],
        "recent_changes": [asdict(change) for change in summary.changes],
    }


@router.get(
    "/customers/{organisation_id}",
    response=Customer360Out,
    summary="The 360° view of one customer (staff; recorded as access to the customer's data)",
)
def get_customer(request: HttpRequest, organisation_id: UUID) -> dict[str, object]:
    summary = queries.view_customer(
        actor=request.user, organisation_id=organisation_id, language=get_language() or "en", request=request
    )
    return _customer(summary)


class InterestsIn(InputSchema):
    declared: list[UUID] | None = Field(
        None, max_length=1000, description="Every category the customer chose; left out: unchanged"
    )
    suppressed: list[UUID] | None = Field(
        None,
        max_length=1000,
        description="Every inferred category the customer turned off; left out: unchanged",
    )


def _interests(request: HttpRequest, organisation: Organisation, *, staff: bool) -> list[dict[str, object]]:
    current = interests.customer_interests(organisation, language=get_language() or "en")
    return [_interest(interest, staff=staff) for interest in current]


@router.get(
    "/organisations/{organisation_id}/interests",
    response=list[CustomerInterestOut],
    summary="Every active interest category with the customer's relation to it",
)
def get_interests(request: HttpRequest, organisation_id: UUID) -> list[dict[str, object]]:
    access = get_organisation_for_user(request.user, organisation_id)
    return _interests(request, access.organisation, staff=access.staff)


@router.put(
    "/organisations/{organisation_id}/interests",
    response=list[CustomerInterestOut],
    summary="Set the chosen interests and which inferred ones are turned off (not viewers)",
)
def put_interests(
    request: HttpRequest, organisation_id: UUID, payload: InterestsIn
) -> list[dict[str, object]]:
    access = get_organisation_for_user(request.user, organisation_id)
    interests.change_interests(
        actor=request.user,
        access=access,
        declared=payload.declared,
        suppressed=payload.suppressed,
        request=request,
    )
    return _interests(request, access.organisation, staff=access.staff)


class InterestCategoryOut(Schema):
    id: UUID
    slug: str
    name_en: str
    name_sv: str
    name_de: str
    active: bool


class InterestCategoryIn(InputSchema):
    name_en: str = Field(min_length=1, max_length=100)
    name_sv: str = Field("", max_length=100)
    name_de: str = Field("", max_length=100)
    slug: str = Field("", max_length=60, description="Left out: made from the English name")
    active: bool = True


class InterestCategoryPatchIn(InputSchema):
    name_en: str | None = Field(None, min_length=1, max_length=100)
    name_sv: str | None = Field(None, max_length=100)
    name_de: str | None = Field(None, max_length=100)
    slug: str | None = Field(None, min_length=1, max_length=60)
    active: bool | None = None


@router.get(
    "/interest-categories",
    response=list[InterestCategoryOut],
    summary="Interest categories (staff: all; customers: the active ones)",
)
@paginate(BoundedLimitOffsetPagination)
def list_interest_categories(request: HttpRequest) -> object:
    return interests.visible_interest_categories(request.user).order_by("name_en", "pk")


@router.post(
    "/interest-categories",
    response={201: InterestCategoryOut},
    summary="Create an interest category (provider admins)",
)
def create_interest_category(request: HttpRequest, payload: InterestCategoryIn) -> Status:
    category = interests.create_interest_category(actor=request.user, request=request, **payload.model_dump())
    return Status(201, category)


@router.patch(
    "/interest-categories/{category_id}",
    response=InterestCategoryOut,
    summary="Rename, re-key, deactivate or reactivate an interest category (provider admins)",
)
def update_interest_category(
    request: HttpRequest, category_id: UUID, payload: InterestCategoryPatchIn
) -> InterestCategory:
    category = interests.get_interest_category_for_user(request.user, category_id, manage=True)
    return interests.update_interest_category(
        actor=request.user, category=category, request=request, **payload.model_dump(exclude_none=True)
    )
