"""Helpers for the import tests: CSV files built from rows, in any delimiter and encoding."""

from __future__ import annotations

import csv
import io

import pytest

CUSTOMER_HEADER = [
    "external_id",
    "name",
    "kind",
    "vat_number",
    "email",
    "phone",
    "preferred_language",
    "street_address",
    "postal_code",
    "city",
    "country",
]


def make_csv(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def customer_row(n: int, **changes: str) -> list[str]:
    values = {
        "external_id": f"K-{n:05d}",
        "name": f"Kund {n} AB",
        "kind": "company",
        "vat_number": f"SE{556000000000 + n}01"[:14],
        "email": f"info{n}@kund.example",
        "phone": "+46 8 123 456 78",
        "preferred_language": "sv",
        "street_address": f"Storgatan {n % 90 + 1}",
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": "SE",
    }
    values.update(changes)
    return [values[column] for column in CUSTOMER_HEADER]


def customers_csv(
    count: int, *, start: int = 1, bad: dict[int, dict[str, str]] | None = None, **kwargs: str
) -> bytes:
    bad = bad or {}
    rows = [CUSTOMER_HEADER] + [customer_row(n, **bad.get(n, {})) for n in range(start, start + count)]
    return make_csv(rows, **kwargs)


@pytest.fixture
def table_from():
    """A Table from CSV bytes, as the services read it."""
    from kundportal.imports.parsers import decode, read_csv

    def _table(data: bytes, kind: str):  # type: ignore[no-untyped-def]
        text, encoding = decode(data, kind)
        return read_csv(text, kind, encoding=encoding)

    return _table


@pytest.fixture
def run(provider_admin, table_from):  # type: ignore[no-untyped-def]
    """Import CSV bytes as the provider admin; returns the report."""
    from kundportal.imports.services import run_import

    def _run(data: bytes, kind: str, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
        return run_import(actor=provider_admin, table=table_from(data, kind), dry_run=dry_run, source="test")

    return _run
