"""The recommender: which products customers buy together, which are popular where, and each customer's list.

What a customer bought is the set of products on its orders that were not cancelled; "customers" are
customer organisations. An affinity a → b counts the customers who bought both (`together`, at least
MIN_TOGETHER) and keeps only positive associations (lift > 1): support = together / customers,
confidence = together / customers who bought a, lift = confidence / share of customers who bought b.
Each product keeps its NEIGHBOURS strongest affinities, by confidence * ln(lift): lift alone puts rare
products first (three customers of a product that three customers bought make a lift in the hundreds), and
on the generated data neighbours chosen by lift predict worse than the plain bestsellers, even with a
minimum of 20 customers; weighted by confidence, they beat them clearly (`recs evaluate`, bench/recs.py).

A customer's list blends four signals into one score per product, and names the strongest as the reason:
the affinities of the products it bought (the sum of their strengths), how popular the product is among
customers with the same interests (products of that interest only), among customers in the same RFM
segment, and among all customers (each the share of those customers who bought it, weighted). With little or
no history the popularity terms decide, so thin histories fall back to the bestsellers of the customer's
interests and segment, then to the overall bestsellers. One-off products a customer has are never on its
list, inactive products on nobody's.

The maths runs on plain sets and dicts, so that `recs evaluate` (recommendations.evaluation) measures exactly
what is shipped, on data it holds out. Ids are the UUIDs' integers in here: a UUID hashes in Python code,
an int in C, and a full recompute hashes ids some ten million times. The full recompute reads everything in
a few grouped queries, counts pairs with one bitset per product (customers as bits: an AND and a popcount
per pair), and writes in bulk; the update of one organisation reads the stored affinities and popularity
for its products and interests, a few small queries.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import batched
from uuid import UUID

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from kundportal.commerce.models import OrderLine, OrderStatus, Product, PurchaseSummary
from kundportal.customers.interests import ACTIVE
from kundportal.customers.models import CustomerInterest
from kundportal.organisations.models import Organisation
from kundportal.recommendations.models import (
    Popularity,
    ProductAffinity,
    ReasonKind,
    Recommendation,
    Scope,
)

MIN_TOGETHER = 3  # customers who bought both, for an affinity to count at all
NEIGHBOURS = 20  # affinities kept per product, strongest first
POPULAR_KEEP = 40  # products kept per popularity scope (overall, per interest, per segment)
LIST_SIZE = 10  # products on each organisation's list
CHUNK = 1000  # organisations per write transaction

# How much each popularity signal weighs next to the affinities: the share of the customers with the same
# interest, in the same segment, or of all customers, who bought the product (0-1).
INTEREST_WEIGHT = 0.5
SEGMENT_WEIGHT = 0.3
OVERALL_WEIGHT = 0.1

type Key = int  # a UUID's integer (UUID.int)
type Progress = Callable[[str, int, int], None]


def _no_progress(phase: str, done: int, total: int) -> None:
    pass


def key(value: UUID) -> Key:
    return value.int


def uuid(value: Key) -> UUID:
    return UUID(int=value)


# ---------------------------------------------------------------------------------------------------------
# The model: affinities and popularity


@dataclass(frozen=True)
class Neighbour:
    other: Key
    together: int
    support: float
    confidence: float
    lift: float

    @property
    def strength(self) -> float:
        return self.confidence * math.log(self.lift)


@dataclass(frozen=True)
class Catalogue:
    """What the recommender needs to know of the products."""

    active: frozenset[Key]
    one_off: frozenset[Key]
    interests: Mapping[Key, frozenset[Key]]  # product → its interest categories (own and its category's)


@dataclass
class Model:
    """Everything a customer's list is computed from, besides the customer's own purchases and interests.

    Popularity lists hold (product, share of the scope's customers who bought it), most popular first."""

    neighbours: dict[Key, list[Neighbour]]
    popular: list[tuple[Key, float]]
    by_interest: dict[Key, list[tuple[Key, float]]]
    by_segment: dict[str, list[tuple[Key, float]]]
    one_off: frozenset[Key]
    strengths: dict[Key, dict[Key, float]] = field(init=False)  # product → other → strength

    def __post_init__(self) -> None:
        self.strengths = {
            product: {n.other: n.strength for n in neighbours}
            for product, neighbours in self.neighbours.items()
        }


@dataclass(frozen=True)
class Pick:
    product: Key
    score: float
    reason: str
    source_product: Key | None = None
    interest: Key | None = None


def product_affinities(
    bought: Mapping[Key, Collection[Key]], *, eligible: Collection[Key], progress: Progress = _no_progress
) -> dict[Key, list[Neighbour]]:
    """For every product, its NEIGHBOURS strongest affinities to `eligible` products (lift > 1, at least
    MIN_TOGETHER customers who bought both), strongest first."""
    customers_of: dict[Key, list[int]] = defaultdict(list)
    for index, products in enumerate(bought.values()):
        for product in products:
            customers_of[product].append(index)
    total = len(bought)
    size = (total + 7) // 8
    bits: dict[Key, int] = {}
    for product, indexes in customers_of.items():
        if len(indexes) < MIN_TOGETHER:
            continue
        row = bytearray(size)
        for index in indexes:
            row[index >> 3] |= 1 << (index & 7)
        bits[product] = int.from_bytes(row, "little")
    products = sorted(bits)
    counts = {product: len(customers_of[product]) for product in products}
    targets = set(eligible)
    found: dict[Key, list[Neighbour]] = defaultdict(list)
    for position, a in enumerate(products):
        if position % 50 == 0:
            progress("affinities", position, len(products))
        bits_a, count_a = bits[a], counts[a]
        for b in products[position + 1 :]:
            together = (bits_a & bits[b]).bit_count()
            if together < MIN_TOGETHER:
                continue
            count_b = counts[b]
            lift = together * total / (count_a * count_b)
            if lift <= 1:
                continue
            support = together / total
            if b in targets:
                found[a].append(Neighbour(b, together, support, together / count_a, lift))
            if a in targets:
                found[b].append(Neighbour(a, together, support, together / count_b, lift))
    progress("affinities", len(products), len(products))
    return {
        product: sorted(neighbours, key=lambda n: (-n.strength, -n.together, n.other))[:NEIGHBOURS]
        for product, neighbours in found.items()
    }


def _popular(
    customers: Iterable[Key], bought: Mapping[Key, Collection[Key]], eligible: Callable[[Key], bool]
) -> list[tuple[Key, float]]:
    counts: dict[Key, int] = defaultdict(int)
    size = 0
    for customer in customers:
        size += 1
        for product in bought.get(customer, ()):
            counts[product] += 1
    ranked = heapq.nsmallest(
        POPULAR_KEEP,
        ((product, count) for product, count in counts.items() if eligible(product)),
        key=lambda item: (-item[1], item[0]),
    )
    return [(product, count / size) for product, count in ranked]


def build_model(
    bought: Mapping[Key, Collection[Key]],
    *,
    catalogue: Catalogue,
    interests: Mapping[Key, Collection[Key]],
    segments: Mapping[Key, str],
    progress: Progress = _no_progress,
) -> Model:
    """The affinities and popularity lists of these purchases (customer → products bought)."""
    active = catalogue.active
    members: dict[Key, list[Key]] = defaultdict(list)
    for customer, categories in interests.items():
        for category in categories:
            members[category].append(customer)
    in_segment: dict[str, list[Key]] = defaultdict(list)
    for customer, segment in segments.items():
        if segment:
            in_segment[segment].append(customer)
    of_interest: dict[Key, set[Key]] = defaultdict(set)
    for product, categories in catalogue.interests.items():
        for category in categories:
            of_interest[category].add(product)
    return Model(
        neighbours=product_affinities(bought, eligible=active, progress=progress),
        popular=_popular(bought, bought, active.__contains__),
        by_interest={
            category: _popular(customers, bought, (of_interest[category] & active).__contains__)
            for category, customers in members.items()
        },
        by_segment={
            segment: _popular(customers, bought, active.__contains__)
            for segment, customers in in_segment.items()
        },
        one_off=catalogue.one_off,
    )


# ---------------------------------------------------------------------------------------------------------
# One customer's list


def rank_products(
    model: Model,
    *,
    bought: Collection[Key],
    interests: Collection[Key] = (),
    segment: str = "",
    limit: int = LIST_SIZE,
) -> list[Pick]:
    """The customer's top `limit` products, best first, each with the reason that weighed most."""
    affinity: dict[Key, float] = defaultdict(float)
    strengths = model.strengths
    for product in bought:
        for other, strength in strengths.get(product, {}).items():
            affinity[other] += strength
    in_interest: dict[Key, tuple[float, Key]] = {}  # product → its highest share, in which interest
    for category in sorted(interests):
        for product, share in model.by_interest.get(category, ()):
            if product not in in_interest or share > in_interest[product][0]:
                in_interest[product] = (share, category)
    in_segment = dict(model.by_segment.get(segment, ())) if segment else {}
    overall = dict(model.popular)
    scores = dict(affinity)
    for product, (share, _category) in in_interest.items():
        scores[product] = scores.get(product, 0.0) + INTEREST_WEIGHT * share
    for product, share in in_segment.items():
        scores[product] = scores.get(product, 0.0) + SEGMENT_WEIGHT * share
    for product, share in overall.items():
        scores[product] = scores.get(product, 0.0) + OVERALL_WEIGHT * share
    for product in model.one_off.intersection(bought):
        scores.pop(product, None)
    top = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
    picks = []
    for product, score in top:
        terms = [
            (affinity.get(product, 0.0), ReasonKind.BOUGHT_WITH),
            (INTEREST_WEIGHT * in_interest.get(product, (0.0, 0))[0], ReasonKind.POPULAR_IN_INTEREST),
            (SEGMENT_WEIGHT * in_segment.get(product, 0.0), ReasonKind.POPULAR_IN_SEGMENT),
            (OVERALL_WEIGHT * overall.get(product, 0.0), ReasonKind.BESTSELLER),
        ]
        reason = max(terms, key=lambda term: term[0])[1]  # of equals the first: affinity before popularity
        source = interest = None
        if reason == ReasonKind.BOUGHT_WITH:
            # The product it is most strongly bought with (of equals the smallest id, for stable results).
            source = min(
                (a for a in bought if product in strengths.get(a, {})),
                key=lambda a: (-strengths[a][product], a),
            )
        elif reason == ReasonKind.POPULAR_IN_INTEREST:
            interest = in_interest[product][1]
        picks.append(Pick(product, round(score, 6), str(reason), source, interest))
    return picks


def bestsellers(model: Model, *, bought: Collection[Key] = (), limit: int = LIST_SIZE) -> list[Key]:
    """The plain popularity list (what a customer sees without consent, and the evaluation's baseline)."""
    owned_once = model.one_off.intersection(bought)
    return [product for product, _share in model.popular if product not in owned_once][:limit]


# ---------------------------------------------------------------------------------------------------------
# Reading the data


def load_catalogue() -> Catalogue:
    """Every product's flags and interest categories (active categories only): three queries."""
    active, one_off = set(), set()
    for pk, is_active, is_one_off in Product.objects.values_list("pk", "active", "one_off"):
        if is_active:
            active.add(pk.int)
        if is_one_off:
            one_off.add(pk.int)
    links: dict[Key, set[Key]] = defaultdict(set)
    own = Product.interest_categories.through.objects.filter(interestcategory__active=True).values_list(
        "product_id", "interestcategory_id"
    )
    via_category = Product.objects.filter(category__interest_categories__active=True).values_list(
        "pk", "category__interest_categories"
    )
    for product, category in [*own, *via_category]:
        links[product.int].add(category.int)
    return Catalogue(
        active=frozenset(active),
        one_off=frozenset(one_off),
        interests={product: frozenset(categories) for product, categories in links.items()},
    )


def load_purchases(organisation_ids: Collection[UUID] | None = None) -> dict[Key, set[Key]]:
    """Customer → products it bought (orders not cancelled): one grouped query."""
    lines = OrderLine.objects.filter(product__isnull=False).exclude(order__status=OrderStatus.CANCELLED)
    if organisation_ids is not None:
        lines = lines.filter(order__organisation_id__in=organisation_ids)
    bought: dict[Key, set[Key]] = defaultdict(set)
    for organisation, product in (
        lines.order_by().values_list("order__organisation_id", "product_id").distinct()
    ):
        bought[organisation.int].add(product.int)
    return dict(bought)


def load_interests(organisation_ids: Collection[UUID] | None = None) -> dict[Key, set[Key]]:
    """Customer → its active interests: chosen, or inferred and not turned off (active categories)."""
    rows = CustomerInterest.objects.filter(ACTIVE, category__active=True)
    if organisation_ids is not None:
        rows = rows.filter(organisation_id__in=organisation_ids)
    interests: dict[Key, set[Key]] = defaultdict(set)
    for organisation, category in rows.values_list("organisation_id", "category_id"):
        interests[organisation.int].add(category.int)
    return dict(interests)


def load_segments(organisation_ids: Collection[UUID] | None = None) -> dict[Key, str]:
    """Customer → its RFM segment, for those that have one."""
    rows = PurchaseSummary.objects.exclude(segment="")
    if organisation_ids is not None:
        rows = rows.filter(organisation_id__in=organisation_ids)
    return {
        organisation.int: segment for organisation, segment in rows.values_list("organisation_id", "segment")
    }


def _stored_model(bought: Collection[Key], interests: Collection[Key], segment: str) -> Model:
    """The part of the stored model one customer's list needs: three queries."""
    products = [uuid(product) for product in bought]
    neighbours: dict[Key, list[Neighbour]] = defaultdict(list)
    for product, other, together, support, confidence, lift in ProductAffinity.objects.filter(
        product_id__in=products
    ).values_list("product_id", "other_id", "together", "support", "confidence", "lift"):
        neighbours[product.int].append(Neighbour(other.int, together, support, confidence, lift))
    scopes = Q(scope=Scope.ALL) | Q(scope=Scope.INTEREST, interest_id__in=[uuid(i) for i in interests])
    if segment:
        scopes |= Q(scope=Scope.SEGMENT, segment=segment)
    popular: list[tuple[Key, float]] = []
    by_interest: dict[Key, list[tuple[Key, float]]] = defaultdict(list)
    by_segment: dict[str, list[tuple[Key, float]]] = defaultdict(list)
    for scope, interest, in_segment, product, share in (
        Popularity.objects.filter(scopes)
        .order_by("scope", "interest_id", "segment", "rank")
        .values_list("scope", "interest_id", "segment", "product_id", "share")
    ):
        if scope == Scope.ALL:
            popular.append((product.int, share))
        elif scope == Scope.INTEREST:
            by_interest[interest.int].append((product.int, share))
        else:
            by_segment[in_segment].append((product.int, share))
    one_off = Product.objects.filter(pk__in=products, one_off=True).values_list("pk", flat=True)
    return Model(
        neighbours=dict(neighbours),
        popular=popular,
        by_interest=dict(by_interest),
        by_segment=dict(by_segment),
        one_off=frozenset(pk.int for pk in one_off),
    )


# ---------------------------------------------------------------------------------------------------------
# Writing


def _writer() -> Callable[[Key], object]:
    """A UUID key as the database takes it: a UUID for PostgreSQL, 32 hex digits for SQLite (as Django's
    UUIDField stores it there)."""
    if connection.features.has_native_uuid_field:
        return uuid
    return lambda value: f"{value:032x}"


def _insert(
    model: type[models.Model],
    fields: list[str],
    rows: Iterable[tuple[object, ...]],
    *,
    conflict: tuple[str, ...] = (),
) -> None:
    """INSERT through the cursor; with `conflict` (unique fields), ON CONFLICT DO UPDATE of the others.

    Not bulk_create: for the 100,000 rows of a full recompute, building a model instance per row and preparing
    each value took the ORM 6 s of CPU, the database under 1 s. SQLite and PostgreSQL, the two databases
    Kundportal runs on, share this syntax. The values come prepared (_writer, adapted datetimes)."""
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name).column for name in fields]
    # Only quoted names from the model's metadata go into the SQL; every value is a parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(model._meta.db_table), ", ".join(map(quote, columns)), ", ".join(["%s"] * len(columns))
    )
    if conflict:
        unique = [model._meta.get_field(name).column for name in conflict]
        updates = [
            f"{quote(column)} = excluded.{quote(column)}" for column in columns if column not in unique
        ]
        sql += " ON CONFLICT ({}) DO UPDATE SET {}".format(", ".join(map(quote, unique)), ", ".join(updates))
    with connection.cursor() as cursor:
        for batch in batched(rows, 2000):
            cursor.executemany(sql, batch)


