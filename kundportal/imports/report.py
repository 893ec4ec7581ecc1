"""The validation report of an import: per-row errors with a stable code, counts, and notices.

Messages are kept as a code and its parameters and translated when shown, so the preview page speaks the
language of whoever reads it and the API returns the code next to the message for integrators' own handling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Every message an import can report. Parameters are %(name)s; none of them ever holds a cell's value when
# that value could be sensitive (a card number is never echoed).
MESSAGES: dict[str, Promise] = {
    # whole file
    "empty": _("The file is empty."),
    "header_only": _("The file has a header but no rows."),
    "too_large": _("The file is larger than the limit of %(limit)s MB."),
    "too_many_rows": _("The file has more than %(limit)s rows. Split it into smaller files."),
    "workbook": _(
        "This is a spreadsheet workbook, not a CSV file. Save it as “CSV (comma or semicolon separated)” "
        "and upload that."
    ),
    "binary": _("This is not a CSV file: it contains binary data."),
    "not_csv": _(
        "This is not a CSV file. Export the data as CSV (comma or semicolon separated) and upload that."
    ),
    "no_file": _("Choose a CSV file."),
    "encoding": _("The file is neither UTF-8 nor Windows-1252 text. Save it as CSV in UTF-8."),
    "malformed": _("The file could not be read as CSV near line %(line)s: %(detail)s"),
    "missing_column": _("The column “%(name)s” is missing. Columns found: %(found)s."),
    "duplicate_column": _("The columns “%(first)s” and “%(second)s” both mean “%(meaning)s”. Keep one."),
    "not_a_list": _("Send the rows as a list of objects."),
    "invalid_json": _(
        'The body must be JSON of the form {"rows": [{…}, …], "dry_run": false}, each row an object '
        "of texts, numbers, true/false or null."
    ),
    "changed_meanwhile": _(
        "The data changed while the import was running (someone else imported at the same time). "
        "Nothing was applied; try again."
    ),
    # one cell or row
    "required": _("This field is required."),
    "too_long": _("At most %(limit)s characters."),
    "nul": _("Contains a null character."),
    "control": _("Contains control characters."),
    "markup": _("Enter plain text without HTML tags (“<” followed by a letter)."),
    "card_number": _(
        "Looks like a payment card number. Card numbers are never stored; remove it from the file."
    ),
    "wrong_width": _("The row has %(found)s cells, the header %(expected)s."),
    "duplicate_id": _("The external id “%(value)s” appears again (first in row %(first)s)."),
    "duplicate_sku": _("The SKU “%(value)s” appears again (first in row %(first)s)."),
    "duplicate_number": _(
        "The order number “%(value)s” belongs to another order in this file (row %(first)s)."
    ),
    "invalid_kind": _("Enter “company” or “private”."),
    "invalid_email": _("Enter a valid email address."),
    "invalid_phone": _("Enter a valid phone number, with its country code (for example +46 8 123 456 78)."),
    "invalid_language": _("Enter one of: %(choices)s."),
    "invalid_vat": _("Enter a VAT number that starts with the country code, for example SE556677889901."),
    "invalid_country": _("Unknown country. Use the two-letter code, for example SE or DE."),
    "country_required": _("The country is required for an address."),
    "invalid_postal_code": _("This postal code is not valid in %(country)s."),
    "address_required": _("This field is required for an address in %(country)s."),
    "invalid_address": _("This value is not valid for an address in %(country)s."),
    "invalid_currency": _("Unknown currency. Use one of: %(choices)s."),
    "invalid_number": _("Enter a number, for example 1234.50."),
    "too_many_decimals": _("At most %(places)s decimals."),
    "too_big": _("The number is too large."),
    "negative": _("Must not be negative."),
    "not_positive": _("Must be greater than zero."),
    "invalid_bool": _("Enter yes or no (also 1/0, true/false, ja/nej)."),
    "invalid_date": _("Enter a date as YYYY-MM-DD (a time is optional)."),
    "future_date": _("The date is in the future."),
    "invalid_status": _("Unknown status. Use one of: %(choices)s."),
    "sku_taken": _("The SKU “%(value)s” belongs to another product (external id %(other)s)."),
    "number_taken": _("The order number “%(value)s” belongs to another order."),
    "unknown_customer": _("No customer has the external id “%(value)s”. Import the customers first."),
    "unknown_sku": _("No product has the SKU “%(value)s”. Import the products first."),
    "price_needed": _("Enter the unit price: the product's price is in %(currency)s."),
    "differs_in_order": _("Differs from the first row of this order (row %(first)s)."),
    "other_customer": _("The order belongs to another customer; an import cannot move it."),
    "impossible_status": _("An order that is %(current)s cannot become %(next)s."),
    "invoiced_lines": _("The order has an invoice: its lines and amounts can no longer change."),
    "no_lines": _("An order needs at least one line with a SKU."),
    # notices: shown, never blocking
    "unused_column": _("The column “%(name)s” is not used by this import."),
    "do_not_contact": _(
        "This email address is on the do-not-contact list (the person asked not to be contacted again): "
        "it is not imported."
    ),
    "name_exists": _(
        "A customer called “%(value)s” exists already without an external id: this row creates another one."
    ),
}


def render_message(code: str, params: dict[str, Any] | None = None) -> str:
    template = MESSAGES.get(code)
    if template is None:  # "refused": a validator's own message, translated when it was raised
        return str((params or {}).get("message", code))
    if not params:
        return str(template)
    # Countries and order statuses are stored as codes and named in the reader's language.
    if "country" in params:
        from django_countries import countries

        params = {**params, "country": countries.name(params["country"]) or params["country"]}
    if code == "impossible_status":
        from kundportal.commerce.models import OrderStatus

        labels = dict(OrderStatus.choices)
        params = {key: labels.get(value, value) for key, value in params.items()}
    return str(template) % params


@dataclass
class RowError:
    """One problem in one row (row 0: the whole file). `column` is the field's canonical name, or ""."""

    row: int
    column: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return render_message(self.code, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "code": self.code, "params": self.params}


