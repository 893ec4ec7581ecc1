"""The purchase history: the orders a user sees, filtered, and a summary of how often and what the customer
buys. A fixed number of queries whatever the number of orders: totals are stored on each order, line counts
are annotated, and the summary is three aggregate queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.commerce.models import Order, OrderLine, OrderStatus
from kundportal.organisations.models import Organisation

SUMMARY_MONTHS = 12
TOP_PRODUCTS = 5


@dataclass(frozen=True)
class OrderFilter:
    date_from: date | None = None
    date_to: date | None = None
    status: str = ""
    product_id: UUID | None = None
    product_text: str = ""  # part of a product name or SKU, as typed on the page
    organisation: Organisation | None = None

    def clean(self) -> OrderFilter:
        errors: dict[str, list[str]] = {}
        if self.date_from and self.date_to and self.date_from > self.date_to:
            errors["date_to"] = [_("The end of the period is before its start.")]
        if self.status and self.status not in OrderStatus.values:
            errors["status"] = [_("Choose one of the order statuses.")]
        if errors:
            raise ValidationError(errors)
        return self


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def visible_history(user: Any, organisation: Organisation | None = None) -> QuerySet[Order]:
    """The orders the user sees (of one organisation): the base of the list, its filter and its summary.
    Built once per request: the visibility rule is a few subqueries, and building them is not free."""
    orders = Order.objects.visible_to(user)
    if organisation is not None:
        orders = orders.filter(organisation=organisation)
    return orders


def order_history(orders: QuerySet[Order], filters: OrderFilter) -> QuerySet[Order]:
    """The orders for the list (page and API), newest first, with their line counts: `orders` are the ones
    the user sees (visible_history), filtered here."""
    if filters.organisation is not None:
        orders = orders.filter(organisation=filters.organisation)
    if filters.date_from:
        orders = orders.filter(placed_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        orders = orders.filter(placed_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.product_id:
        # A subquery, not a join: a join on lines would make the line count below count matching lines only.
        orders = orders.filter(
            Exists(OrderLine.objects.filter(order=OuterRef("pk"), product_id=filters.product_id))
        )
    if filters.product_text:
        term = filters.product_text
        lines = OrderLine.objects.filter(order=OuterRef("pk")).filter(
            Q(sku__iexact=term) | Q(description__icontains=term) | Q(product__name__icontains=term)
        )
        orders = orders.filter(Exists(lines))
    # A correlated subquery rather than Count("lines"): no GROUP BY over every order the user sees, only the
    # rows on the page are counted.
    line_count = (
        OrderLine.objects.filter(order=OuterRef("pk")).order_by().values("order").annotate(n=Count("pk"))
    )
    return (
        orders.select_related("organisation", "placed_by")
        .annotate(line_count=Coalesce(Subquery(line_count.values("n")), 0))
        .order_by("-placed_at", "-number")
    )


@dataclass(frozen=True)
class MonthCount:
    month: date
    orders: int


@dataclass(frozen=True)
class TopProduct:
    product_id: UUID
    name: str
    sku: str
    quantity: Decimal
    orders: int


@dataclass(frozen=True)
class OrderSummary:
    months: list[MonthCount]
    top_products: list[TopProduct]
    order_count: int
    first_order: datetime | None
    last_order: datetime | None
    average_days_between: float | None
    recent_count: int = field(default=0)


def _month_starts(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _index in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def order_summary(orders: QuerySet[Order]) -> OrderSummary:
    """Orders per month over the last twelve months, the five products bought most (by quantity) and the
    average time between orders, of these orders (the ones the user sees). Cancelled orders are not
    purchases and are left out."""
    orders = orders.exclude(status=OrderStatus.CANCELLED)
    months = _month_starts(timezone.localdate(), SUMMARY_MONTHS)
    since = _start_of(months[0])
    per_month = {
        (row["month"].date() if isinstance(row["month"], datetime) else row["month"]): row["count"]
        for row in orders.filter(placed_at__gte=since)
        .annotate(month=TruncMonth("placed_at"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by()
    }
    spread = orders.order_by().aggregate(count=Count("pk"), first=Min("placed_at"), last=Max("placed_at"))
    top = (
        OrderLine.objects.filter(order__in=orders, product__isnull=False)
        .values("product_id", "product__name", "product__sku")
        .annotate(quantity=Sum("quantity"), orders=Count("order", distinct=True))
        .order_by("-quantity", "product__name")[:TOP_PRODUCTS]
    )
    count = spread["count"]
    average = None
    if count >= 2:
        average = (spread["last"] - spread["first"]).total_seconds() / 86400 / (count - 1)
    month_counts = [MonthCount(month=month, orders=per_month.get(month, 0)) for month in months]
    return OrderSummary(
        months=month_counts,
        top_products=[
            TopProduct(
                product_id=row["product_id"],
                name=row["product__name"],
                sku=row["product__sku"],
                quantity=Decimal(row["quantity"]).quantize(Decimal("0.001")),
                orders=row["orders"],
            )
            for row in top
        ],
        order_count=count,
        first_order=spread["first"],
        last_order=spread["last"],
        average_days_between=average,
        recent_count=sum(month.orders for month in month_counts),
    )
