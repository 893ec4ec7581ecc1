"""RFM scoring: quintiles by percentile rank (ties share a score), revenue ranked within each main currency, the
segments, and customers without purchases left blank."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from kundportal.commerce.models import PurchaseSummary
from kundportal.insights.rfm import main_currencies, quintile_scores, score_customers
from kundportal.insights.segments import Segment, segment_for

from .conftest import customer, days_ago, purchases


def test_it_spreads_distinct_values_evenly_over_the_five_scores():
    assert list(quintile_scores({n: n for n in range(10)}).values()) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(quintile_scores({n: n * 10 for n in range(5)}).values()) == [1, 2, 3, 4, 5]


def test_it_gives_tied_values_one_score_from_the_middle_of_their_group():
    # Six customers bought once: one group at the 30th percentile (score 2), whatever order they come in.
    counts = {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 2, "h": 3, "i": 4, "j": 5}
    assert quintile_scores(counts) == {
        "a": 2, "b": 2, "c": 2, "d": 2, "e": 2, "f": 2, "g": 4, "h": 4, "i": 5, "j": 5,
    }  # fmt: skip


def test_a_single_customer_or_identical_ones_sit_in_the_middle():
    assert quintile_scores({"only": 7}) == {"only": 3}
    assert set(quintile_scores({n: 4 for n in range(8)}).values()) == {3}
    assert quintile_scores({}) == {}


def test_it_ranks_dates_the_later_the_higher():
    scores = quintile_scores({"old": days_ago(300), "recent": days_ago(1), "middle": days_ago(30)})
    assert scores["old"] < scores["middle"] < scores["recent"]


def test_the_main_currency_has_the_most_orders_and_ties_go_to_the_first_code():
    totals = [
        ("a", "SEK", 3, Decimal("300")),
        ("a", "EUR", 5, Decimal("50")),
        ("b", "SEK", 2, Decimal("20")),
        ("b", "EUR", 2, Decimal("900")),
    ]
    assert main_currencies(totals) == {"a": ("EUR", Decimal("50")), "b": ("EUR", Decimal("900"))}


@pytest.mark.parametrize(
    ("recency", "frequency", "segment"),
    [
        (5, 5, Segment.CHAMPIONS),
        (4, 1, Segment.NEW),
        (3, 4, Segment.LOYAL),
        (5, 2, Segment.POTENTIAL),
        (2, 5, Segment.AT_RISK),
        (2, 1, Segment.HIBERNATING),
        (1, 2, Segment.LOST),
    ],
)
def test_the_segment_follows_from_recency_and_frequency(recency, frequency, segment):
    assert segment_for(recency, frequency) == segment


def scores_of(organisation):
    row = PurchaseSummary.objects.get(organisation=organisation)
    return row.recency_score, row.frequency_score, row.monetary_score, row.segment


@pytest.mark.django_db
def test_it_scores_a_small_hand_made_customer_base():
    # Five SEK customers from old and rare to recent and frequent, and two EUR customers whose small amounts
    # are ranked only against each other: never against the SEK amounts.
    sek = [
        customer(f"SEK {n}", orders=n + 1, last=days_ago(500 - 100 * n), revenue={"SEK": f"{(n + 1) * 1000}"})
        for n in range(5)
    ]
    same_day = days_ago(250)
    small_eur = customer("EUR small", orders=1, last=same_day, revenue={"EUR": "5.00"})
    big_eur = customer("EUR big", orders=3, last=same_day, revenue={"EUR": "50.00"})
    nothing = customer("No purchases yet")

    result = score_customers()

    assert (result.scored, result.changed, result.cleared) == (7, 7, 0)
    # Recency over all seven: the two EUR customers bought on the same day (a tie, one score between the
    # SEK customers before and after them). Frequency: 1, 1 | 2 | 3, 3 | 4 | 5 orders.
    assert [scores_of(o)[:2] for o in sek] == [(1, 1), (2, 2), (2, 3), (4, 4), (5, 5)]
    assert [scores_of(o)[3] for o in sek] == ["lost", "hibernating", "at_risk", "champions", "champions"]
    assert (scores_of(small_eur)[:2], scores_of(big_eur)[:2]) == ((3, 1), (3, 3))
    # Monetary: the SEK amounts among themselves, the EUR ones among the two of them only (5 EUR is not
    # the lowest of all seven, merely the lower of two).
    assert [scores_of(o)[2] for o in sek] == [1, 2, 3, 4, 5]
    assert (scores_of(small_eur)[2], scores_of(big_eur)[2]) == (2, 4)
    assert not PurchaseSummary.objects.filter(organisation=nothing).exists()
    assert PurchaseSummary.objects.get(organisation=sek[0]).scored_at == result.scored_at


@pytest.mark.django_db
def test_a_single_customer_is_neither_best_nor_worst():
    only = customer("Only AB", orders=4, last=days_ago(3), revenue={"SEK": "400.00"})
    score_customers()
    assert scores_of(only) == (3, 3, 3, Segment.POTENTIAL)


@pytest.mark.django_db
def test_without_purchases_nothing_is_scored_and_old_scores_are_cleared():
    gone = customer("Gone AB", orders=2, last=days_ago(10))
    score_customers()
    assert scores_of(gone)[3] == Segment.POTENTIAL
    # Its only orders were cancelled: commerce.stats leaves a zero summary behind.
    PurchaseSummary.objects.filter(organisation=gone).update(
        order_count=0, first_purchase=None, last_purchase=None
    )

    result = score_customers()

    assert (result.scored, result.cleared) == (0, 1)
    row = PurchaseSummary.objects.get(organisation=gone)
    assert (row.recency_score, row.frequency_score, row.monetary_score, row.segment, row.scored_at) == (
        None,
        None,
        None,
        "",
        None,
    )


@pytest.mark.django_db
def test_a_second_run_writes_only_what_changed_but_stamps_every_score():
    first = customer("First AB", orders=1, last=days_ago(100))
    second = customer("Second AB", orders=5, last=days_ago(1))
    before = score_customers()
    assert before.changed == 2

    again = score_customers()
    assert again.changed == 0
    assert PurchaseSummary.objects.get(organisation=first).scored_at == again.scored_at

    purchases(first, orders=9, last=days_ago(0) + timedelta(hours=1))
    progress = []
    changed = score_customers(progress=lambda done, total: progress.append((done, total)))
    assert changed.changed == 2  # both swapped places
    assert progress[-1] == (2, 2)
    assert scores_of(first)[:2] > scores_of(second)[:2]
