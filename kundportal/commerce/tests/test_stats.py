"""Purchase figures (commerce.stats): every change to an organisation's orders leaves its summary and its totals
per currency equal to what the orders say, whichever way the orders changed."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from decimal import Decimal
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from kundportal.commerce import stats, tasks
from kundportal.commerce.models import Order, OrderStatus, PurchaseSummary, PurchaseTotal
from kundportal.commerce.services import change_order_status
from kundportal.commerce.tests.conftest import JSON
from kundportal.commerce.tests.factories import make_order, make_product
from kundportal.customers.models import CustomerProfile
from kundportal.imports.tests.conftest import make_csv
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def at(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(day))


def stored(organisation) -> dict:
    """The organisation's figures as commerce.stats keeps them (None: no summary row)."""
    summary = PurchaseSummary.objects.filter(organisation=organisation).first()
    if summary is None:
        return {}
    return {
        "order_count": summary.order_count,
        "first_purchase": summary.first_purchase,
        "last_purchase": summary.last_purchase,
        "totals": {
            total.currency: (total.order_count, total.revenue)
            for total in PurchaseTotal.objects.filter(organisation=organisation)
        },
    }


def counted(organisation) -> dict:
    """The same figures counted from the orders themselves."""
    live = Order.objects.filter(organisation=organisation).exclude(status=OrderStatus.CANCELLED)
    totals: dict[str, tuple[int, Decimal]] = {}
    for order in live:
        count, revenue = totals.get(order.currency, (0, Decimal("0.00")))
        totals[order.currency] = (count + 1, revenue + order.total)
    dates = [order.placed_at for order in live]
    return {
        "order_count": len(dates),
        "first_purchase": min(dates, default=None),
        "last_purchase": max(dates, default=None),
        "totals": totals,
    }


def run_orders_import(actor, *rows: list[str]):
    from kundportal.imports.parsers import decode, read_csv
    from kundportal.imports.services import run_import

    header = ["external_id", "customer", "placed_at", "status", "currency", "sku", "quantity", "unit_price"]
    text, encoding = decode(make_csv([header, *rows]), "orders")
    table = read_csv(text, "orders", encoding=encoding)
    report = run_import(actor=actor, table=table, dry_run=False, source="test")
    assert report.ok, report.errors
    return report


def test_an_order_entered_by_staff_counts_at_once(api_client, account_manager, organisation, paper):
    body = {"lines": [{"product_id": str(paper.pk), "quantity": 3}]}
    response = api_client(account_manager).post(
        f"/api/v1/organisations/{organisation.pk}/orders", body, **JSON
    )
    assert response.status_code == 201
    order = Order.objects.get()
    assert stored(organisation) == counted(organisation)
    assert stored(organisation) == {
        "order_count": 1,
        "first_purchase": order.placed_at,
        "last_purchase": order.placed_at,
        "totals": {"SEK": (1, Decimal("298.50"))},
    }


def test_a_cancelled_order_leaves_a_zero_row(account_manager, organisation, paper):
    order = make_order(organisation, (paper, 2), status=OrderStatus.REQUESTED)
    assert stored(organisation)["totals"] == {"SEK": (1, Decimal("199.00"))}
    change_order_status(actor=account_manager, order=order, status=OrderStatus.CANCELLED)
    assert stored(organisation) == counted(organisation)
    assert stored(organisation) == {
        "order_count": 0,
        "first_purchase": None,
        "last_purchase": None,
        "totals": {},
    }


def test_moving_on_keeps_the_figures(account_manager, organisation, paper):
    order = make_order(organisation, (paper, 1), status=OrderStatus.REQUESTED)
    change_order_status(actor=account_manager, order=order, status=OrderStatus.CONFIRMED)
    change_order_status(actor=account_manager, order=order, status=OrderStatus.SHIPPED)
    assert stored(organisation) == counted(organisation)
    assert stored(organisation)["order_count"] == 1


def test_two_currencies_have_a_total_each_and_a_gone_one_is_deleted(
    account_manager, organisation, paper, euro_service
):
    make_order(organisation, (paper, 2), placed_at=at("2026-02-01"))
    make_order(organisation, (paper, 1), placed_at=at("2026-04-01"))
    euro = make_order(
        organisation,
        (euro_service, 3),
        placed_at=at("2026-03-01"),
        currency="EUR",
        status=OrderStatus.REQUESTED,
    )
    assert stored(organisation) == counted(organisation)
    assert stored(organisation)["totals"] == {"SEK": (2, Decimal("298.50")), "EUR": (1, Decimal("240.00"))}
    assert (stored(organisation)["first_purchase"], stored(organisation)["last_purchase"]) == (
        at("2026-02-01"),
        at("2026-04-01"),
    )
    change_order_status(actor=account_manager, order=euro, status=OrderStatus.CANCELLED)
    assert stored(organisation)["totals"] == {"SEK": (2, Decimal("298.50"))}
    assert stored(organisation)["order_count"] == 2


