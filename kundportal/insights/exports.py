"""Each chart's numbers as CSV: machine-readable columns (keys, ISO dates, plain decimals) with the labels in
the reader's language beside the keys. Every export is recorded in the audit log."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.customers.queries import spreadsheet_safe
from kundportal.insights.dashboard import currencies_by_orders, interest_name, segment_rows
from kundportal.insights.figures import Figures

Cell = str | int


def csv_rows(figures: Figures, chart: str, *, language: str) -> list[list[Cell]]:
    """The header and the rows of one chart (one of dashboard.CHARTS)."""
    match chart:
        case "segments":
            return [
                ["segment", "label", "customers"],
                *([key, label, count] for key, label, count in segment_rows(figures)),
            ]
        case "interests":
            return [
                ["interest", "name", "declared", "inferred"],
                *(
                    [
                        i["slug"],
                        spreadsheet_safe(interest_name(i["names"], language)),
                        i["declared"],
                        i["inferred"],
                    ]
                    for i in figures["interests"]
                ),
            ]
        case "orders":
            counts = dict.fromkeys(figures["months"], 0)
            for sale in figures["sales"]:
                counts[sale["month"]] += sale["orders"]
            return [["month", "orders"], *([month, count] for month, count in counts.items())]
        case "revenue":
            sales = {(sale["month"], sale["currency"]): sale for sale in figures["sales"]}
            rows: list[list[Cell]] = [["month", "currency", "orders", "revenue"]]
            for month in figures["months"]:
                for currency in currencies_by_orders(figures):
                    sale: dict[str, Any] = sales.get((month, currency)) or {"orders": 0, "revenue": "0.00"}
                    rows.append([month, currency, sale["orders"], str(Decimal(sale["revenue"]))])
            return rows
        case "frequency":
            return [
                ["orders", "customers"],
                *([bucket["bucket"], bucket["customers"]] for bucket in figures["frequency"]),
            ]
        case "offers":
            return [
                [
                    "offer",
                    "title",
                    "status",
                    "starts_on",
                    "ends_on",
                    "reach",
                    "views",
                    "acceptances",
                    "dismissals",
                ],
                *(
                    [
                        offer["id"],
                        spreadsheet_safe(offer["title"]),
                        offer["status"],
                        offer["starts_on"],
                        offer["ends_on"],
                        "" if offer["reach"] is None else offer["reach"],
                        offer["views"],
                        offer["acceptances"],
                        offer["dismissals"],
                    ]
                    for offer in figures["offers"]
                ),
            ]
        case "activity":
            return [
                ["week", "logins", "uploads", "downloads"],
                *([w["week"], w["logins"], w["uploads"], w["downloads"]] for w in figures["activity"]),
            ]
    raise ValueError(chart)


def record_export(*, actor: Any, chart: str, own: bool, request: HttpRequest | None) -> None:
    record_event(
        Action.INSIGHTS_EXPORTED,
        actor=actor,
        request=request,
        chart=chart,
        scope="own customers" if own else "all customers",
    )
