"""Plain functions that build catalogue and order data for tests in any app (no factory library needed)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import count

from django.utils import timezone

from kundportal.commerce.models import Order, OrderLine, OrderStatus, Product, ProductCategory
from kundportal.commerce.stats import refresh_purchases
from kundportal.customers.models import InterestCategory

_numbers = count(1)


def make_interest(slug: str, name: str = "", *, sv: str = "", de: str = "") -> InterestCategory:
    return InterestCategory.objects.create(slug=slug, name_en=name or slug.title(), name_sv=sv, name_de=de)


def make_category(name: str, *interests: InterestCategory) -> ProductCategory:
    category = ProductCategory.objects.create(name=name)
    category.interest_categories.set(interests)
    return category


def make_product(
    sku: str,
    name: str = "",
    *,
    price: str = "100.00",
    currency: str = "SEK",
    category: ProductCategory | None = None,
) -> Product:
    return Product.objects.create(
        sku=sku, name=name or sku, price=Decimal(price), currency=currency, category=category
    )


def make_order(
    organisation: object,
    *lines: tuple[Product, int],
    placed_by: object | None = None,
    status: str = OrderStatus.CONFIRMED,
    placed_at: datetime | None = None,
    currency: str = "SEK",
) -> Order:
    """An order with `lines` of (product, quantity) at the products' prices; the total is their sum. The
    organisation's purchase figures (commerce.stats) are refreshed, as the services do."""
    order = Order.objects.create(
        organisation=organisation,
        number=f"T-{next(_numbers):06d}",
        placed_by=placed_by,
        status=status,
        currency=currency,
        placed_at=placed_at or timezone.now(),
    )
    total = Decimal("0")
    for product, quantity in lines:
        amount = product.price * quantity
        OrderLine.objects.create(
            order=order,
            product=product,
            sku=product.sku,
            description=product.name,
            quantity=quantity,
            unit_price=product.price,
            line_total=amount,
        )
        total += amount
    order.total = total
    order.save(update_fields=["total"])
    refresh_purchases([order.organisation_id])
    return order
