"""Small charts drawn on the server as SVG: no script, no inline style (the CSP forbids both), readable by
screen readers (role="img" with a title and a description, a title on every bar) and always accompanied by
the same numbers as a table (the template puts it in a <details>). Colours come from classes in
commerce.css, so they follow the portal's palette and dark mode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 600
HEIGHT = 200
TOP = 20  # room for the value above the tallest bar
BOTTOM = 24  # room for the labels under the bars
SIDE = 4


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar, short ("Mar")
    value: int
    title: str  # what a pointer or a screen reader gets ("March 2026: 3 orders")


def bar_chart(bars: Sequence[Bar], *, title: str, description: str, chart_id: str) -> SafeString:
    """A bar chart of whole numbers, scaled to the largest; an empty bar still shows its zero."""
    count = max(len(bars), 1)
    slot = (WIDTH - 2 * SIDE) / count
    bar_width = slot * 0.6
    largest = max((bar.value for bar in bars), default=0) or 1
    plot = HEIGHT - TOP - BOTTOM
    items = []
    for index, bar in enumerate(bars):
        height = plot * bar.value / largest
        x = SIDE + index * slot + (slot - bar_width) / 2
        y = TOP + plot - height
        centre = x + bar_width / 2
        items.append(
            (
                bar.title,
                f"{x:.1f}",
                f"{y:.1f}",
                f"{bar_width:.1f}",
                f"{max(height, 0):.1f}",
                f"{centre:.1f}",
                f"{y - 5:.1f}",
                bar.value,
                f"{centre:.1f}",
                f"{HEIGHT - 6:.1f}",
                bar.label,
            )
        )
    body = format_html_join(
        "",
        '<g class="chart-bar"><title>{}</title>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="2"></rect>'
        '<text class="chart-value" x="{}" y="{}" text-anchor="middle" aria-hidden="true">{}</text>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="middle" aria-hidden="true">{}</text></g>',
        items,
    )
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMidYMid meet" '
        'aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<line class="chart-axis" x1="0" y1="{}" x2="{}" y2="{}"></line>{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        TOP + plot,
        WIDTH,
        TOP + plot,
        body,
    )
