"""Small charts drawn on the server as SVG: bars (whole numbers per label), lines or areas (time series) and
horizontal bars (distributions, one row per category, one or more series).

No script and no inline style (the CSP forbids both): colours and sizes come from classes in charts.css, so
they follow the portal's palette and dark mode. Every chart is an image to assistive technology (role="img"
with a title and a description; a <title> on every bar and point for a pointer), and the page always shows the
same numbers as a table next to it (in a <details>): the chart is for the eye, the table for everyone.

Texts are passed in already translated and formatted; only the axis ticks are formatted here (compact_number).
Charts scale with their container (a viewBox, width 100%); ticks marked `minor` are hidden on narrow screens,
where the text grows relative to the chart (charts.css), so that the labels that stay do not overlap.

The markup is put together from f-strings, every text passing through escape() on its way in, and marked
safe once per chart: a dashboard of several charts has thousands of elements, and format_html's escaping of
every (mostly numeric) argument made it the larger part of the page's time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

WIDTH = 600  # bar charts (the orders page's); the others are narrower, for a card in a two-column grid
NARROW = 480
HEIGHT = 200
TOP = 20  # room for the value above the tallest bar
BOTTOM = 24  # room for the labels under the bars
SIDE = 4

Number = int | float | Decimal


def _safe(parts: Iterable[str]) -> SafeString:
    """Markup built here, every text in it escaped where it was put in."""
    return mark_safe("".join(parts))  # noqa: S308  (texts escaped with escape() in each chart function)


def _svg(
    chart_id: str, kind: str, size: tuple[float, float], title: str, description: str, body: Iterable[str]
) -> SafeString:
    key = escape(chart_id)
    return _safe(
        [
            f'<svg class="chart{f" chart-{kind}" if kind else ""}" role="img" viewBox="0 0 {size[0]:g} '
            f'{size[1]:g}" width="100%" preserveAspectRatio="xMidYMid meet" '
            f'aria-labelledby="{key}-title {key}-desc">'
            f'<title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(description)}</desc>',
            *body,
            "</svg>",
        ]
    )


# ---------------------------------------------------------------------------------------------------------
# Bars


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar, short ("Mar")
    value: int
    title: str  # what a pointer or a screen reader gets ("March 2026: 3 orders")
    display: str = ""  # the value as written above the bar, if not the plain number ("1,234")


def bar_chart(
    bars: Sequence[Bar], *, title: str, description: str, chart_id: str, width: int = WIDTH
) -> SafeString:
    """A bar chart of whole numbers, scaled to the largest; an empty bar still shows its zero."""
    count = max(len(bars), 1)
    slot = (width - 2 * SIDE) / count
    bar_width = slot * 0.6
    largest = max((bar.value for bar in bars), default=0) or 1
    plot = HEIGHT - TOP - BOTTOM
    parts = [f'<line class="chart-axis" x1="0" y1="{TOP + plot}" x2="{width}" y2="{TOP + plot}"></line>']
    for index, bar in enumerate(bars):
        height = plot * bar.value / largest
        x = SIDE + index * slot + (slot - bar_width) / 2
        y = TOP + plot - height
        centre = x + bar_width / 2
        parts.append(
            f'<g class="chart-bar"><title>{escape(bar.title)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{max(height, 0):.1f}" rx="2"></rect>'
            f'<text class="chart-value" x="{centre:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
            f'aria-hidden="true">{escape(bar.display or bar.value)}</text>'
            f'<text class="chart-label" x="{centre:.1f}" y="{HEIGHT - 6:.1f}" text-anchor="middle" '
            f'aria-hidden="true">{escape(bar.label)}</text></g>'
        )
    return _svg(chart_id, "", (width, HEIGHT), title, description, parts)


# ---------------------------------------------------------------------------------------------------------
# Axis ticks


def compact_number(value: Number) -> str:
    """An axis tick in the reader's language, short: 950, 7,500, 12.5 k, 1.5 M."""
    value = Decimal(str(value))
    if abs(value) >= 1_000_000:
        millions = value / 1_000_000
        return pgettext("chart axis, millions", "%(number)s M") % {
            "number": number_format(millions, 0 if millions == millions.to_integral() else 1, use_l10n=True)
        }
    if abs(value) >= 10_000:
        thousands = value / 1_000
        return pgettext("chart axis, thousands", "%(number)s k") % {
            "number": number_format(
                thousands, 0 if thousands == thousands.to_integral() else 1, use_l10n=True
            )
        }
    decimals = 0 if value == value.to_integral() else 1
    return number_format(value, decimals, use_l10n=True, force_grouping=True)


