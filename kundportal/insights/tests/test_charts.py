"""core.charts: the SVG it draws is accessible, escaped, free of inline style, and scaled to round numbers."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import translation

from kundportal.core.charts import (
    Bar,
    Row,
    Series,
    Tick,
    bar_chart,
    compact_number,
    hbar_chart,
    legend,
    line_chart,
    nice_scale,
)


@pytest.mark.parametrize(
    ("largest", "whole", "expected"),
    [
        (0, True, (4.0, 1.0)),
        (3, True, (3.0, 1.0)),
        (7, True, (8.0, 2.0)),
        (2867, True, (3000.0, 1000.0)),
        (31_500_000, False, (40_000_000.0, 10_000_000.0)),
        (0.9, False, (1.0, 0.25)),
    ],
)
def test_the_axis_ends_on_a_round_number(largest, whole, expected):
    assert nice_scale(largest, whole=whole) == expected


def test_axis_ticks_are_short_and_in_the_readers_language():
    with translation.override("en"):
        assert [compact_number(v) for v in (0, 950, 7500, 12500, 250_000, 1_500_000, 40_000_000)] == [
            "0", "950", "7,500", "12.5 k", "250 k", "1.5 M", "40 M",
        ]  # fmt: skip
    with translation.override("de"):
        assert compact_number(7500) == "7.500"
        assert compact_number(Decimal("1500000")).startswith("1,5")


def test_a_line_chart_names_itself_and_every_point():
    svg = str(
        line_chart(
            [Tick("Jan 2026"), Tick(""), Tick("Mar 2026", minor=True)],
            [
                Series("Logins", [1, 5, 3], ["Jan: 1", "Feb: 5", "Mar: 3"]),
                Series("Uploads", [0, 2, 0], ["Jan: 0", "Feb: 2", "Mar: 0"]),
            ],
            title="Activity",
            description="Logins and uploads <per month>",
            chart_id="activity",
        )
    )
    assert svg.startswith('<svg class="chart chart-line" role="img" viewBox="0 0 480 220"')
    assert '<title id="activity-title">Activity</title>' in svg
    assert '<desc id="activity-desc">Logins and uploads &lt;per month&gt;</desc>' in svg
    assert svg.count("<circle") == 6 and "<title>Feb: 5</title>" in svg
    assert svg.count('class="chart-line chart-s1"') == 1 and svg.count('class="chart-line chart-s2"') == 1
    assert '<text class="chart-label minor"' in svg and ">Mar 2026</text>" in svg
    assert "style" not in svg


def test_an_area_chart_fills_under_its_single_series():
    svg = str(
        line_chart(
            [Tick("a"), Tick("b")], [Series("x", [2, 4])], title="t", description="d", chart_id="a", area=True
        )
    )
    assert '<path class="chart-area chart-s1"' in svg


def test_horizontal_bars_escape_their_labels_and_show_a_zero_as_a_sliver():
    svg = str(
        hbar_chart(
            [Row("<script>alert(1)</script>", [0, 10], ["none", "ten"], ["0", "10"]), Row("Big", [20, 5])],
            title="Offers",
            description="Views and acceptances",
            chart_id="offers",
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert (
        svg.count('<g class="chart-hbar chart-s1">') == 2
        and svg.count('<g class="chart-hbar chart-s2">') == 2
    )
    assert re.search(r'<title>none</title><rect x="4" y="[\d.]+" width="2.0"', svg)
    assert "<title>Big: 20</title>" in svg  # a default title when none is given


def test_the_legend_is_html_beside_the_chart():
    html = str(legend(["Declared", "Inferred <from purchases>"]))
    assert html.startswith('<ul class="chart-legend">') and html.count("<li>") == 2
    assert 'class="chart-swatch chart-s2"' in html and "Inferred &lt;from purchases&gt;" in html
    assert 'class="chart-line chart-s1"' in str(legend(["Logins"], lines=True))


def test_bars_keep_the_orders_page_markup_and_may_be_narrower():
    svg = str(
        bar_chart([Bar("Mar", 3, "March: 3 orders", display="3")], title="t", description="d", chart_id="o")
    )
    assert svg.startswith('<svg class="chart" role="img" viewBox="0 0 600 200"')
    assert '<g class="chart-bar"><title>March: 3 orders</title>' in svg
    narrow = str(bar_chart([Bar("1", 5, "x")], title="t", description="d", chart_id="n", width=480))
    assert 'viewBox="0 0 480 200"' in narrow