def _store_model(model: Model) -> None:
    db = _writer()
    affinities = [
        (db(product), db(n.other), n.together, n.support, n.confidence, n.lift)
        for product, neighbours in model.neighbours.items()
        for n in neighbours
    ]
    popularity = [
        (Scope.ALL.value, None, "", db(product), share, rank)
        for rank, (product, share) in enumerate(model.popular, start=1)
    ]
    popularity += [
        (Scope.INTEREST.value, db(category), "", db(product), share, rank)
        for category, ranked in model.by_interest.items()
        for rank, (product, share) in enumerate(ranked, start=1)
    ]
    popularity += [
        (Scope.SEGMENT.value, None, segment, db(product), share, rank)
        for segment, ranked in model.by_segment.items()
        for rank, (product, share) in enumerate(ranked, start=1)
    ]
    with transaction.atomic():
        ProductAffinity.objects.all().delete()
        _insert(
            ProductAffinity, ["product", "other", "together", "support", "confidence", "lift"], affinities
        )
        Popularity.objects.all().delete()
        _insert(Popularity, ["scope", "interest", "segment", "product", "share", "rank"], popularity)


def _store_lists(lists: Mapping[Key, list[Pick]], organisation_ids: Collection[Key], at: datetime) -> None:
    """Replaces the lists of these organisations (an organisation without one in `lists` loses its rows).

    Upserts by (organisation, rank), then drops the ranks beyond the new list: an update of the same
    organisation running at the same time (a new order during the full recompute) cannot make the insert
    fail, and whichever commits last leaves a whole list of its own."""
    db = _writer()
    when = connection.ops.adapt_datetimefield_value(at)
    rows = [
        (
            db(organisation),
            db(pick.product),
            pick.score,
            rank,
            pick.reason,
            db(pick.source_product) if pick.source_product else None,
            db(pick.interest) if pick.interest else None,
            when,
        )
        for organisation in organisation_ids
        for rank, pick in enumerate(lists.get(organisation, ()), start=1)
    ]
    lengths: dict[int, list[UUID]] = defaultdict(list)
    for organisation in organisation_ids:
        lengths[len(lists.get(organisation, ()))].append(uuid(organisation))
    fields = [
        "organisation",
        "product",
        "score",
        "rank",
        "reason",
        "source_product",
        "interest",
        "computed_at",
    ]
    with transaction.atomic():
        _insert(Recommendation, fields, rows, conflict=("organisation", "rank"))
        for length, owners in lengths.items():
            Recommendation.objects.filter(organisation_id__in=owners, rank__gt=length).delete()


