"""Demo catalogue and purchase history for `kundportal demo`: a few products, and a year of orders for the
first demo customer, two of them invoiced (real PDFs, stored encrypted). Idempotent: products match on their
SKU and orders on their external id."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from kundportal.accounts.models import User
from kundportal.commerce.invoices import issue_invoice
from kundportal.commerce.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Product,
    ProductCategory,
)
from kundportal.commerce.services import next_number
from kundportal.commerce.stats import refresh_purchases
from kundportal.organisations.models import Organisation

CATEGORIES = ["Software", "Supplies", "Services"]
PRODUCTS = [
    # sku, name, category, price (SEK), one-off
    ("CAD-STUDIO", "CAD Studio licence", "Software", "12000.00", True),
    ("CAD-UPDATE", "CAD Studio yearly update", "Software", "2400.00", False),
    ("PLOT-A3", "Plotter paper A3 (pack of 500)", "Supplies", "249.00", False),
    ("INK-BLK", "Plotter ink, black", "Supplies", "389.00", False),
    ("SUPPORT-H", "Support hour", "Services", "950.00", False),
    ("TRAIN-DAY", "Training day on site", "Services", "8500.00", False),
]
# days ago, status, lines (sku, quantity), placed by (index into the customer's people)
ORDERS = [
    (330, OrderStatus.PAID, [("CAD-STUDIO", 2), ("TRAIN-DAY", 1)], 0),
    (290, OrderStatus.PAID, [("PLOT-A3", 4), ("INK-BLK", 2)], 1),
    (240, OrderStatus.PAID, [("PLOT-A3", 3)], 1),
    (200, OrderStatus.DELIVERED, [("SUPPORT-H", 3)], 0),
    (150, OrderStatus.PAID, [("PLOT-A3", 5), ("INK-BLK", 3)], 1),
    (95, OrderStatus.DELIVERED, [("CAD-UPDATE", 2)], 0),
    (60, OrderStatus.DELIVERED, [("PLOT-A3", 4)], 1),
    (21, OrderStatus.CONFIRMED, [("INK-BLK", 2), ("SUPPORT-H", 2)], 0),
    (3, OrderStatus.REQUESTED, [("PLOT-A3", 6)], 1),
]
INVOICED = (200, 60)  # delivered orders that get a real invoice


def create_demo_commerce(*, manager: User, organisation: Organisation, people: list[User]) -> None:
    categories = {name: ProductCategory.objects.get_or_create(name=name)[0] for name in CATEGORIES}
    products = {}
    for sku, name, category, price, one_off in PRODUCTS:
        products[sku], _created = Product.objects.get_or_create(
            sku=sku,
            defaults={
                "name": name,
                "category": categories[category],
                "price": Decimal(price),
                "currency": "SEK",
                "one_off": one_off,
            },
        )
    for days, status, lines, person in ORDERS:
        external_id = f"demo-{organisation.pk}-{days}"
        if Order.objects.filter(external_id=external_id).exists():
            continue
        order = Order.objects.create(
            organisation=organisation,
            number=next_number("ORD", "number"),
            external_id=external_id,
            placed_by=people[person % len(people)],
            status=status,
            currency="SEK",
            placed_at=timezone.now() - timedelta(days=days, hours=3),
        )
        order_lines = [
            OrderLine(
                order=order,
                product=products[sku],
                sku=sku,
                description=products[sku].name,
                quantity=Decimal(quantity),
                unit_price=products[sku].price,
                line_total=products[sku].price * quantity,
            )
            for sku, quantity in lines
        ]
        OrderLine.objects.bulk_create(order_lines)
        order.total = sum((line.line_total for line in order_lines), Decimal("0"))
        order.save(update_fields=["total"])
        change = OrderStatusChange.objects.create(
            order=order, from_status="", to_status=status, actor=manager
        )
        # The history starts when the order was placed, not when the demo ran.
        OrderStatusChange.objects.filter(pk=change.pk).update(created_at=order.placed_at)
        if days in INVOICED:
            issue_invoice(actor=manager, order=order)
    refresh_purchases([organisation.pk])
