"""Each organisation's purchase figures (PurchaseSummary, PurchaseTotal per currency), derived from its orders.

Whoever writes orders, or changes their status or total, calls refresh_purchases() with the organisations
touched, in the same transaction: the staff customer list filters and sorts on these tables instead of
aggregating every order per request. refresh_all_purchases() rebuilds everything (the nightly task, data
written around the services). Cancelled orders do not count; amounts are never converted between currencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import batched
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q, Sum

from kundportal.commerce.models import Order, OrderStatus, PurchaseSummary, PurchaseTotal
from kundportal.organisations.models import Organisation

# Organisations per round: bounds the memory and the size of every IN (...) list.
CHUNK = 500
CENT = Decimal("0.01")


def refresh_purchases(organisation_ids: Iterable[UUID | str]) -> None:
    """Recompute the figures of these organisations from their orders: a summary row for every one of them
    (zero for an organisation without purchases), a total for each currency it bought in, and none for the
    currencies it no longer has purchases in."""
    ids = sorted({UUID(str(organisation_id)) for organisation_id in organisation_ids})
    for chunk in batched(ids, CHUNK):
        with transaction.atomic():
            _refresh(chunk)


def refresh_all_purchases() -> int:
    """Rebuild the figures of every organisation; returns how many there are."""
    ids = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    refresh_purchases(ids)
    return len(ids)


def _refresh(ids: Sequence[UUID]) -> None:
    if connection.features.has_select_for_update:
        _lock(ids)
    groups = (
        Order.objects.filter(organisation_id__in=ids)
        .exclude(status=OrderStatus.CANCELLED)
        .order_by()
        .values_list("organisation_id", "currency")
        .annotate(count=Count("*"), revenue=Sum("total"), first=Min("placed_at"), last=Max("placed_at"))
    )
    summaries = {organisation_id: PurchaseSummary(organisation_id=organisation_id) for organisation_id in ids}
    totals: list[PurchaseTotal] = []
    currencies: dict[str, list[UUID]] = {}
    for organisation_id, currency, count, revenue, first, last in groups:
        summary = summaries[organisation_id]
        summary.order_count += count
        summary.first_purchase = min(filter(None, (summary.first_purchase, first)), default=None)
        summary.last_purchase = max(filter(None, (summary.last_purchase, last)), default=None)
        # SQLite sums decimals without their scale (300, not 300.00).
        amount = (revenue or Decimal(0)).quantize(CENT)
        totals.append(
            PurchaseTotal(
                organisation_id=organisation_id, currency=currency, order_count=count, revenue=amount
            )
        )
        currencies.setdefault(currency, []).append(organisation_id)
    PurchaseSummary.objects.bulk_create(
        summaries.values(),
        update_conflicts=True,
        unique_fields=["organisation"],
        update_fields=["order_count", "first_purchase", "last_purchase"],
    )
    if totals:
        PurchaseTotal.objects.bulk_create(
            totals,
            update_conflicts=True,
            unique_fields=["organisation", "currency"],
            update_fields=["order_count", "revenue"],
        )
    kept = Q()
    for currency, owners in currencies.items():
        kept |= Q(currency=currency, organisation_id__in=owners)
    PurchaseTotal.objects.filter(organisation_id__in=ids).exclude(kept).delete()


def _lock(ids: Sequence[UUID]) -> None:
    """The organisations' summary rows created if missing and locked until commit, before their orders are read.

    Without it, on PostgreSQL, two transactions that each changed an order of one organisation could each count
    the orders without the other's uncommitted change, and the later upsert would win with a stale count.
    With it, the second waits for the first to commit, and its count (a new statement, a new snapshot under
    READ COMMITTED) includes both. Rows go in and are locked in id order, so that two refreshes of overlapping
    organisations cannot deadlock. SQLite needs none of this: it runs one writing transaction at a time."""
    PurchaseSummary.objects.bulk_create(
        [PurchaseSummary(organisation_id=organisation_id) for organisation_id in ids], ignore_conflicts=True
    )
    list(PurchaseSummary.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))
