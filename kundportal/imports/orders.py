"""Importing orders: one row per order line, grouped by the order's external_id.

The order-level cells (customer, number, date, status, currency) must agree on every row of an order. The
customer is found by its external id and each line's product by its SKU; a line without a unit price takes
the product's price when it is in the order's currency. An existing order is updated in place: its lines
replaced when they differ (never once it has an invoice), its status moved only forward along
commerce.models.TRANSITIONS (an ERP may skip steps; it may not go back), each change in its status history.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext

from kundportal.commerce.models import (
    TRANSITIONS,
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Product,
)
from kundportal.commerce.stats import refresh_purchases
from kundportal.customers.models import CustomerProfile
from kundportal.imports.base import Importer, Plan, Writer, chunked, reading
from kundportal.imports.products import CURRENCY_CHOICES, CURRENCY_CODES
from kundportal.imports.progress import NO_PROGRESS, Progress
from kundportal.imports.values import Cells

if TYPE_CHECKING:
    from kundportal.accounts.models import User
    from kundportal.imports.parsers import Table

CENT = Decimal("0.01")
STATUSES = {
    **{s.value: s.value for s in OrderStatus},
    # Swedish and German words ERPs write
    "förfrågan": OrderStatus.REQUESTED,
    "begärd": OrderStatus.REQUESTED,
    "angefragt": OrderStatus.REQUESTED,
    "anfrage": OrderStatus.REQUESTED,
    "bekräftad": OrderStatus.CONFIRMED,
    "bestätigt": OrderStatus.CONFIRMED,
    "skickad": OrderStatus.SHIPPED,
    "levererad": OrderStatus.DELIVERED,
    "versandt": OrderStatus.SHIPPED,
    "versendet": OrderStatus.SHIPPED,
    "geliefert": OrderStatus.DELIVERED,
    "zugestellt": OrderStatus.DELIVERED,
    "fakturerad": OrderStatus.INVOICED,
    "fakturiert": OrderStatus.INVOICED,
    "berechnet": OrderStatus.INVOICED,
    "betald": OrderStatus.PAID,
    "bezahlt": OrderStatus.PAID,
    "avbruten": OrderStatus.CANCELLED,
    "makulerad": OrderStatus.CANCELLED,
    "storniert": OrderStatus.CANCELLED,
    "canceled": OrderStatus.CANCELLED,
}
STATUS_CHOICES = ", ".join(s.value for s in OrderStatus)
HEADER = ("customer", "number", "placed_at", "status", "currency")


def reachable(current: str, wanted: str) -> bool:
    """Whether `wanted` follows `current` through any number of allowed steps."""
    queue, seen = deque([current]), {current}
    while queue:
        for following in TRANSITIONS.get(queue.popleft(), set()):
            if following == wanted:
                return True
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return False


@dataclass
class LineRow:
    number: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal | None


@dataclass
class OrderRow:
    number: int  # the first row of the order
    external_id: str
    header: dict[str, Any]  # customer, number, placed_at, status, currency
    lines: list[LineRow] = field(default_factory=list)
    failed: bool = False
    organisation_id: Any = None
    total: Decimal = Decimal(0)
    resolved: list[tuple[Product, LineRow, Decimal]] = field(default_factory=list)  # product, line, price


@dataclass
class OrderPlan(Plan):
    new: list[OrderRow] = field(default_factory=list)
    changed: list[tuple[Order, OrderRow, bool]] = field(default_factory=list)  # order, row, lines changed


class OrderImporter(Importer):
    kind = "orders"

    def plan(self, table: Table, *, actor: User, progress: Progress = NO_PROGRESS) -> OrderPlan:
        report = table.new_report()
        plan = OrderPlan(report=report)
        orders = self._read(table, plan, progress)
        valid = [o for o in orders.values() if not o.failed]
        customers = self._customers({o.header["customer"] for o in valid})
        products = self._products({line.sku for o in valid for line in o.lines})
        existing = self._existing([o.external_id for o in valid])
        numbers = self._numbers_taken(valid, existing)
        for order in valid:
            self._resolve(order, customers, products, numbers, plan)
            if order.failed:
                continue
            current = existing.get(order.external_id)
            if current is None:
                plan.new.append(order)
                continue
            outcome = self._compare(current, order, plan)
            if outcome is None:
                order.failed = True
            elif outcome:
                plan.changed.append((current, order, outcome == "lines"))
            else:
                report.unchanged += 1
        report.failed = sum(1 for o in orders.values() if o.failed)
        report.created = len(plan.new)
        report.updated = len(plan.changed)
        return plan

    # --- reading ------------------------------------------------------------------------------------------

    def _read(self, table: Table, plan: OrderPlan, progress: Progress) -> dict[str, OrderRow]:
        report = plan.report
        failed_rows = {error.row for error in report.errors}
        orders: dict[str, OrderRow] = {}
        numbers: dict[str, tuple[str, int]] = {}  # order number -> (external id, first row)
        has_number = "number" in table.columns
        orphans = 0
        for source in reading(progress, table.rows):
            cells = Cells(report, source)
            external_id = cells.identifier("external_id")
            header = self._header(cells, external_id, has_number)
            sku = cells.identifier("sku", max_length=64)
            description = cells.text("description", max_length=255)
            quantity = (
                cells.decimal("quantity", places=3, digits=12, positive=True)
                if cells.raw("quantity")
                else Decimal(1)
            )
            unit_price = cells.decimal("unit_price", places=2, digits=12)
            if not external_id:
                orphans += 1  # no order to count it against
                continue
            order = orders.get(external_id)
            if order is None:
                order = orders[external_id] = OrderRow(source.number, external_id, header)
                number = header.get("number")
                if number and number in numbers and numbers[number][0] != external_id:
                    cells.error("number", "duplicate_number", value=number, first=numbers[number][1])
                elif number:
                    numbers[number] = (external_id, source.number)
            else:
                for column in HEADER:
                    mine, first = header[column], order.header[column]
                    if mine is not None and first is not None and mine != first:
                        cells.error(column, "differs_in_order", first=order.number)
            if cells.failed or source.number in failed_rows or any(v is None for v in header.values()):
                order.failed = True
                continue
            assert sku and quantity is not None
            order.lines.append(LineRow(source.number, sku, description or "", quantity, unit_price))
        report.failed += orphans
        return orders

    @staticmethod
    def _header(cells: Cells, external_id: str | None, has_number: bool) -> dict[str, Any]:
        """The order-level cells of one row. An empty status keeps an existing order's own (a new one is
        confirmed)."""
        status = cells.choice("status", STATUSES, code="invalid_status", choices=STATUS_CHOICES)
        currency = cells.choice("currency", CURRENCY_CODES, code="invalid_currency", choices=CURRENCY_CHOICES)
        if currency == "":
            cells.error("currency", "required")
            currency = None
        return {
            "customer": cells.identifier("customer"),
            "number": cells.identifier("number", max_length=40) if has_number else (external_id or "")[:40],
            "placed_at": cells.moment("placed_at"),
            "status": status,
            "currency": currency,
        }

    # --- looking up ---------------------------------------------------------------------------------------

    @staticmethod
    def _customers(external_ids: set[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for chunk in chunked(sorted(external_ids)):
            found.update(
                CustomerProfile.objects.filter(external_id__in=chunk).values_list(
                    "external_id", "organisation_id"
                )
            )
        return found

    @staticmethod
    def _products(skus: set[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for chunk in chunked(sorted(skus)):
            found.update(
                (p.sku, p)
                for p in Product.objects.filter(sku__in=chunk).only("pk", "sku", "name", "price", "currency")
            )
        return found

    @staticmethod
    def _existing(external_ids: list[str]) -> dict[str, Order]:
        found: dict[str, Order] = {}
        for chunk in chunked(external_ids):
            for order in Order.objects.filter(external_id__in=chunk).prefetch_related("lines"):
                found[order.external_id or ""] = order
        return found

    @staticmethod
    def _numbers_taken(orders: list[OrderRow], existing: dict[str, Order]) -> set[str]:
        """Order numbers in the database that belong to another order than the one importing them."""
        taken: set[str] = set()
        for chunk in chunked(orders):
            rows = Order.objects.filter(number__in=[o.header["number"] for o in chunk]).values_list(
                "number", "external_id"
            )
            mine = {o.header["number"]: o.external_id for o in chunk}
            taken.update(number for number, external_id in rows if external_id != mine.get(number))
        return taken

    def _resolve(
        self,
        order: OrderRow,
        customers: dict[str, Any],
        products: dict[str, Product],
        numbers: set[str],
        plan: OrderPlan,
    ) -> None:
        report = plan.report
        header = order.header
        order.organisation_id = customers.get(header["customer"])
        if order.organisation_id is None:
            report.add(order.number, "customer", "unknown_customer", value=header["customer"])
            order.failed = True
        if header["number"] in numbers:
            report.add(order.number, "number", "number_taken", value=header["number"])
            order.failed = True
        if not order.lines:
            report.add(order.number, "sku", "no_lines")
            order.failed = True
        total = Decimal(0)
        for line in order.lines:
            product = products.get(line.sku)
            if product is None:
                report.add(line.number, "sku", "unknown_sku", value=line.sku)
                order.failed = True
                continue
            price = line.unit_price
            if price is None:
                if product.currency != header["currency"]:
                    report.add(line.number, "unit_price", "price_needed", currency=product.currency)
                    order.failed = True
                    continue
                price = product.price
            order.resolved.append((product, line, price))
            total += (line.quantity * price).quantize(CENT)
        order.total = total

    # --- comparing ----------------------------------------------------------------------------------------

    def _compare(self, current: Order, order: OrderRow, plan: OrderPlan) -> str | None:
        """ "" if unchanged, "header" or "lines" if changed, None if the change is refused (reported)."""
        report, header = plan.report, order.header
        if current.organisation_id != order.organisation_id:
            report.add(order.number, "customer", "other_customer")
            return None
        # Descriptions count only when the file has them: a product renamed since must not look like a change.
        described = plan.report.columns.get("description") is not None
        old_lines = sorted(
            (line.sku, line.description if described else "", line.quantity, line.unit_price)
            for line in current.lines.all()
        )
        new_lines = sorted(
            (p.sku, (line.description or p.name) if described else "", line.quantity, price)
            for p, line, price in order.resolved
        )
        lines_changed = old_lines != new_lines or current.currency != header["currency"]
        if lines_changed and current.invoice_id is not None:
            report.add(order.number, "sku", "invoiced_lines")
            return None
        status = header["status"] = header["status"] or current.status
        if current.status != status and not reachable(current.status, status):
            report.add(order.number, "status", "impossible_status", current=current.status, next=status)
            return None
        if lines_changed:
            return "lines"
        placed_at: datetime = header["placed_at"]
        if current.number != header["number"] or current.placed_at != placed_at or current.status != status:
            return "header"
        return ""

    # --- applying -----------------------------------------------------------------------------------------

    def apply(self, plan: Plan, *, actor: User, progress: Progress = NO_PROGRESS) -> None:
        assert isinstance(plan, OrderPlan)
        note = gettext("Imported")
        orders: list[Order] = []
        lines: list[OrderLine] = []
        history: list[OrderStatusChange] = []
        for row in plan.new:
            order = Order(
                organisation_id=row.organisation_id,
                number=row.header["number"],
                external_id=row.external_id,
                status=row.header["status"] or OrderStatus.CONFIRMED,
                currency=row.header["currency"],
                placed_at=row.header["placed_at"],
                total=row.total,
            )
            orders.append(order)
            lines.extend(_lines(order, row))
            history.append(
                OrderStatusChange(order=order, from_status="", to_status=order.status, actor=actor, note=note)
            )
        replaced: list[Any] = []
        updated: list[Order] = []
        for order, row, lines_changed in plan.changed:
            if order.status != row.header["status"]:
                history.append(
                    OrderStatusChange(
                        order=order,
                        from_status=order.status,
                        to_status=row.header["status"],
                        actor=actor,
                        note=note,
                    )
                )
            order.number = row.header["number"]
            order.status = row.header["status"]
            order.currency = row.header["currency"]
            order.placed_at = row.header["placed_at"]
            order.total = row.total
            updated.append(order)
            if lines_changed:
                replaced.append(order.pk)
                lines.extend(_lines(order, row))
        writer = Writer(progress, len(orders) + len(updated) + len(lines) + len(history))
        writer.create(Order, orders)
        writer.update(Order, updated, ["number", "status", "currency", "placed_at", "total"])
        for chunk in chunked(replaced):
            OrderLine.objects.filter(order_id__in=chunk).delete()
        writer.create(OrderLine, lines)
        writer.create(OrderStatusChange, history)
        touched = sorted({str(o.organisation_id) for o in orders} | {str(o.organisation_id) for o in updated})
        # The purchase figures in this transaction, once for every customer whose orders changed.
        refresh_purchases(touched)
        # bulk_create sends no post_save: recount these customers' inferred interests ourselves, once the
        # transaction has committed (as customers.receivers does for orders saved one by one).
        if touched:
            from kundportal.imports.tasks import recompute_interests_after_import
            from kundportal.recommendations.tasks import recompute_organisations

            transaction.on_commit(lambda: recompute_interests_after_import.enqueue(touched))
            transaction.on_commit(lambda: recompute_organisations.enqueue(touched), robust=True)


def _lines(order: Order, row: OrderRow) -> list[OrderLine]:
    return [
        OrderLine(
            order=order,
            product=product,
            sku=product.sku,
            description=line.description or product.name[:255],
            quantity=line.quantity,
            unit_price=price,
            line_total=(line.quantity * price).quantize(CENT),
        )
        for product, line, price in row.resolved
    ]