def nice_scale(largest: float, *, ticks: int = 4, whole: bool = True) -> tuple[float, float]:
    """The top of the axis and the step between its ticks: round numbers (1, 2, 2.5 or 5 times a power of
    ten) with at most `ticks` steps up to a top at or above `largest`."""
    if largest <= 0:
        return (float(ticks), 1.0) if whole else (1.0, 0.25)
    raw = largest / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 2.5, 5, 10) if raw <= f * magnitude + 1e-12)
    if whole:
        step = max(1.0, math.ceil(step))
    return step * math.ceil(largest / step - 1e-9), step


def _y_axis(top: float, step: float, *, x0: float, x1: float, y0: float, plot: float) -> list[str]:
    """Horizontal grid lines with their values at the left, from 0 to `top`."""
    lines = []
    count = round(top / step)
    for index in range(count + 1):
        value = step * index
        y = y0 + plot - plot * value / top
        lines.append(
            f'<line class="chart-grid" x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}"></line>'
            f'<text class="chart-tick" x="{x0 - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" aria-hidden="true">'
            f"{escape(compact_number(Decimal(str(round(value, 6)))))}</text>"
        )
    return lines


def legend(names: Sequence[str], *, lines: bool = False) -> SafeString:
    """The series' names with their colour (and, for lines, their dash pattern), as HTML next to the chart:
    it wraps on a narrow screen, where text inside the scaled-down SVG could not."""
    items = ['<ul class="chart-legend">']
    for index, name in enumerate(names, start=1):
        key = (
            '<svg class="chart-key" aria-hidden="true" viewBox="0 0 24 10" width="24" height="10">'
            f'<line class="chart-line chart-s{index}" x1="1" y1="5" x2="23" y2="5"></line></svg>'
            if lines
            else '<svg class="chart-key" aria-hidden="true" viewBox="0 0 12 12" width="12" height="12">'
            f'<rect class="chart-swatch chart-s{index}" x="0" y="0" width="12" height="12" rx="2"></rect></svg>'
        )
        items.append(f"<li>{key} {escape(name)}</li>")
    items.append("</ul>")
    return _safe(items)


# ---------------------------------------------------------------------------------------------------------
# Lines and areas over time


@dataclass(frozen=True)
class Tick:
    text: str  # under the axis ("Mar 2026")
    minor: bool = False  # left out on narrow screens


@dataclass(frozen=True)
class Series:
    name: str  # in the legend, when there is more than one series
    values: Sequence[Number]  # one for each tick
    titles: Sequence[str] = field(default=())  # one for each point, for a pointer ("March 2026: 3 orders")


LINE_HEIGHT = 220
LINE_LEFT = 72  # room for the tick values
LINE_RIGHT = 14
LINE_BOTTOM = 30


def line_chart(
    ticks: Sequence[Tick],
    series: Sequence[Series],
    *,
    title: str,
    description: str,
    chart_id: str,
    area: bool = False,
    whole: bool = True,
    width: int = NARROW,
) -> SafeString:
    """One line per series over the same ticks (months, weeks), on an axis from zero that the largest value
    fits under; `area` fills under a single series. Each point carries its title; with several series, put
    legend() next to the chart. `whole`: the values are counts (whole-number ticks)."""
    top_margin = 14
    plot = LINE_HEIGHT - top_margin - LINE_BOTTOM
    x0, x1 = LINE_LEFT, width - LINE_RIGHT
    largest = max((float(v) for s in series for v in s.values), default=0)
    top, step = nice_scale(largest, whole=whole)
    count = len(ticks)
    gap = (x1 - x0) / (count - 1) if count > 1 else 0

    def x(index: int) -> float:
        return x0 + index * gap if count > 1 else (x0 + x1) / 2

    def y(value: Number) -> float:
        return top_margin + plot - plot * float(value) / top

    parts = _y_axis(top, step, x0=x0, x1=x1, y0=top_margin, plot=plot)
    for index, tick in enumerate(ticks):
        if tick.text:
            # The last label ends at its point rather than running off the chart's right edge.
            anchor = "end" if index == count - 1 and count > 1 else "middle"
            parts.append(
                f'<text class="chart-label{" minor" if tick.minor else ""}" '
                f'x="{x(index) + (6 if anchor == "end" else 0):.1f}" y="{LINE_HEIGHT - 8:.1f}" '
                f'text-anchor="{anchor}" aria-hidden="true">{escape(tick.text)}</text>'
            )
    baseline = top_margin + plot
    for number, one in enumerate(series, start=1):
        points = [(x(index), y(value)) for index, value in enumerate(one.values)]
        if not points:
            continue
        line = " ".join(f"{'M' if i == 0 else 'L'}{px:.1f} {py:.1f}" for i, (px, py) in enumerate(points))
        if area and len(series) == 1:
            parts.append(
                f'<path class="chart-area chart-s{number}" d="{line} L{points[-1][0]:.1f} {baseline:.1f} '
                f'L{points[0][0]:.1f} {baseline:.1f} Z"></path>'
            )
        parts.append(f'<path class="chart-line chart-s{number}" d="{line}"></path>')
        titles = list(one.titles) or [""] * len(points)
        parts.extend(
            f'<circle class="chart-point chart-s{number}" cx="{px:.1f}" cy="{py:.1f}" r="3.5">'
            f"<title>{escape(text)}</title></circle>"
            for (px, py), text in zip(points, titles, strict=False)
        )
    parts.append(
        f'<line class="chart-axis" x1="{x0}" y1="{baseline:.1f}" x2="{x1}" y2="{baseline:.1f}"></line>'
    )
    return _svg(chart_id, "line", (width, LINE_HEIGHT), title, description, parts)


