"""Importing orders: one row per line, grouped by the order's external id; customers and products must exist."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kundportal.commerce.models import Order, OrderLine, OrderStatusChange
from kundportal.commerce.tests.factories import make_product
from kundportal.customers.models import CustomerProfile
from kundportal.imports.report import ImportRefused
from kundportal.imports.tests.conftest import make_csv

pytestmark = pytest.mark.django_db

HEADER = [
    "external_id",
    "customer",
    "number",
    "placed_at",
    "status",
    "currency",
    "sku",
    "quantity",
    "unit_price",
]


def line(order: str, sku: str, **changes: str) -> list[str]:
    values = {
        "external_id": order,
        "customer": "K-1",
        "number": f"N-{order}",
        "placed_at": "2026-10-01",
        "status": "confirmed",
        "currency": "SEK",
        "sku": sku,
        "quantity": "2",
        "unit_price": "100.00",
    }
    values.update(changes)
    return [values[column] for column in HEADER]


def orders_csv(*rows: list[str]) -> bytes:
    return make_csv([HEADER, *rows])


def codes(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(e.row, e.column, e.code) for e in sorted(report.errors, key=lambda e: (e.row, e.column))]


@pytest.fixture
def catalogue(organisation, other_organisation):  # type: ignore[no-untyped-def]
    CustomerProfile.objects.create(organisation=organisation, external_id="K-1")
    CustomerProfile.objects.create(organisation=other_organisation, external_id="K-2")
    return {
        "drill": make_product("DRILL", "Drill", price="999.00"),
        "bits": make_product("BITS", "Bits", price="49.50"),
        "euro": make_product("EURO", "Euro thing", price="10.00", currency="EUR"),
    }


def test_it_groups_lines_into_orders_with_totals_and_history(run, catalogue, organisation, provider_admin):
    data = orders_csv(
        line("O-1", "DRILL"),
        line("O-2", "BITS", quantity="10"),
        line("O-1", "BITS", quantity="1", unit_price=""),
    )
    report = run(data, "orders")
    assert report.ok and report.counts == {"rows": 3, "create": 2, "update": 0, "unchanged": 0, "error": 0}
    order = Order.objects.get(external_id="O-1")
    assert (order.organisation, order.number, order.status, order.currency) == (
        organisation,
        "N-O-1",
        "confirmed",
        "SEK",
    )
    assert order.total == Decimal("249.50")  # 2 x 100.00 + 1 x 49.50 (the product's price)
    assert sorted(order.lines.values_list("sku", "description", "quantity", "line_total")) == [
        ("BITS", "Bits", Decimal("1.000"), Decimal("49.50")),
        ("DRILL", "Drill", Decimal("2.000"), Decimal("200.00")),
    ]
    (change,) = OrderStatusChange.objects.filter(order=order)
    assert (change.from_status, change.to_status, change.actor) == ("", "confirmed", provider_admin)


def test_the_same_file_twice_changes_nothing(run, catalogue):
    data = orders_csv(line("O-1", "DRILL"), line("O-1", "BITS"))
    run(data, "orders")
    before = list(OrderLine.objects.order_by("pk").values_list("pk", flat=True))
    report = run(data, "orders")
    assert report.counts == {"rows": 2, "create": 0, "update": 0, "unchanged": 1, "error": 0}
    assert list(OrderLine.objects.order_by("pk").values_list("pk", flat=True)) == before
    assert OrderStatusChange.objects.count() == 1


def test_it_moves_the_status_forward_and_replaces_changed_lines(run, catalogue):
    run(orders_csv(line("O-1", "DRILL"), line("O-1", "BITS")), "orders")
    report = run(orders_csv(line("O-1", "DRILL", status="paid", quantity="3")), "orders")
    assert report.updated == 1
    order = Order.objects.get()
    assert (order.status, order.total) == ("paid", Decimal("300.00"))
    assert list(order.lines.values_list("sku", flat=True)) == ["DRILL"]
    assert list(order.status_changes.values_list("from_status", "to_status")) == [
        ("", "confirmed"),
        ("confirmed", "paid"),
    ]


def test_it_refuses_a_status_going_back(run, catalogue):
    run(orders_csv(line("O-1", "DRILL", status="paid")), "orders")
    report = run(orders_csv(line("O-1", "DRILL", status="requested")), "orders")
    assert codes(report) == [(2, "status", "impossible_status")]
    assert report.errors[0].message == "An order that is Paid cannot become Requested."
    assert Order.objects.get().status == "paid"


def test_an_empty_status_keeps_the_orders_own(run, catalogue):
    run(orders_csv(line("O-1", "DRILL", status="shipped")), "orders")
    assert run(orders_csv(line("O-1", "DRILL", status="")), "orders").unchanged == 1


def test_the_lines_of_an_invoiced_order_cannot_change(run, catalogue):
    from kundportal.documents.models import Document, Folder

    run(orders_csv(line("O-1", "DRILL")), "orders")
    order = Order.objects.get()
    folder = Folder.objects.create(organisation=order.organisation, name="Invoices")
    order.invoice = Document.objects.create(
        organisation=order.organisation, folder=folder, name="inv.pdf", name_key="inv.pdf"
    )
    order.save()
    report = run(orders_csv(line("O-1", "DRILL", quantity="5")), "orders")
    assert codes(report) == [(2, "sku", "invoiced_lines")]


def test_an_unknown_customer_and_an_unknown_sku_are_reported(run, catalogue):
    report = run(
        orders_csv(line("O-1", "DRILL", customer="K-404"), line("O-2", "NOPE"), line("O-3", "DRILL")),
        "orders",
    )
    assert codes(report) == [(2, "customer", "unknown_customer"), (3, "sku", "unknown_sku")]
    assert report.errors[0].message == "No customer has the external id “K-404”. Import the customers first."
    assert report.failed == 2 and report.created == 1
    assert not Order.objects.exists()


def test_order_cells_must_agree_on_every_line(run, catalogue):
    report = run(
        orders_csv(line("O-1", "DRILL"), line("O-1", "BITS", currency="EUR", placed_at="2026-10-02")),
        "orders",
    )
    assert codes(report) == [(3, "currency", "differs_in_order"), (3, "placed_at", "differs_in_order")]


def test_an_order_number_cannot_belong_to_two_orders(run, catalogue):
    report = run(orders_csv(line("O-1", "DRILL", number="N-1"), line("O-2", "DRILL", number="N-1")), "orders")
    assert codes(report) == [(3, "number", "duplicate_number")]
    run(orders_csv(line("O-1", "DRILL", number="N-1")), "orders")
    report = run(orders_csv(line("O-9", "DRILL", number="N-1")), "orders")
    assert codes(report) == [(2, "number", "number_taken")]


def test_an_import_cannot_move_an_order_to_another_customer(run, catalogue):
    run(orders_csv(line("O-1", "DRILL")), "orders")
    report = run(orders_csv(line("O-1", "DRILL", customer="K-2")), "orders")
    assert codes(report) == [(2, "customer", "other_customer")]


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"currency": "BTC"}, "currency", "invalid_currency"),
        ({"quantity": "0"}, "quantity", "not_positive"),
        ({"quantity": "zwei"}, "quantity", "invalid_number"),
        ({"unit_price": "12.345"}, "unit_price", "too_many_decimals"),
        ({"placed_at": "yesterday"}, "placed_at", "invalid_date"),
        ({"placed_at": "2031-02-30"}, "placed_at", "invalid_date"),
        ({"placed_at": "2099-01-01"}, "placed_at", "future_date"),
        ({"status": "lost"}, "status", "invalid_status"),
        ({"sku": "EURO", "unit_price": ""}, "unit_price", "price_needed"),
        ({"customer": ""}, "customer", "required"),
        ({"sku": "DR\x00ILL"}, "sku", "nul"),
    ],
)
def test_it_reports_bad_values_and_changes_nothing(run, catalogue, change, column, code):
    change = dict(change)
    report = run(
        orders_csv(line("O-1", "DRILL"), line("O-2", change.pop("sku", "DRILL"), **change)), "orders"
    )
    assert (3, column, code) in codes(report)
    assert not Order.objects.exists()


def test_it_reads_german_dates_and_swedish_statuses(run, catalogue):
    data = make_csv(
        [
            ["Ordernummer", "Kundnummer", "Orderdatum", "Status", "Valuta", "Artikelnummer", "Antal", "Pris"],
            ["2026-77", "K-1", "24.11.2026 09:30", "levererad", "SEK", "DRILL", "1", "999,00"],
        ],
        delimiter=";",
    )
    # "Ordernummer" is the order number: without an external id column the file cannot be imported.
    with pytest.raises(ImportRefused) as refused:
        run(data, "orders")
    assert [e.code for e in refused.value.report.errors] == ["missing_column"]
    data = make_csv(
        [
            ["Order-ID", "Kundnummer", "Orderdatum", "Status", "Valuta", "Artikelnummer", "Antal", "Pris"],
            ["2026-77", "K-1", "01.11.2026 09:30", "levererad", "SEK", "DRILL", "1", "999,00"],
        ],
        delimiter=";",
    )
    assert run(data, "orders").ok
    order = Order.objects.get()
    assert (order.status, order.number, order.placed_at.day, order.placed_at.month) == (
        "delivered",
        "2026-77",
        1,
        11,
    )


def test_the_customers_inferred_interests_are_recounted_after_the_import(
    run, catalogue, organisation, django_capture_on_commit_callbacks
):
    from kundportal.commerce.models import ProductCategory
    from kundportal.commerce.tests.factories import make_interest
    from kundportal.customers.models import CustomerInterest

    tools = make_interest("tools")
    category = ProductCategory.objects.create(name="Power tools")
    category.interest_categories.set([tools])
    catalogue["drill"].category = category
    catalogue["drill"].save()
    with django_capture_on_commit_callbacks(execute=True):
        assert run(orders_csv(line("O-1", "DRILL", quantity="3")), "orders").ok
    interest = CustomerInterest.objects.get(organisation=organisation, category=tools)
    assert interest.inferred_items == 3