# ---------------------------------------------------------------------------------------------------------
# Recomputing


@dataclass(frozen=True)
class RecomputeResult:
    organisations: int
    with_list: int
    affinities: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def recompute_all(*, progress: Progress = _no_progress) -> RecomputeResult:
    """Affinities, popularity and every organisation's list, rebuilt from all orders."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 2)
        return now

    progress("reading", 0, 1)
    at = timezone.now()
    catalogue = load_catalogue()
    bought = load_purchases()
    interests = load_interests()
    segments = load_segments()
    organisations = [pk.int for pk in Organisation.objects.order_by("pk").values_list("pk", flat=True)]
    mark = lap("read", started)
    model = build_model(
        bought, catalogue=catalogue, interests=interests, segments=segments, progress=progress
    )
    mark = lap("model", mark)
    _store_model(model)
    lap("write model", mark)
    with_list = 0
    ranking = writing = 0.0
    for done, chunk in enumerate(batched(organisations, CHUNK)):
        progress("lists", done * CHUNK, len(organisations))
        chunk_started = time.perf_counter()
        lists = {}
        for organisation in chunk:
            own, chosen = bought.get(organisation, set()), interests.get(organisation, set())
            segment = segments.get(organisation, "")
            if own or chosen or segment:
                lists[organisation] = rank_products(model, bought=own, interests=chosen, segment=segment)
        written = time.perf_counter()
        ranking += written - chunk_started
        with_list += len(lists)
        _store_lists(lists, chunk, at)
        writing += time.perf_counter() - written
    progress("lists", len(organisations), len(organisations))
    timings["rank lists"], timings["write lists"] = round(ranking, 2), round(writing, 2)
    return RecomputeResult(
        organisations=len(organisations),
        with_list=with_list,
        affinities=sum(len(n) for n in model.neighbours.values()),
        seconds=round(time.perf_counter() - started, 2),
        timings=timings,
    )


def recompute_organisations(organisation_ids: Iterable[UUID]) -> int:
    """The lists of these organisations, from the stored affinities and popularity (after their orders
    changed). Returns how many of them have a personalised list now."""
    with_list = 0
    at = timezone.now()
    for chunk in batched(sorted(set(organisation_ids)), CHUNK):
        bought = load_purchases(chunk)
        interests = load_interests(chunk)
        segments = load_segments(chunk)
        keys = [key(organisation) for organisation in chunk]
        lists = {}
        for organisation in keys:
            own, chosen = bought.get(organisation, set()), interests.get(organisation, set())
            segment = segments.get(organisation, "")
            if own or chosen or segment:
                model = _stored_model(own, chosen, segment)
                lists[organisation] = rank_products(model, bought=own, interests=chosen, segment=segment)
        with_list += len(lists)
        _store_lists(lists, keys, at)
    return with_list
