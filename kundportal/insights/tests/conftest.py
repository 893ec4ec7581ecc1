"""Data for the insights tests. The roles are the root conftest's: alice (provider admin), mads (Acme's account
manager), carl, mia, vera (Acme's admin, member, viewer), otto (the outsider, admin of Other GmbH)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kundportal.commerce.models import OrderStatus, PurchaseSummary, PurchaseTotal
from kundportal.commerce.tests.factories import make_order, make_product
from kundportal.organisations.models import Organisation


def purchases(
    organisation: Organisation,
    *,
    orders: int,
    last: datetime,
    revenue: dict[str, str] | None = None,
) -> Organisation:
    """Hand-made purchase figures, as commerce.stats keeps them: `revenue` is {currency: amount}, the orders
    split over the currencies in their order (the first currency gets the remainder)."""
    PurchaseSummary.objects.update_or_create(
        organisation=organisation,
        defaults={
            "order_count": orders,
            "first_purchase": last - timedelta(days=orders),
            "last_purchase": last,
        },
    )
    revenue = revenue or {"SEK": "100.00"}
    counts = [orders // len(revenue)] * len(revenue)
    counts[0] += orders - sum(counts)
    for (currency, amount), count in zip(revenue.items(), counts, strict=True):
        PurchaseTotal.objects.update_or_create(
            organisation=organisation,
            currency=currency,
            defaults={"order_count": count, "revenue": Decimal(amount)},
        )
    return organisation


def customer(name: str, **kwargs: Any) -> Organisation:
    organisation = Organisation.objects.create(name=name)
    if kwargs:
        purchases(organisation, **kwargs)
    return organisation


def days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def paper(db: None) -> Any:
    return make_product("PAP-A3", "Plotter paper A3", price="100.00")


@pytest.fixture
def euro_paper(db: None) -> Any:
    return make_product("PAP-EU", "Plotter paper (EUR)", price="10.00", currency="EUR")


@pytest.fixture
def acme_orders(organisation: Organisation, paper: Any, euro_paper: Any) -> list[Any]:
    """Acme's three orders this month and last (one in EUR) and a cancelled one, which never counts."""
    return [
        make_order(organisation, (paper, 1), placed_at=days_ago(1)),
        make_order(organisation, (paper, 2), placed_at=days_ago(40)),
        make_order(organisation, (euro_paper, 3), placed_at=days_ago(2), currency="EUR"),
        make_order(organisation, (paper, 50), placed_at=days_ago(3), status=OrderStatus.CANCELLED),
    ]


@pytest.fixture
def other_orders(other_organisation: Organisation, paper: Any) -> list[Any]:
    """Other GmbH (not Acme's manager's): seven big orders, so that any leak into Acme's figures shows."""
    return [make_order(other_organisation, (paper, 70), placed_at=days_ago(5 + n)) for n in range(7)]


def this_month() -> str:
    return timezone.localtime().strftime("%Y-%m")


def today() -> date:
    return timezone.localdate()