@dataclass
class Report:
    kind: str
    rows: int = 0  # data rows read (for orders: lines)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0  # records (customers, products, orders) with at least one error
    errors: list[RowError] = field(default_factory=list)
    notices: list[RowError] = field(default_factory=list)
    # canonical field name -> the column's name in the file (or the JSON key), for messages
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "create": self.created,
            "update": self.updated,
            "unchanged": self.unchanged,
            "error": self.failed,
        }

    def add(self, row: int, column: str, code: str, **params: Any) -> RowError:
        error = RowError(row, column, code, params)
        self.errors.append(error)
        return error

    def notice(self, row: int, column: str, code: str, **params: Any) -> None:
        self.notices.append(RowError(row, column, code, params))

    def column_label(self, column: str) -> str:
        return self.columns.get(column, column)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "counts": self.counts,
            "errors": [e.as_dict() for e in sorted(self.errors, key=lambda e: (e.row, e.column))],
            "notices": [n.as_dict() for n in self.notices],
            "columns": self.columns,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        counts = data.get("counts", {})
        return cls(
            kind=data.get("kind", ""),
            rows=counts.get("rows", 0),
            created=counts.get("create", 0),
            updated=counts.get("update", 0),
            unchanged=counts.get("unchanged", 0),
            failed=counts.get("error", 0),
            errors=[RowError(**e) for e in data.get("errors", [])],
            notices=[RowError(**n) for n in data.get("notices", [])],
            columns=data.get("columns", {}),
        )


class ImportRefused(Exception):
    """The input cannot be read at all (empty, not CSV, a required column missing): a report with file errors
    and no rows."""

    def __init__(self, report: Report) -> None:
        super().__init__(", ".join(e.code for e in report.errors))
        self.report = report


def refuse(kind: str, code: str, *, columns: dict[str, str] | None = None, **params: Any) -> ImportRefused:
    report = Report(kind=kind, columns=columns or {})
    report.add(0, "", code, **params)
    return ImportRefused(report)