def test_an_import_refreshes_every_customer_it_touched(provider_admin, organisation, other_organisation):
    CustomerProfile.objects.create(organisation=organisation, external_id="K-1")
    CustomerProfile.objects.create(organisation=other_organisation, external_id="K-2")
    make_product("DRILL", price="999.00")
    make_product("EURO", price="10.00", currency="EUR")
    untouched = Organisation.objects.create(name="Quiet AB")
    run_orders_import(
        provider_admin,
        ["O-1", "K-1", "2026-10-01", "confirmed", "SEK", "DRILL", "2", "100.00"],
        ["O-1", "K-1", "2026-10-01", "confirmed", "SEK", "EURO", "1", "50.00"],
        ["O-2", "K-1", "2026-10-05", "paid", "EUR", "EURO", "3", ""],
        ["O-3", "K-2", "2026-09-01", "confirmed", "SEK", "DRILL", "1", ""],
    )
    assert stored(organisation)["totals"] == {"SEK": (1, Decimal("250.00")), "EUR": (1, Decimal("30.00"))}
    assert stored(other_organisation)["totals"] == {"SEK": (1, Decimal("999.00"))}
    # Changed lines change the total; a cancelled order stops counting; a status moving on changes nothing.
    run_orders_import(
        provider_admin,
        ["O-1", "K-1", "2026-10-01", "shipped", "SEK", "DRILL", "5", "100.00"],
        ["O-3", "K-2", "2026-09-01", "cancelled", "SEK", "DRILL", "1", ""],
    )
    for customer in (organisation, other_organisation):
        assert stored(customer) == counted(customer)
    assert stored(organisation)["totals"] == {"SEK": (1, Decimal("500.00")), "EUR": (1, Decimal("30.00"))}
    assert stored(organisation)["last_purchase"] == at("2026-10-05")
    assert stored(other_organisation) == {
        "order_count": 0,
        "first_purchase": None,
        "last_purchase": None,
        "totals": {},
    }
    assert stored(untouched) == {}


def test_the_full_rebuild_repairs_orders_written_around_the_services(organisation, other_organisation, paper):
    make_order(organisation, (paper, 1), placed_at=at("2026-01-01"))
    Order.objects.bulk_create(
        Order(
            organisation=organisation if n % 2 else other_organisation,
            number=f"BULK-{n}",
            status=OrderStatus.CANCELLED if n == 3 else OrderStatus.DELIVERED,
            currency="SEK" if n < 4 else "NOK",
            total=Decimal("10.00") * n,
            placed_at=at(f"2026-0{n}-15"),
        )
        for n in range(1, 6)
    )
    PurchaseSummary.objects.filter(organisation=organisation).update(segment="champions", recency_score=5)
    never = Organisation.objects.create(name="Never AB")
    assert stats.refresh_all_purchases() == 3
    for customer in (organisation, other_organisation, never):
        assert stored(customer) == counted(customer)
    assert stored(organisation)["totals"] == {"SEK": (2, Decimal("109.50")), "NOK": (1, Decimal("50.00"))}
    assert stored(other_organisation)["totals"] == {
        "SEK": (1, Decimal("20.00")),
        "NOK": (1, Decimal("40.00")),
    }
    assert stored(never) == {"order_count": 0, "first_purchase": None, "last_purchase": None, "totals": {}}
    # The RFM scores belong to the insights task: a refresh leaves them.
    summary = PurchaseSummary.objects.get(organisation=organisation)
    assert (summary.segment, summary.recency_score) == ("champions", 5)


def test_the_refresh_goes_in_chunks(monkeypatch, organisation, other_organisation, paper):
    monkeypatch.setattr(stats, "CHUNK", 1)
    customers = [organisation, other_organisation, Organisation.objects.create(name="Third AB")]
    for customer in customers:
        make_order(customer, (paper, 2))
    PurchaseTotal.objects.all().delete()
    PurchaseSummary.objects.all().delete()
    stats.refresh_purchases([str(customer.pk) for customer in customers])
    assert [stored(customer)["totals"] for customer in customers] == [{"SEK": (1, Decimal("199.00"))}] * 3


def test_the_migration_builds_the_figures_of_existing_orders(organisation, other_organisation, paper):
    make_order(organisation, (paper, 1))
    make_order(other_organisation, (paper, 4), status=OrderStatus.CANCELLED)
    PurchaseSummary.objects.update(order_count=99)
    migration = import_module("kundportal.commerce.migrations.0006_build_purchase_summaries")
    migration.build_purchase_summaries(apps, None)
    for customer in (organisation, other_organisation):
        assert stored(customer) == counted(customer)


def test_the_nightly_task_rebuilds_once_a_night(organisation, paper, monkeypatch):
    make_order(organisation, (paper, 1))
    PurchaseSummary.objects.update(order_count=7)
    zone = timezone.get_current_timezone()
    monkeypatch.setattr(timezone, "localtime", lambda *a: datetime(2026, 3, 1, 1, 30, tzinfo=zone))
    assert tasks.refresh_purchases_nightly.call() == 0  # before 02:00
    assert stored(organisation)["order_count"] == 7
    monkeypatch.setattr(timezone, "localtime", lambda *a: datetime(2026, 3, 1, 2, 5, tzinfo=zone))
    assert tasks.refresh_purchases_nightly.call() == 1
    assert stored(organisation)["order_count"] == 1
    assert tasks.refresh_purchases_nightly.call() == 0  # once that night
    assert tasks.refresh_all_purchases.enqueue().return_value == 1


@pytest.mark.django_db(transaction=True)
def test_two_transactions_refreshing_one_organisation_both_count(organisation, paper):
    """PostgreSQL: the second refresh waits for the first transaction's lock on the summary and then counts its
    order too, instead of overwriting the summary with a count that misses it."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time")
    first_refreshed, second_started = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                make_order(organisation, (paper, 1))
                first_refreshed.set()
                second_started.wait(10)
                time.sleep(0.5)  # the second is now waiting for the lock (or has counted without it)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_refreshed.wait(10)
            second_started.set()
            with transaction.atomic():
                make_order(organisation, (paper, 2))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert stored(organisation) == counted(organisation)
    assert stored(organisation)["totals"] == {"SEK": (2, Decimal("298.50"))}