# ---------------------------------------------------------------------------------------------------------
# Horizontal bars


@dataclass(frozen=True)
class Row:
    label: str  # above the row's bars, the whole width for long (German) words
    values: Sequence[int]  # one for each series
    titles: Sequence[str] = field(default=())  # one for each bar, for a pointer ("Champions: 120 customers")
    displays: Sequence[str] = field(default=())  # the values as written after the bars, if not plain numbers


HBAR_LABEL = 28  # the label's line (room for the larger text on narrow screens)
HBAR_BAR = 16
HBAR_GAP = 6  # between the bars of one row
HBAR_ROW_GAP = 14
HBAR_VALUE_ROOM = 90  # after the longest bar, for its value


def hbar_chart(
    rows: Sequence[Row], *, title: str, description: str, chart_id: str, width: int = NARROW
) -> SafeString:
    """Horizontal bars: for each row its label, then one bar per series (with several, put legend() next to
    the chart), all scaled to the largest value; a zero is a sliver, so the row still reads as "none"."""
    bars = max((len(row.values) for row in rows), default=1)
    top = 4
    row_height = HBAR_LABEL + bars * HBAR_BAR + (bars - 1) * HBAR_GAP + HBAR_ROW_GAP
    height = top + max(len(rows), 1) * row_height - HBAR_ROW_GAP + 4
    largest = max((value for row in rows for value in row.values), default=0) or 1
    span = width - SIDE - HBAR_VALUE_ROOM
    parts = []
    for index, row in enumerate(rows):
        y = top + index * row_height
        parts.append(
            f'<text class="chart-label chart-row-label" x="{SIDE}" y="{y + HBAR_LABEL - 6:.1f}" '
            f'aria-hidden="true">{escape(row.label)}</text>'
        )
        titles, displays = list(row.titles), list(row.displays)
        for number, value in enumerate(row.values, start=1):
            bar_y = y + HBAR_LABEL + (number - 1) * (HBAR_BAR + HBAR_GAP)
            length = max(span * value / largest, 2)
            text = titles[number - 1] if number <= len(titles) else f"{row.label}: {value}"
            shown = displays[number - 1] if number <= len(displays) else value
            parts.append(
                f'<g class="chart-hbar chart-s{number}"><title>{escape(text)}</title>'
                f'<rect x="{SIDE}" y="{bar_y:.1f}" width="{length:.1f}" height="{HBAR_BAR}" rx="2"></rect>'
                f'<text class="chart-value" x="{SIDE + length + 6:.1f}" y="{bar_y + HBAR_BAR - 3:.1f}" '
                f'aria-hidden="true">{escape(shown)}</text></g>'
            )
    return _svg(chart_id, "hbar", (width, height), title, description, parts)


def format_count(value: int) -> str:
    """A count as the reader's language writes it (1,234 · 1 234 · 1.234)."""
    return number_format(value, 0, use_l10n=True, force_grouping=True)


# ---------------------------------------------------------------------------------------------------------
# The same numbers as a table


def data_table(caption: str, head: Sequence[str], rows: Iterable[Sequence[str]]) -> SafeString:
    """A chart's numbers as a table: the caption for screen readers, the first cell of each row as its
    header, the others right-aligned numbers, each labelled with its column for the stacked layout on phones
    (class "stack")."""
    headings = [escape(text) for text in head]
    parts = [
        '<table class="chart-table stack">',
        f'<caption class="visually-hidden">{escape(caption)}</caption><thead><tr>',
        *(f'<th scope="col">{text}</th>' for text in headings[:1]),
        *(f'<th scope="col" class="numeric">{text}</th>' for text in headings[1:]),
        "</tr></thead><tbody>",
    ]
    for row in rows:
        cells = [f'<th scope="row">{escape(row[0])}</th>']
        cells += [
            f'<td class="numeric" data-label="{label}">{escape(cell)}</td>'
            for label, cell in zip(headings[1:], row[1:], strict=True)
        ]
        parts.append(f"<tr>{''.join(cells)}</tr>")
    parts.append("</tbody></table>")
    return _safe(parts)
