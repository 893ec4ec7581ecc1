"""API: orders, invoices and re-order requests (and, from catalogue_api, products and their categories).

The same services and access rules as the pages. Orders follow the per-user visibility of commerce.access;
staff create them, move them on and issue invoices; customers (admins and members) ask to buy again."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Body, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kundportal.accounts.models import User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce import invoices, services
from kundportal.commerce.access import (
    get_order_for_reorder,
    get_order_for_user,
    require_order_creator,
)
from kundportal.commerce.catalogue_api import router as catalogue_router
from kundportal.commerce.history import OrderFilter, order_history, order_summary, visible_history
from kundportal.commerce.models import Order, Product
from kundportal.commerce.services import MAX_LINES, LineData
from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.organisations.access import get_organisation_for_user, is_provider_staff

router = Router(tags=["orders"])
router.add_router("", catalogue_router)

StatusName = Literal["requested", "confirmed", "shipped", "delivered", "invoiced", "paid", "cancelled"]


# ---------------------------------------------------------------------------------------------------------
# Schemas


class OrderOut(Schema):
    id: UUID
    number: str
    organisation_id: UUID
    organisation: str
    status: str
    currency: str
    total: Decimal
    placed_at: datetime
    placed_by: str | None = Field(description="Email of the customer's contact who ordered")
    invoice_number: str
    has_invoice: bool
    line_count: int

    @staticmethod
    def resolve_organisation(obj: Order) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_placed_by(obj: Order) -> str | None:
        return obj.placed_by.email if obj.placed_by else None

    @staticmethod
    def resolve_has_invoice(obj: Order) -> bool:
        return obj.invoice_id is not None

    @staticmethod
    def resolve_line_count(obj: Order) -> int:
        count = getattr(obj, "line_count", None)
        return count if count is not None else obj.lines.count()


class LineOut(Schema):
    product_id: UUID | None
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    line_total: Decimal


class StatusChangeOut(Schema):
    from_status: str
    to_status: str
    at: datetime
    actor: str | None
    note: str


class OrderDetailOut(OrderOut):
    external_id: str | None
    lines: list[LineOut]
    history: list[StatusChangeOut]

    @staticmethod
    def resolve_lines(obj: Order) -> list[dict[str, object]]:
        return [
            {
                "product_id": line.product_id,
                "sku": line.sku,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
            }
            for line in obj.lines.all()
        ]

    @staticmethod
    def resolve_history(obj: Order) -> list[dict[str, object]]:
        return [
            {
                "from_status": change.from_status,
                "to_status": change.to_status,
                "at": change.created_at,
                "actor": change.actor.email if change.actor else None,
                "note": change.note,
            }
            for change in obj.status_changes.select_related("actor")
        ]


class OrderFilterIn(Schema):
    date_from: date | None = Field(default=None, description="Placed on or after this day")
    date_to: date | None = Field(default=None, description="Placed on or before this day")
    status: StatusName | None = None
    product_id: UUID | None = Field(default=None, description="Orders with a line of this product")
    organisation_id: UUID | None = None


class LineIn(InputSchema):
    product_id: UUID
    quantity: Decimal = Field(description="More than zero, at most three decimals")


class OrderIn(InputSchema):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    placed_by_id: UUID | None = Field(
        default=None, description="The customer's contact who ordered (decides per-user visibility)"
    )
    currency: str | None = Field(
        default=None, max_length=3, description="Optional check: must be the products' currency"
    )


class StatusIn(InputSchema):
    status: str = Field(max_length=16)
    note: str = Field(default="", max_length=500)


class ReorderIn(InputSchema):
    message: str = Field(default="", max_length=1000)


class ReorderOut(Schema):
    id: UUID
    order_id: UUID
    created_at: datetime
    new: bool = Field(description="False when the same request was made in the last 24 hours")


class MonthOut(Schema):
    month: str = Field(description="YYYY-MM")
    orders: int


class TopProductOut(Schema):
    product_id: UUID
    name: str
    sku: str
    quantity: Decimal
    orders: int


class SummaryOut(Schema):
    order_count: int
    first_order: datetime | None
    last_order: datetime | None
    average_days_between: float | None
    months: list[MonthOut]
    top_products: list[TopProductOut]


# ---------------------------------------------------------------------------------------------------------
# Helpers


def _order(order: Order) -> Order:
    return (
        Order.objects.select_related("organisation", "placed_by")
        .annotate(line_count=Count("lines"))
        .get(pk=order.pk)
    )


# ---------------------------------------------------------------------------------------------------------
# Orders


def _filters(request: HttpRequest, query: OrderFilterIn) -> OrderFilter:
    organisation = None
    if query.organisation_id is not None:
        organisation = get_organisation_for_user(request.user, query.organisation_id).organisation
    return OrderFilter(
        date_from=query.date_from,
        date_to=query.date_to,
        status=query.status or "",
        product_id=query.product_id,
        organisation=organisation,
    ).clean()


@router.get("/orders", response=list[OrderOut], summary="Orders you see, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_orders(request: HttpRequest, filters: Query[OrderFilterIn]) -> object:
    return order_history(visible_history(request.user), _filters(request, filters))


@router.get(
    "/orders/summary",
    response=SummaryOut,
    summary="How often and what: orders per month (12 months), top 5 products, average days between orders",
)
def orders_summary(request: HttpRequest, organisation_id: UUID | None = None) -> dict[str, object]:
    organisation = None
    if organisation_id is not None:
        organisation = get_organisation_for_user(request.user, organisation_id).organisation
    summary = order_summary(visible_history(request.user, organisation))
    return {
        "order_count": summary.order_count,
        "first_order": summary.first_order,
        "last_order": summary.last_order,
        "average_days_between": summary.average_days_between,
        "months": [{"month": m.month.strftime("%Y-%m"), "orders": m.orders} for m in summary.months],
        "top_products": [product.__dict__ for product in summary.top_products],
    }


@router.get("/orders/{order_id}", response=OrderDetailOut)
def get_order(request: HttpRequest, order_id: UUID) -> Order:
    order = get_order_for_user(request.user, order_id)
    if is_provider_staff(request.user):  # staff access to customer data ("Who accessed my data")
        record_event(
            Action.ORDER_VIEWED,
            actor=request.user,
            organisation=order.organisation,
            target=order,
            request=request,
        )
    return _order(order)


@router.post(
    "/organisations/{organisation_id}/orders",
    response={201: OrderDetailOut},
    summary="Enter an order for a customer (staff): the products' prices and currency",
)
def create_order(request: HttpRequest, organisation_id: UUID, payload: OrderIn) -> Status:
    access = get_organisation_for_user(request.user, organisation_id)
    require_order_creator(access)
    products = {p.pk: p for p in Product.objects.filter(pk__in=[line.product_id for line in payload.lines])}
    unknown = [str(n) for n, line in enumerate(payload.lines, start=1) if line.product_id not in products]
    if unknown:
        raise ValidationError(
            {"lines": [_("Unknown product on line %(lines)s.") % {"lines": ", ".join(unknown)}]}
        )
    placed_by = None
    if payload.placed_by_id is not None:
        placed_by = User.objects.filter(pk=payload.placed_by_id).first()
        if placed_by is None:
            raise ValidationError({"placed_by": [_("Choose a person of this customer.")]})
    order = services.create_order(
        actor=request.user,
        access=access,
        lines=[LineData(product=products[line.product_id], quantity=line.quantity) for line in payload.lines],
        placed_by=placed_by,
        currency=payload.currency or "",
        request=request,
    )
    return Status(201, _order(order))


@router.post("/orders/{order_id}/status", response=OrderDetailOut, summary="Move an order on (staff)")
def change_status(request: HttpRequest, order_id: UUID, payload: StatusIn) -> Order:
    order = get_order_for_user(request.user, order_id, manage=True)
    order = services.change_order_status(
        actor=request.user, order=order, status=payload.status, note=payload.note, request=request
    )
    return _order(order)


@router.post(
    "/orders/{order_id}/invoice",
    response={201: OrderDetailOut},
    summary="Issue the invoice (staff): a PDF stored encrypted, the order becomes invoiced",
)
def issue_invoice(request: HttpRequest, order_id: UUID) -> Status:
    order = get_order_for_user(request.user, order_id, manage=True)
    return Status(201, _order(invoices.issue_invoice(actor=request.user, order=order, request=request)))


@router.get(
    "/orders/{order_id}/invoice",
    response={200: bytes, 206: bytes},
    summary="The invoice PDF (for whoever sees the order)",
)
def invoice_content(request: HttpRequest, order_id: UUID) -> HttpResponse:
    return invoices.invoice_response(request, get_order_for_user(request.user, order_id))


@router.post(
    "/orders/{order_id}/reorder",
    response={201: ReorderOut, 200: ReorderOut},
    summary="Buy again: ask the account manager to repeat the order (customer admins and members)",
)
def reorder(request: HttpRequest, order_id: UUID, payload: ReorderIn | None = Body(None)) -> Status:  # noqa: B008
    order, access = get_order_for_reorder(request.user, order_id)
    reorder_request, new = services.request_reorder(
        actor=request.user,
        order=order,
        access=access,
        message=payload.message if payload else "",
        request=request,
    )
    body = {
        "id": reorder_request.pk,
        "order_id": order.pk,
        "created_at": reorder_request.created_at,
        "new": new,
    }
    return Status(201 if new else 200, body)
