from __future__ import annotations

import math

import pytest

from kundportal.commerce.tests.factories import make_order
from kundportal.customers.interests import recompute_interests
from kundportal.customers.models import CustomerInterest, InterestCategory
from kundportal.organisations.models import Organisation
from kundportal.recommendations import engine
from kundportal.recommendations.engine import Catalogue, Model, build_model, product_affinities, rank_products
from kundportal.recommendations.models import Popularity, ProductAffinity, ReasonKind, Recommendation, Scope

# ---------------------------------------------------------------------------------------------------------
# The maths, on a hand-made data set (ids are small ints here)

A, B, C, D, E = 1, 2, 3, 4, 5


def customers(*sets: set[int]) -> dict[int, set[int]]:
    return {100 + n: products for n, products in enumerate(sets)}


def test_it_keeps_affinities_with_the_minimum_support_and_a_lift_above_one_ranked_by_strength():
    # 20 customers. A: customers 0-9. B: 0-7 and 10-11 (8 together with A). E: 0-2 (3 together, a rarer
    # product: a higher lift than B's, but a lower confidence). C: 0-1 (only 2 together: below the minimum).
    # D: everyone (lift exactly 1: bought with A no more often than by chance).
    bought = customers(*({D} for _ in range(20)))
    for n in range(10):
        bought[100 + n].add(A)
    for n in [*range(8), 10, 11]:
        bought[100 + n].add(B)
    for n in range(3):
        bought[100 + n].add(E)
    for n in range(2):
        bought[100 + n].add(C)

    neighbours = product_affinities(bought, eligible={A, B, C, D, E})[A]

    assert [n.other for n in neighbours] == [B, E]
    to_b, to_e = neighbours
    assert (to_b.together, to_b.support, to_b.confidence) == (8, 8 / 20, 8 / 10)
    assert to_b.lift == pytest.approx(8 * 20 / (10 * 10))  # 1.6
    assert (to_e.together, to_e.confidence) == (3, 3 / 10)
    assert to_e.lift == pytest.approx(3 * 20 / (10 * 3))  # 2.0: higher than B's
    # Ranked by confidence * ln(lift): lift alone would put the rarer E first.
    assert to_b.strength == pytest.approx(0.8 * math.log(1.6))
    assert to_b.strength > to_e.strength
    assert all(n.other != D for n in product_affinities(bought, eligible={D}).get(A, []))


def test_it_leaves_out_inactive_products_as_neighbours():
    bought = customers(*({A, B, C} for _ in range(3)), {C}, {C}, {A})
    assert [n.other for n in product_affinities(bought, eligible={A, B})[B]] == [A]  # C is inactive


def model_of(bought: dict[int, set[int]], *, one_off=(), interests=None, product_interests=None) -> Model:
    catalogue = Catalogue(
        active=frozenset({A, B, C, D, E}),
        one_off=frozenset(one_off),
        interests={p: frozenset(i) for p, i in (product_interests or {}).items()},
    )
    return build_model(bought, catalogue=catalogue, interests=interests or {}, segments={})


def test_it_never_recommends_a_one_off_product_the_customer_has():
    # Everyone who bought A bought the licence B too; the customer has both.
    bought = customers({A, B}, {A, B}, {A, B}, {A, B, C}, {C}, {C}, {D})
    model = model_of(bought, one_off={B})

    picks = rank_products(model, bought={A, B}, limit=10)

    assert B not in [pick.product for pick in picks]
    assert engine.bestsellers(model, bought={A, B}) == [A, C, D]
    # Someone without it is recommended it.
    assert B in [pick.product for pick in rank_products(model, bought={A})]


def test_it_explains_each_pick_by_the_signal_that_weighed_most():
    bought = customers({A, B}, {A, B}, {A, B}, {A, B}, {C}, {C}, {C}, {C}, {C})
    model = model_of(bought)

    first, *rest = rank_products(model, bought={A})

    assert (first.product, first.reason, first.source_product) == (B, ReasonKind.BOUGHT_WITH, A)
    assert {pick.reason for pick in rest} == {ReasonKind.BESTSELLER}


def test_it_falls_back_to_the_bestsellers_of_the_customer_s_interests_then_to_all_for_a_thin_history():
    drawing, other = 900, 901
    bought = customers({A}, {A, B}, {A}, {C}, {C}, {C}, {C}, {C})
    interests = {100: {drawing}, 101: {drawing}, 102: {drawing}, 103: {other}}
    model = model_of(bought, interests=interests, product_interests={A: {drawing}, B: {drawing}, C: {other}})

    picks = rank_products(model, bought=set(), interests={drawing})

    assert [(pick.product, pick.reason, pick.interest) for pick in picks] == [
        (A, ReasonKind.POPULAR_IN_INTEREST, drawing),  # bought by all 3 customers interested in drawing
        (B, ReasonKind.POPULAR_IN_INTEREST, drawing),
        (C, ReasonKind.BESTSELLER, None),  # not a drawing product: only the overall bestsellers have it
    ]
    assert [pick.product for pick in rank_products(model, bought=set())] == [C, A, B]


