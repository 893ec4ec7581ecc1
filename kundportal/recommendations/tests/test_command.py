"""`kundportal recs evaluate` and `kundportal recs recompute`."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from kundportal.commerce.tests.factories import make_order
from kundportal.recommendations import engine
from kundportal.recommendations.models import Recommendation


def run(*args: str) -> str:
    out = StringIO()
    call_command("recs", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def history(shop, organisation):
    """A second, later order for every customer of the shop: what evaluate holds out."""
    later = timezone.now() + timedelta(days=1)
    for n, customer in enumerate(shop.customers):
        make_order(customer, (shop.pens if n < 5 else shop.coffee, 1), placed_at=later)
    make_order(organisation, (shop.paper, 3), placed_at=later)
    return shop


def test_evaluate_prints_the_recommender_and_the_baseline_with_hit_rates(history):
    output = run("evaluate")

    assert "Held out the last order of 9 customers with at least two orders" in output
    rows = {
        line.split("|")[1].strip(): [float(cell) for cell in line.split("|")[3:5]]
        for line in output.splitlines()
        if re.match(r"\| (recommender|popularity baseline) \|", line)
    }
    assert set(rows) == {"recommender", "popularity baseline"}
    for at_5, at_10 in rows.values():
        assert 0 <= at_5 <= at_10 <= 1


def test_evaluate_leaves_the_stored_lists_alone(history):
    engine.recompute_all()
    before = list(Recommendation.objects.order_by("pk").values_list("pk", "product", "rank", "computed_at"))

    run("evaluate")

    assert (
        list(Recommendation.objects.order_by("pk").values_list("pk", "product", "rank", "computed_at"))
        == before
    )


def test_evaluate_with_no_orders_prints_an_empty_result(db):
    assert "| recommender | 0 | 0.000 | 0.000 |" in run("evaluate")


def test_recompute_runs_in_the_foreground_and_says_how_long_it_took(shop):
    output = run("recompute")

    assert re.match(r"9 of 9 organisations have a list; \d+ affinities\. \d+\.\d s \(read ", output)
    assert Recommendation.objects.values("organisation").distinct().count() == 9
