"""Reading what providers' ERPs export: CSV with `,`, `;` or tab, in UTF-8 (with or without BOM), UTF-16 with
BOM (Excel's "Unicode text") or Windows-1252, with header names in English, Swedish or German; and the API's
JSON rows. Both end as the same `Table` of rows keyed by canonical field names, so one validation serves both.

Nothing here touches the database. Whatever cannot be read at all raises ImportRefused with a file-level error;
problems of single rows are left to the importers, which report them with the row's number.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from typing import Any

from kundportal.imports.report import ImportRefused, Report, refuse

MAX_FILE_BYTES = 20 * 1024 * 1024
# A 20 MB file of short rows could hold a million; validating that many in one request would take minutes.
MAX_ROWS = 50_000

# Canonical field -> accepted header names (compared after `header_key`). The first is the name we document.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "external_id": (
            "external id",
            "customer number",
            "customer no",
            "customer id",
            "customer external id",
            "kundnummer",
            "kundnr",
            "kund nr",
            "kund id",
            "kundennummer",
            "kundennr",
            "kunden nr",
            "debitorennummer",
            "debitor",
        ),
        "name": (
            "name",
            "organisation name",
            "organization name",
            "company",
            "company name",
            "customer name",
            "namn",
            "företag",
            "företagsnamn",
            "kundnamn",
            "firma",
            "firmenname",
            "kundenname",
        ),
        "kind": ("kind", "type", "customer type", "typ", "kundtyp", "kundentyp", "kundenart"),
        "vat_number": (
            "vat number",
            "vat",
            "vat no",
            "vat id",
            "vat nr",
            "momsnummer",
            "momsreg nr",
            "momsregistreringsnummer",
            "vat reg no",
            "ust id",
            "ust idnr",
            "ustid",
            "ustidnr",
            "umsatzsteuer id",
            "mwst nr",
            "uid",
        ),
        "email": ("email", "e mail", "contact email", "mail", "e post", "epost", "e postadress"),
        "phone": ("phone", "phone number", "telephone", "tel", "telefon", "telefonnummer"),
        "preferred_language": ("preferred language", "language", "språk", "sprache", "korrespondenzsprache"),
        "street_address": (
            "street address",
            "street",
            "address",
            "billing street",
            "adress",
            "gatuadress",
            "utdelningsadress",
            "straße",
            "strasse",
            "anschrift",
        ),
        "postal_code": (
            "postal code",
            "postcode",
            "zip",
            "zip code",
            "postnummer",
            "postnr",
            "plz",
            "postleitzahl",
        ),
        "city": ("city", "town", "ort", "postort", "stad", "stadt"),
        "country_area": ("country area", "state", "region", "county", "län", "bundesland", "kanton"),
        "country": ("country", "country code", "land", "landskod", "ländercode", "landeskennzeichen"),
    },
    "products": {
        "external_id": ("external id", "product id", "item id", "produkt id", "artikel id"),
        "sku": (
            "sku",
            "article number",
            "article no",
            "item number",
            "item no",
            "product code",
            "artikelnummer",
            "artikelnr",
            "art nr",
            "artnr",
        ),
        "name": (
            "name",
            "product name",
            "item name",
            "produktnamn",
            "benämning",
            "artikelnamn",
            "bezeichnung",
            "produktname",
            "artikelbezeichnung",
            "artikelname",
        ),
        "category": (
            "category",
            "product category",
            "product group",
            "kategori",
            "produktkategori",
            "varugrupp",
            "kategorie",
            "warengruppe",
            "produktgruppe",
        ),
        "price": ("price", "unit price", "list price", "pris", "á pris", "a pris", "preis", "listenpreis"),
        "currency": ("currency", "curr", "valuta", "währung"),
        "active": ("active", "aktiv", "aktiverad", "is active"),
    },
    "orders": {
        "external_id": (
            "order external id",
            "external id",
            "order id",
            "order ext id",
            "order id external",
            "beställnings id",
            "order id extern",
            "auftrags id",
            "bestell id",
        ),
        "customer": (
            "customer external id",
            "customer number",
            "customer no",
            "customer id",
            "customer",
            "kundnummer",
            "kundnr",
            "kund nr",
            "kund id",
            "kundennummer",
            "kundennr",
            "kunden nr",
            "debitorennummer",
        ),
        "number": (
            "order number",
            "order no",
            "number",
            "ordernummer",
            "ordernr",
            "order nr",
            "bestellnummer",
            "auftragsnummer",
        ),
        "placed_at": (
            "placed at",
            "order date",
            "date",
            "datum",
            "orderdatum",
            "beställningsdatum",
            "bestelldatum",
            "auftragsdatum",
        ),
        "status": ("status", "order status", "orderstatus", "auftragsstatus"),
        "currency": ("currency", "curr", "valuta", "währung"),
        "sku": (
            "sku",
            "article number",
            "item number",
            "product code",
            "artikelnummer",
            "artikelnr",
            "art nr",
            "artnr",
        ),
        "description": ("description", "line description", "text", "beskrivning", "radtext", "beschreibung"),
        "quantity": ("quantity", "qty", "antal", "kvantitet", "menge", "anzahl"),
        "unit_price": (
            "unit price",
            "price",
            "pris",
            "á pris",
            "a pris",
            "styckpris",
            "einzelpreis",
            "preis",
            "stückpreis",
        ),
    },
}

# The columns a file must have (the others are optional; a product's external id defaults to its SKU and an
# order's number to its external id).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("external_id", "name"),
    "products": ("sku", "name", "price", "currency"),
    "orders": ("external_id", "customer", "placed_at", "currency", "sku"),
}


def header_key(name: str) -> str:
    """ "Kund-nr." -> "kund nr", "E_Mail" -> "e mail": case, punctuation and spacing aside."""
    name = name.replace("\ufeff", "").strip().casefold()
    return re.sub(r"[\s_\-./:#()]+", " ", name).strip()


_ALIASES: dict[str, dict[str, str]] = {
    kind: {
        header_key(alias): canonical
        for canonical, aliases in fields.items()
        for alias in (canonical, *aliases)
    }
    for kind, fields in COLUMNS.items()
}


@dataclass
class SourceRow:
    number: int  # as a spreadsheet counts: the header is row 1, so the first data row is row 2
    values: dict[str, str]


@dataclass
class Table:
    kind: str
    columns: dict[str, str]  # canonical field -> its name in the file
    rows: list[SourceRow] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (code, column)
    errors: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)  # row-level reading
    encoding: str = ""
    delimiter: str = ""

    def new_report(self) -> Report:
        report = Report(kind=self.kind, columns=dict(self.columns), rows=len(self.rows))
        for code, column in self.notices:
            report.notice(0, "", code, name=column)
        for row, column, code, params in self.errors:
            report.add(row, column, code, **params)
        return report


# ---------------------------------------------------------------------------------------------------------
# Bytes to text

_SIGNATURES = (
    (b"PK\x03\x04", "workbook"),  # xlsx, ods, or any zip
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "workbook"),  # xls (OLE2)
    (b"%PDF", "binary"),
    (b"\x89PNG", "binary"),
    (b"\xff\xd8\xff", "binary"),
    (b"GIF8", "binary"),
    (b"\x1f\x8b", "binary"),
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode(data: bytes, kind: str) -> tuple[str, str]:
    """The file's text and the encoding it was read with."""
    if len(data) > MAX_FILE_BYTES:
        raise refuse(kind, "too_large", limit=MAX_FILE_BYTES // (1024 * 1024))
    for signature, code in _SIGNATURES:
        if data.startswith(signature):
            raise refuse(kind, code)
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    # Real CSVs have no control bytes to speak of (a stray NUL in a cell is reported with its row instead);
    # binary data would otherwise "decode" as Windows-1252.
    head = data[:8192]
    if not utf16 and len(_CONTROL_BYTES.findall(head)) > max(4, len(head) // 100):
        raise refuse(kind, "binary")
    if utf16:
        try:
            text, encoding = data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise refuse(kind, "encoding") from None
    else:
        try:
            text, encoding = data.decode("utf-8-sig"), "utf-8"
        except UnicodeDecodeError:
            # Strict: the five bytes Windows-1252 leaves undefined mean the file is something else.
            try:
                text, encoding = data.decode("cp1252"), "cp1252"
            except UnicodeDecodeError:
                raise refuse(kind, "encoding") from None
    sample = text[:8192]
    if utf16 and len(CONTROL.findall(sample)) > max(4, len(sample) // 100):
        raise refuse(kind, "binary")
    if not text.strip():
        raise refuse(kind, "empty")
    return text, encoding


# ---------------------------------------------------------------------------------------------------------
# Text to rows


def sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n")]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ""
    # The Sniffer guesses from consistency over lines; a header holding none of its guess (or a one-line file
    # it gave up on) is settled by counting in the header instead.
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in ",;\t"}
    if not delimiter or counts.get(delimiter, 0) == 0:
        best = max(counts, key=lambda d: counts[d])
        delimiter = best if counts[best] else ","
    return delimiter


def map_header(kind: str, header: list[str]) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """(canonical field -> column index, canonical field -> name in the file, unused column names)."""
    aliases = _ALIASES[kind]
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    unused: list[str] = []
    report = Report(kind=kind)
    # Header names end up in reports (a JSON column): no control characters there, NUL least of all
    # (PostgreSQL refuses it in JSON).
    header = [CONTROL.sub("", name) for name in header]
    for position, name in enumerate(header):
        canonical = aliases.get(header_key(name))
        if canonical is None:
            if name.strip():
                unused.append(name.strip())
            continue
        if canonical in index:
            report.add(
                0, "", "duplicate_column", first=names[canonical], second=name.strip(), meaning=canonical
            )
            continue
        index[canonical] = position
        names[canonical] = name.strip()
    for required in REQUIRED_COLUMNS[kind]:
        if required not in index:
            found = ", ".join(f"“{h.strip()}”" for h in header if h.strip()) or "—"
            report.add(0, "", "missing_column", name=COLUMNS[kind][required][0], found=found)
    if report.errors:
        raise ImportRefused(report)
    return index, names, unused


def read_csv(text: str, kind: str, *, encoding: str = "utf-8") -> Table:
    delimiter = sniff_delimiter(text)
    # newline="" semantics: csv handles quoted line breaks itself; splitlines(keepends) keeps them intact.
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise refuse(kind, "empty")
        index, names, unused = map_header(kind, header)
        table = Table(kind=kind, columns=names, encoding=encoding, delimiter=delimiter)
        table.notices = [("unused_column", name) for name in unused]
        width = len(header)
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and rows of bare delimiters, as spreadsheets leave at the end
            if len(table.rows) >= MAX_ROWS:
                raise refuse(kind, "too_many_rows", limit=f"{MAX_ROWS:,}")
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                table.errors.append((number, "", "wrong_width", {"found": len(cells), "expected": width}))
            values = {
                canonical: cells[position].strip() if position < len(cells) else ""
                for canonical, position in index.items()
            }
            table.rows.append(SourceRow(number, values))
    except csv.Error as error:
        raise refuse(kind, "malformed", line=reader.line_num, detail=str(error)) from None
    if not table.rows:
        raise refuse(kind, "header_only", columns=names)
    return table


def read_json_rows(rows: Any, kind: str) -> Table:
    """The API's rows: objects keyed by the canonical names (or any header alias). Row numbers count from 1."""
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise refuse(kind, "not_a_list")
    if not rows:
        raise refuse(kind, "header_only")
    if len(rows) > MAX_ROWS:
        raise refuse(kind, "too_many_rows", limit=f"{MAX_ROWS:,}")
    keys: list[str] = []
    seen: set[str] = set()
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                keys.append(str(key))
    index, names, unused = map_header(kind, keys)
    by_name = {canonical: keys[position] for canonical, position in index.items()}
    table = Table(kind=kind, columns=names)
    table.notices = [("unused_column", name) for name in unused]
    for number, row in enumerate(rows, start=1):
        values = {}
        for canonical, key in by_name.items():
            value = row.get(key)
            values[canonical] = "" if value is None else _scalar(value)
        table.rows.append(SourceRow(number, values))
    return table


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "\x1f"  # a control character: reported as such, whatever the field
    return str(value).strip()
