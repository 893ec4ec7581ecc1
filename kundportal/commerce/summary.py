"""The purchase summary as the orders page shows it: the chart of orders per month, the products bought most
and the average time between orders, in the reader's language."""

from __future__ import annotations

from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kundportal.commerce.history import OrderSummary
from kundportal.core.charts import Bar, bar_chart


def _month_title(month: Any, count: int) -> str:
    return ngettext("%(month)s: %(count)d order", "%(month)s: %(count)d orders", count) % {
        "month": date_format(month, "YEAR_MONTH_FORMAT"),
        "count": count,
    }


def summary_context(summary: OrderSummary) -> dict[str, Any]:
    months = summary.months
    first, last = months[0].month, months[-1].month
    description = ngettext(
        "%(count)d order from %(first)s to %(last)s.",
        "%(count)d orders from %(first)s to %(last)s.",
        summary.recent_count,
    ) % {
        "count": summary.recent_count,
        "first": date_format(first, "YEAR_MONTH_FORMAT"),
        "last": date_format(last, "YEAR_MONTH_FORMAT"),
    }
    chart = bar_chart(
        [
            Bar(label=date_format(m.month, "M"), value=m.orders, title=_month_title(m.month, m.orders))
            for m in months
        ],
        title=_("Orders per month over the last 12 months"),
        description=description,
        chart_id="orders-per-month",
    )
    average = summary.average_days_between
    return {
        "summary": summary,
        "chart": chart,
        "chart_rows": [(date_format(m.month, "YEAR_MONTH_FORMAT"), m.orders) for m in months],
        "average_days": round(average) if average is not None else None,
    }
