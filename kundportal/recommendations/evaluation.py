"""`kundportal recs evaluate`: how often the recommender names what customers actually bought next.

A time-based hold-out on the current data: for every customer with at least two orders (not cancelled, with
products on them), its last order is held out. The model is trained on every other order (the simplest
honest version: no customer's held-out order is in it; other customers' orders placed after it are, as
they would be for a customer whose last order was long ago), the customer's
interests are the ones it chose plus the ones its training purchases imply (minus those it turned off), and
its list is ranked from its training purchases, exactly as the stored lists are. A hit at K: at least one
product of the held-out order is in the top K. The baseline is plain popularity: the overall bestsellers of
the training data, without the one-off products the customer has. Reads only; stored lists stay as they are.

The customer's RFM segment is the stored one, computed on all orders; it is coarse (a handful of segments)
and says nothing about products, so the little it leaks of the held-out order is left in.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from kundportal.commerce.models import Order, OrderLine, OrderStatus
from kundportal.customers.models import CustomerInterest
from kundportal.recommendations.engine import (
    Key,
    bestsellers,
    build_model,
    load_catalogue,
    load_segments,
    rank_products,
)

CUTOFFS = (5, 10)


@dataclass(frozen=True)
class Row:
    method: str
    customers: int
    hit_rate: dict[int, float]  # K → share of customers with a hit in their top K


@dataclass(frozen=True)
class Evaluation:
    customers: int  # held out: customers with at least two orders
    training_orders: int
    held_out_orders: int
    rows: list[Row]
    seconds: float


def _orders() -> dict[Key, dict[Key, set[Key]]]:
    """Customer → order → its products (orders not cancelled)."""
    orders: dict[Key, dict[Key, set[Key]]] = defaultdict(lambda: defaultdict(set))
    lines = (
        OrderLine.objects.filter(product__isnull=False)
        .exclude(order__status=OrderStatus.CANCELLED)
        .order_by()
        .values_list("order__organisation_id", "order_id", "product_id")
    )
    for organisation, order, product in lines.iterator(chunk_size=10_000):
        orders[organisation.int][order.int].add(product.int)
    return orders


def _held_out(orders: dict[Key, dict[Key, set[Key]]]) -> dict[Key, Key]:
    """Customer → its last order, for customers with at least two."""
    placed: dict[Key, tuple[datetime, Key]] = {
        pk.int: (at, pk.int)
        for pk, at in Order.objects.exclude(status=OrderStatus.CANCELLED).values_list("pk", "placed_at")
    }
    return {
        organisation: max(own, key=lambda order: placed[order])
        for organisation, own in orders.items()
        if len(own) >= 2
    }


def evaluate() -> Evaluation:
    started = time.perf_counter()
    orders = _orders()
    held_out = _held_out(orders)
    catalogue = load_catalogue()
    bought: dict[Key, set[Key]] = {}
    for organisation, own in orders.items():
        kept = held_out.get(organisation)
        products = set().union(*(products for order, products in own.items() if order != kept))
        if products:
            bought[organisation] = products
    declared: dict[Key, set[Key]] = defaultdict(set)
    suppressed: dict[Key, set[Key]] = defaultdict(set)
    for organisation, category, chosen, off in CustomerInterest.objects.filter(
        category__active=True
    ).values_list("organisation_id", "category_id", "declared", "suppressed"):
        if chosen:
            declared[organisation.int].add(category.int)
        if off:
            suppressed[organisation.int].add(category.int)
    interests: dict[Key, set[Key]] = {}
    for organisation in bought.keys() | declared.keys():
        inferred = set().union(*(catalogue.interests.get(p, ()) for p in bought.get(organisation, ())))
        interests[organisation] = declared[organisation] | (inferred - suppressed[organisation])
    segments = load_segments()
    model = build_model(bought, catalogue=catalogue, interests=interests, segments=segments)
    hits: dict[str, dict[int, int]] = {"recommender": defaultdict(int), "baseline": defaultdict(int)}
    longest = max(CUTOFFS)
    for organisation, order in held_out.items():
        actual = orders[organisation][order]
        own = bought.get(organisation, set())
        picks = [
            pick.product
            for pick in rank_products(
                model,
                bought=own,
                interests=interests.get(organisation, ()),
                segment=segments.get(organisation, ""),
                limit=longest,
            )
        ]
        popular = bestsellers(model, bought=own, limit=longest)
        for k in CUTOFFS:
            hits["recommender"][k] += bool(actual.intersection(picks[:k]))
            hits["baseline"][k] += bool(actual.intersection(popular[:k]))
    customers = len(held_out)
    names = {"recommender": "recommender", "baseline": "popularity baseline"}
    return Evaluation(
        customers=customers,
        training_orders=sum(len(own) for own in orders.values()) - customers,
        held_out_orders=customers,
        rows=[
            Row(
                method=names[method],
                customers=customers,
                hit_rate={k: counts[k] / customers if customers else 0.0 for k in CUTOFFS},
            )
            for method, counts in hits.items()
        ],
        seconds=round(time.perf_counter() - started, 2),
    )


def as_table(evaluation: Evaluation) -> str:
    """The result as a Markdown table (what `recs evaluate` prints and bench/README.md shows)."""
    head = "| method | customers | " + " | ".join(f"hit rate @{k}" for k in CUTOFFS) + " |"
    lines = [head, "| --- | ---: | " + " | ".join("---:" for _ in CUTOFFS) + " |"]
    for row in evaluation.rows:
        rates = " | ".join(f"{row.hit_rate[k]:.3f}" for k in CUTOFFS)
        lines.append(f"| {row.method} | {row.customers:,} | {rates} |")
    return "\n".join(lines)
