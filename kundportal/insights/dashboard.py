"""The insight figures as the dashboard shows them, in the reader's language: for each chart its SVG, the same
numbers as a table, and what to say when there is nothing to show yet."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from kundportal.commerce.formats import money
from kundportal.core.charts import (
    NARROW,
    Bar,
    Row,
    Series,
    Tick,
    bar_chart,
    data_table,
    format_count,
    hbar_chart,
    legend,
    line_chart,
)
from kundportal.insights.figures import Figures
from kundportal.insights.segments import MEANINGS, Segment

CHARTS = ("segments", "interests", "orders", "revenue", "frequency", "offers", "activity")
NOT_SCORED = "not_scored"
NO_PURCHASES = "no_purchases"


@dataclass
class Chart:
    slug: str
    title: str
    description: str = ""
    svg: SafeString | None = None  # None: nothing to show, say `empty` instead
    empty: str = ""
    legend: SafeString | str = ""
    head: list[str] = field(default_factory=list)  # the table's column headers
    rows: list[list[str]] = field(default_factory=list)  # the first cell heads its row
    extra: dict[str, Any] = field(default_factory=dict)  # what one chart's template part needs besides

    @property
    def table(self) -> SafeString:
        return data_table(self.title, self.head, self.rows)


@dataclass
class Dashboard:
    facts: list[tuple[str, str]]
    charts: list[Chart]


def month_of(key: str) -> date:
    year, month = key.split("-")
    return date(int(year), int(month), 1)


def share(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return pgettext("percentage", "%(number)s %%") % {
        "number": number_format(
            Decimal(100 * part) / whole, 0 if part * 100 % whole == 0 else 1, use_l10n=True
        )
    }


def when(value: str | None) -> str:
    moment = parse_datetime(value) if value else None
    return date_format(moment, "SHORT_DATETIME_FORMAT") if moment else ""


def build_dashboard(figures: Figures, *, language: str, currency: str = "") -> Dashboard:
    sales_by_month: dict[str, int] = {}
    for sale in figures["sales"]:
        sales_by_month[sale["month"]] = sales_by_month.get(sale["month"], 0) + sale["orders"]
    last_year = figures["months"][-12:]
    facts = [
        (_("Customers"), format_count(figures["customers"])),
        (_("Bought at least once"), format_count(figures["buyers"])),
        (_("Orders in the last 12 months"), format_count(sum(sales_by_month.get(m, 0) for m in last_year))),
        (
            _("Customer logins in the last 12 weeks"),
            format_count(sum(w["logins"] for w in figures["activity"])),
        ),
    ]
    # In pairs of about the same height for the two-column grid; the interests, the tallest, last and wide.
    charts = [
        segments_chart(figures),
        frequency_chart(figures),
        orders_chart(figures),
        revenue_chart(figures, currency),
        activity_chart(figures),
        offers_chart(figures),
        interests_chart(figures, language),
    ]
    return Dashboard(facts=facts, charts=charts)


# ---------------------------------------------------------------------------------------------------------
# One function per chart


def segment_rows(figures: Figures) -> list[tuple[str, str, int]]:
    """(key, label, customers) for every segment, then those not scored yet and those without purchases."""
    segments = figures["segments"]
    rows = [(segment.value, str(segment.label), segments.get(segment.value, 0)) for segment in Segment]
    if segments.get(""):
        rows.append((NOT_SCORED, _("Bought since the last scoring"), segments[""]))
    rows.append((NO_PURCHASES, _("No purchases yet"), figures["customers"] - figures["buyers"]))
    return rows


def segments_chart(figures: Figures) -> Chart:
    chart = Chart("segments", _("Customers by segment"))
    customers, buyers = figures["customers"], figures["buyers"]
    rows = segment_rows(figures)
    chart.head = [_("Segment"), _("Customers"), _("Share")]
    chart.rows = [[label, format_count(count), share(count, customers)] for _key, label, count in rows]
    chart.extra["meanings"] = [(segment.label, MEANINGS[segment]) for segment in Segment]
    if not customers:
        chart.empty = _("No customers yet.")
        return chart
    if not buyers:
        chart.empty = _("No orders yet: customers are put into segments once they have bought something.")
        return chart
    largest = max(rows[: len(Segment)], key=lambda row: row[2])
    chart.description = ngettext(
        "%(buyers)s of %(customers)s customer has bought at least once; the largest segment is %(segment)s "
        "with %(count)s.",
        "%(buyers)s of %(customers)s customers have bought at least once; the largest segment is %(segment)s "
        "with %(count)s.",
        customers,
    ) % {
        "buyers": format_count(buyers),
        "customers": format_count(customers),
        "segment": largest[1],
        "count": format_count(largest[2]),
    }
    chart.svg = hbar_chart(
        [
            Row(
                label=label,
                values=[count],
                titles=[_customers_title(label, count)],
                displays=[format_count(count)],
            )
            for _key, label, count in rows
        ],
        title=chart.title,
        description=chart.description,
        chart_id="chart-segments",
    )
    return chart


def _customers_title(label: str, count: int) -> str:
    return ngettext("%(label)s: %(count)s customer", "%(label)s: %(count)s customers", count) % {
        "label": label,
        "count": format_count(count),
    }


def interest_name(names: dict[str, str], language: str) -> str:
    return names.get(language[:2]) or names.get("en", "")


def interests_chart(figures: Figures, language: str) -> Chart:
    chart = Chart("interests", _("Interests"))
    interests = sorted(
        figures["interests"],
        key=lambda i: (-(i["declared"] + i["inferred"]), interest_name(i["names"], language).lower()),
    )
    declared_name, inferred_name = _("Chosen by the customer"), _("Inferred from purchases")
    chart.head = [_("Interest"), declared_name, inferred_name]
    chart.rows = [
        [interest_name(i["names"], language), format_count(i["declared"]), format_count(i["inferred"])]
        for i in interests
    ]
    if not interests:
        chart.empty = _("No interest categories yet.")
        return chart
    if not any(i["declared"] or i["inferred"] for i in interests):
        chart.empty = _(
            "No customer has an interest yet: customers choose theirs, and their purchases add inferred ones."
        )
        return chart
    top = interest_name(interests[0]["names"], language)
    chart.description = _(
        "For each interest category, how many customers chose it themselves and how many have it inferred "
        "from their purchases. The most common is %(interest)s."
    ) % {"interest": top}
    chart.legend = legend([declared_name, inferred_name])
    rows = []
    for interest in interests:
        name = interest_name(interest["names"], language)
        rows.append(
            Row(
                label=name,
                values=[interest["declared"], interest["inferred"]],
                titles=[
                    ngettext(
                        "%(interest)s: chosen by %(count)s customer",
                        "%(interest)s: chosen by %(count)s customers",
                        interest["declared"],
                    )
                    % {"interest": name, "count": format_count(interest["declared"])},
                    ngettext(
                        "%(interest)s: inferred for %(count)s customer",
                        "%(interest)s: inferred for %(count)s customers",
                        interest["inferred"],
                    )
                    % {"interest": name, "count": format_count(interest["inferred"])},
                ],
                displays=[format_count(interest["declared"]), format_count(interest["inferred"])],
            )
        )
    chart.svg = hbar_chart(rows, title=chart.title, description=chart.description, chart_id="chart-interests")
    return chart


def month_ticks(months: list[str]) -> list[Tick]:
    """Every sixth month named, the latest among them; on narrow screens every twelfth."""
    ticks = []
    for index, key in enumerate(months):
        back = len(months) - 1 - index
        ticks.append(Tick(date_format(month_of(key), "M Y") if back % 6 == 0 else "", minor=back % 12 != 0))
    return ticks


def month_name(month: str, months: list[str]) -> str:
    """The month in words; the current one (the last) is not over yet."""
    name = date_format(month_of(month), "YEAR_MONTH_FORMAT")
    return _("%(month)s (so far)") % {"month": name} if month == months[-1] else name


def _period_text(months: list[str]) -> dict[str, str]:
    return {
        "first": date_format(month_of(months[0]), "YEAR_MONTH_FORMAT"),
        "last": date_format(month_of(months[-1]), "YEAR_MONTH_FORMAT"),
    }


def orders_chart(figures: Figures) -> Chart:
    months = figures["months"]
    chart = Chart("orders", _("Orders per month"))
    counts = dict.fromkeys(months, 0)
    for sale in figures["sales"]:
        counts[sale["month"]] += sale["orders"]
    chart.head = [_("Month"), _("Orders")]
    chart.rows = [[month_name(month, months), format_count(count)] for month, count in counts.items()]
    total = sum(counts.values())
    if not total:
        chart.empty = _("No orders in the last 24 months.")
        return chart
    busiest = max(counts, key=lambda month: counts[month])
    chart.description = ngettext(
        "%(count)s order from %(first)s to %(last)s (cancelled orders not counted); the most in %(month)s "
        "with %(most)s.",
        "%(count)s orders from %(first)s to %(last)s (cancelled orders not counted); the most in %(month)s "
        "with %(most)s.",
        total,
    ) % {
        "count": format_count(total),
        **_period_text(months),
        "month": date_format(month_of(busiest), "YEAR_MONTH_FORMAT"),
        "most": format_count(counts[busiest]),
    }
    titles = [
        ngettext("%(month)s: %(count)s order", "%(month)s: %(count)s orders", count)
        % {"month": month_name(month, months), "count": format_count(count)}
        for month, count in counts.items()
    ]
    chart.svg = line_chart(
        month_ticks(months),
        [Series(_("Orders"), list(counts.values()), titles)],
        title=chart.title,
        description=chart.description,
        chart_id="chart-orders",
        area=True,
    )
    return chart


def currencies_by_orders(figures: Figures) -> list[str]:
    """The currencies sold in over the period, the one with the most orders first."""
    orders: dict[str, int] = {}
    for sale in figures["sales"]:
        orders[sale["currency"]] = orders.get(sale["currency"], 0) + sale["orders"]
    return sorted(orders, key=lambda code: (-orders[code], code))


def revenue_chart(figures: Figures, currency: str) -> Chart:
    months = figures["months"]
    currencies = currencies_by_orders(figures)
    chosen = currency if currency in currencies else (currencies[0] if currencies else "")
    chart = Chart("revenue", _("Revenue per month"))
    chart.extra.update(currencies=currencies, currency=chosen)
    sales = {(sale["month"], sale["currency"]): sale for sale in figures["sales"]}
    amounts = {key: Decimal(sale["revenue"]) for key, sale in sales.items()}
    chart.head = [_("Month"), _("Orders"), _("Revenue")]
    chart.rows = [
        [
            month_name(month, months),
            format_count(sales[month, chosen]["orders"] if (month, chosen) in sales else 0),
            money(amounts.get((month, chosen), Decimal("0.00")), chosen),
        ]
        for month in months
    ]
    if not chosen:
        chart.empty = _("No revenue in the last 24 months.")
        return chart
    values = [amounts.get((month, chosen), Decimal("0.00")) for month in months]
    chart.description = _(
        "Revenue in %(currency)s from %(first)s to %(last)s: %(total)s in all (cancelled orders not counted). "
        "Amounts in other currencies are not converted: choose their currency to see them."
    ) % {"currency": chosen, **_period_text(months), "total": money(sum(values, Decimal("0.00")), chosen)}
    titles = [
        pgettext("revenue in a month", "%(month)s: %(amount)s")
        % {"month": month_name(month, months), "amount": money(value, chosen)}
        for month, value in zip(months, values, strict=True)
    ]
    chart.svg = line_chart(
        month_ticks(months),
        [Series(chosen, values, titles)],
        title=_("Revenue per month in %(currency)s") % {"currency": chosen},
        description=chart.description,
        chart_id="chart-revenue",
        area=True,
        whole=False,
    )
    return chart


def bucket_label(bucket: dict[str, Any]) -> str:
    if bucket["most"] is None:
        return pgettext("number of orders", "%(fewest)s or more") % {"fewest": bucket["fewest"]}
    if bucket["most"] == bucket["fewest"]:
        return str(bucket["fewest"])
    return pgettext("number of orders", "%(fewest)s-%(most)s") % bucket


def frequency_chart(figures: Figures) -> Chart:
    chart = Chart("frequency", _("Customers by number of orders"))
    buckets = figures["frequency"]
    chart.head = [_("Orders"), _("Customers"), _("Share")]
    chart.rows = [
        [bucket_label(b), format_count(b["customers"]), share(b["customers"], figures["buyers"])]
        for b in buckets
    ]
    if not figures["buyers"]:
        chart.empty = _("No orders yet.")
        return chart
    chart.description = _(
        "How many customers placed how many orders, over all their purchases (cancelled orders not counted)."
    )
    bars = []
    for bucket in buckets:
        count = bucket["customers"]
        title = ngettext(
            "%(orders)s orders: %(count)s customer", "%(orders)s orders: %(count)s customers", count
        ) % {"orders": bucket_label(bucket), "count": format_count(count)}
        if bucket["most"] == 1:
            title = ngettext("1 order: %(count)s customer", "1 order: %(count)s customers", count) % {
                "count": format_count(count)
            }
        bars.append(Bar(label=bucket_label(bucket), value=count, title=title, display=format_count(count)))
    chart.svg = bar_chart(
        bars, title=chart.title, description=chart.description, chart_id="chart-frequency", width=NARROW
    )
    return chart


def offers_chart(figures: Figures) -> Chart:
    chart = Chart("offers", _("Responses to offers"))
    offers = figures["offers"]
    names = [_("Viewed"), _("Accepted"), _("Dismissed")]
    with_reach = any(offer["reach"] is not None for offer in offers)
    chart.head = [
        _("Offer"),
        _("Valid"),
        *([_("Reach")] if with_reach else []),
        *names,
        _("Accepted of viewed"),
    ]
    chart.rows = [
        [
            offer["title"],
            _("%(start)s to %(end)s")
            % {
                "start": date_format(date.fromisoformat(offer["starts_on"]), "SHORT_DATE_FORMAT"),
                "end": date_format(date.fromisoformat(offer["ends_on"]), "SHORT_DATE_FORMAT"),
            },
            *([format_count(offer["reach"] or 0)] if with_reach else []),
            format_count(offer["views"]),
            format_count(offer["acceptances"]),
            format_count(offer["dismissals"]),
            share(offer["acceptances"], offer["views"]),
        ]
        for offer in offers
    ]
    if not offers:
        chart.empty = _("No live or recently ended offers.")
        return chart
    chart.description = ngettext(
        "How often %(count)s live or recently ended offer was viewed, accepted and dismissed.",
        "How often %(count)s live or recently ended offers were viewed, accepted and dismissed.",
        len(offers),
    ) % {"count": format_count(len(offers))}
    chart.legend = legend(names)
    rows = []
    for offer in offers:
        values = [offer["views"], offer["acceptances"], offer["dismissals"]]
        rows.append(
            Row(
                label=offer["title"],
                values=values,
                titles=[
                    pgettext("offer response", "%(offer)s, %(what)s: %(count)s")
                    % {"offer": offer["title"], "what": name, "count": format_count(value)}
                    for name, value in zip(names, values, strict=True)
                ],
                displays=[format_count(value) for value in values],
            )
        )
    chart.svg = hbar_chart(rows, title=chart.title, description=chart.description, chart_id="chart-offers")
    return chart


def activity_chart(figures: Figures) -> Chart:
    chart = Chart("activity", _("Portal activity per week"))
    weeks = figures["activity"]
    names = {"logins": _("Logins"), "uploads": _("Uploads"), "downloads": _("Downloads")}
    starts = [date.fromisoformat(week["week"]) for week in weeks]
    chart.head = [_("Week of"), *names.values()]
    chart.rows = [
        [date_format(start, "SHORT_DATE_FORMAT"), *(format_count(week[key]) for key in names)]
        for start, week in zip(starts, weeks, strict=True)
    ]
    totals = {key: sum(week[key] for week in weeks) for key in names}
    if not any(totals.values()):
        chart.empty = _("No customer activity in the last 12 weeks.")
        return chart
    chart.description = _(
        "What customers' users did in the portal per week over the last 12 weeks: %(logins)s logins, "
        "%(uploads)s documents uploaded and %(downloads)s downloads in all."
    ) % {key: format_count(total) for key, total in totals.items()}
    chart.legend = legend(list(names.values()), lines=True)
    series = [
        Series(
            name,
            [week[key] for week in weeks],
            [
                pgettext("activity in a week", "%(what)s in the week of %(date)s: %(count)s")
                % {
                    "what": name,
                    "date": date_format(start, "SHORT_DATE_FORMAT"),
                    "count": format_count(week[key]),
                }
                for start, week in zip(starts, weeks, strict=True)
            ],
        )
        for key, name in names.items()
    ]
    # Every other week named (the current one among them); on narrow screens every fourth.
    ticks = []
    for index, start in enumerate(starts):
        back = len(starts) - 1 - index
        ticks.append(Tick(date_format(start, "j M") if back % 2 == 0 else "", minor=back % 4 != 0))
    chart.svg = line_chart(
        ticks, series, title=chart.title, description=chart.description, chart_id="chart-activity"
    )
    return chart


def computed_text(figures: Figures, *, own: bool, live: bool, duration_ms: int) -> str:
    """Whose figures, when they were computed and when the segments were scored: the line under the title
    (parts joined by a middle dot, as a date and time can end in a full stop: "5:28 a.m.")."""
    count = format_count(figures["customers"])
    if own:
        parts = [
            ngettext(
                "Figures for the %(count)s customer you look after",
                "Figures for the %(count)s customers you look after",
                figures["customers"],
            )
            % {"count": count}
        ]
    else:
        parts = [_("Figures for all customers")]
    if live:
        parts.append(_("computed just now"))
    else:
        parts.append(
            _("computed %(when)s in %(seconds)s s")
            % {
                "when": when(figures["computed_at"]),
                "seconds": number_format(Decimal(duration_ms) / 1000, 1, use_l10n=True),
            }
        )
    if figures["scored_at"]:
        parts.append(_("segments scored %(when)s") % {"when": when(figures["scored_at"])})
    return " · ".join(parts)