# ---------------------------------------------------------------------------------------------------------
# Recomputing from the database


def test_the_full_recompute_stores_affinities_popularity_and_every_list(shop, organisation):
    result = engine.recompute_all()

    assert result.organisations == 9 and result.with_list == 9
    pairs = dict(ProductAffinity.objects.filter(product=shop.board).values_list("other__sku", "together"))
    assert pairs == {"PAP-A3": 6, "PEN-10": 3, "LIC-CAD": 5}  # not coffee (lift 1), not the inactive plotter
    assert list(
        Popularity.objects.filter(scope=Scope.ALL).order_by("rank").values_list("product__sku", flat=True)
    ) == ["COF-1", "BRD-A3", "PAP-A3", "LIC-CAD", "PEN-10"]
    acme = list(
        Recommendation.objects.filter(organisation=organisation)
        .order_by("rank")
        .values_list("product__sku", "reason", "source_product__sku")
    )
    assert acme == [
        ("PEN-10", ReasonKind.BOUGHT_WITH, "LIC-CAD"),
        ("PAP-A3", ReasonKind.BOUGHT_WITH, "BRD-A3"),
        # Bought before, but not a one-off: it may be bought again.
        ("BRD-A3", ReasonKind.BOUGHT_WITH, "LIC-CAD"),
        ("COF-1", ReasonKind.BESTSELLER, None),
    ]


def test_a_recompute_replaces_the_lists_and_clears_those_without_a_basis(shop, organisation):
    engine.recompute_all()
    lonely = Organisation.objects.create(name="Lonely AB")
    Recommendation.objects.create(
        organisation=lonely,
        product=shop.coffee,
        score=1,
        rank=1,
        reason="bestseller",
        computed_at="2020-01-01T00:00Z",
    )

    engine.recompute_all()

    assert Recommendation.objects.filter(organisation=organisation).count() == 4
    assert not Recommendation.objects.filter(organisation=lonely).exists()


def test_a_customer_with_declared_interests_and_no_orders_gets_the_popular_products_of_those_interests(shop):
    recompute_interests()  # what everyone bought makes them interested in drawing
    newcomer = Organisation.objects.create(name="Newcomer AB")
    CustomerInterest.objects.create(
        organisation=newcomer, category=InterestCategory.objects.get(slug="drawing-software"), declared=True
    )

    engine.recompute_all()

    rows = list(
        Recommendation.objects.filter(organisation=newcomer)
        .order_by("rank")
        .values_list("product__sku", "reason", "interest__slug")
    )
    assert rows[:4] == [
        ("BRD-A3", ReasonKind.POPULAR_IN_INTEREST, "drawing-software"),
        ("PAP-A3", ReasonKind.POPULAR_IN_INTEREST, "drawing-software"),
        ("LIC-CAD", ReasonKind.POPULAR_IN_INTEREST, "drawing-software"),
        ("PEN-10", ReasonKind.POPULAR_IN_INTEREST, "drawing-software"),
    ]
    assert rows[4] == ("COF-1", ReasonKind.BESTSELLER, None)


def test_the_update_of_one_organisation_reads_the_stored_model_and_matches_the_full_recompute(
    shop, organisation
):
    engine.recompute_all()
    stored = list(
        Recommendation.objects.filter(organisation=organisation).values_list(
            "rank", "product", "reason", "score"
        )
    )
    Recommendation.objects.filter(organisation=organisation).delete()

    assert engine.recompute_organisations([organisation.pk]) == 1
    assert (
        list(
            Recommendation.objects.filter(organisation=organisation).values_list(
                "rank", "product", "reason", "score"
            )
        )
        == stored
    )


def test_the_update_drops_a_one_off_product_the_customer_bought_since(shop):
    engine.recompute_all()
    newcomer = shop.customers[7]  # bought coffee only: the licence is on its list, as a bestseller
    assert Recommendation.objects.filter(organisation=newcomer, product=shop.licence).exists()

    make_order(newcomer, (shop.licence, 1))
    engine.recompute_organisations([newcomer.pk])

    assert not Recommendation.objects.filter(organisation=newcomer, product=shop.licence).exists()
