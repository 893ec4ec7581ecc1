"""Reading ERP exports: delimiters, encodings, header names in three languages, and files that are no CSV."""

from __future__ import annotations

import codecs

import pytest

from kundportal.imports.parsers import decode, read_csv, read_json_rows, sniff_delimiter
from kundportal.imports.report import ImportRefused
from kundportal.imports.tests.conftest import customer_row, customers_csv, make_csv


def table(data: bytes, kind: str = "customers"):  # type: ignore[no-untyped-def]
    text, encoding = decode(data, kind)
    return read_csv(text, kind, encoding=encoding)


def refusal(data: bytes, kind: str = "customers") -> list[str]:
    with pytest.raises(ImportRefused) as caught:
        table(data, kind)
    return [error.code for error in caught.value.report.errors]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_detects_the_delimiter(delimiter):
    read = table(customers_csv(3, delimiter=delimiter))
    assert read.delimiter == delimiter
    assert [row.values["external_id"] for row in read.rows] == ["K-00001", "K-00002", "K-00003"]
    assert read.rows[0].values["name"] == "Kund 1 AB"


def test_it_keeps_commas_inside_quoted_cells_and_decimal_commas_with_semicolons():
    data = b'Kundnummer;Namn;Gatuadress\r\nK-1;"Berg, Lind & Co AB";"Box 12, Storgatan 1"\r\n'
    read = table(data)
    assert read.delimiter == ";"
    assert read.rows[0].values == {
        "external_id": "K-1",
        "name": "Berg, Lind & Co AB",
        "street_address": "Box 12, Storgatan 1",
    }


def test_it_reads_a_one_column_file_with_a_bom():
    assert sniff_delimiter("sku\nA\nB\n") == ","


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("cp1252", b""), ("utf-16-le", codecs.BOM_UTF16_LE)],
)
def test_it_reads_utf8_with_or_without_bom_windows_1252_and_utf16(encoding, prefix):
    rows = [["Kundennummer", "Firmenname", "Ort"], ["D-1", "Müller Straßenbau GmbH", "Göttingen"]]
    read = table(prefix + make_csv(rows, delimiter=";", encoding=encoding))
    assert read.rows[0].values == {
        "external_id": "D-1",
        "name": "Müller Straßenbau GmbH",
        "city": "Göttingen",
    }
    assert read.encoding == {"utf-16-le": "utf-16", "cp1252": "cp1252"}.get(encoding, "utf-8")


@pytest.mark.parametrize(
    "header",
    [
        ["External ID", "Name"],
        ["KUNDNUMMER", "FÖRETAG"],
        ["Kundennummer", "Firmenname"],
        ["kund-nr.", "Kundnamn"],
        ["customer_no", "company name"],
    ],
)
def test_it_matches_header_names_in_three_languages_whatever_the_case(header):
    read = table(make_csv([header, ["X-1", "Acme AB"]]))
    assert read.rows[0].values == {"external_id": "X-1", "name": "Acme AB"}
    assert read.columns == {"external_id": header[0], "name": header[1]}


def test_it_counts_rows_as_a_spreadsheet_does_and_skips_blank_lines():
    data = customers_csv(2) + b",,,,,,,,,,\r\n\r\n" + make_csv([customer_row(9)])
    assert [row.number for row in table(data).rows] == [2, 3, 6]


def test_it_notes_columns_it_does_not_use():
    read = table(make_csv([["external_id", "name", "Favourite colour"], ["K-1", "A AB", "blue"]]))
    assert read.notices == [("unused_column", "Favourite colour")]


def test_it_names_the_missing_columns_and_the_ones_it_found():
    with pytest.raises(ImportRefused) as caught:
        table(make_csv([["Nummer", "Namn"], ["1", "A"]]))
    (error,) = caught.value.report.errors
    assert error.code == "missing_column"
    assert error.message == "The column “external id” is missing. Columns found: “Nummer”, “Namn”."


def test_it_refuses_two_columns_that_mean_the_same():
    assert refusal(make_csv([["external_id", "Kundnummer", "name"], ["1", "2", "A"]])) == ["duplicate_column"]


def test_it_refuses_an_empty_file():
    assert refusal(b"") == ["empty"]
    assert refusal(b"\r\n \r\n") == ["empty"]
    assert refusal(codecs.BOM_UTF8) == ["empty"]


def test_it_refuses_a_file_with_only_a_header():
    assert refusal(b"external_id,name\r\n") == ["header_only"]
    assert refusal(b"external_id,name\r\n,\r\n , \r\n") == ["header_only"]


def test_it_refuses_text_that_is_neither_utf8_nor_windows_1252():
    # 0x81 and 0x8d are undefined in Windows-1252 and not UTF-8 here either.
    assert refusal(b"external_id,name\r\nK-1,Caf\x81\x8d\r\n") == ["encoding"]


def test_it_refuses_binary_files_and_workbooks():
    assert refusal(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4) == ["binary"]
    assert refusal(bytes(range(256)) * 40) == ["binary"]
    assert refusal(b"PK\x03\x04" + b"\x00" * 100) == ["workbook"]
    assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100) == ["workbook"]
    assert refusal(b"%PDF-1.7\n") == ["binary"]


def test_a_stray_nul_in_a_cell_is_a_row_problem_not_a_binary_file():
    read = table(make_csv([["external_id", "name"], ["K-1", "Acme\x00 AB"], ["K-2", "Beta AB"]]))
    assert [row.values["name"] for row in read.rows] == ["Acme\x00 AB", "Beta AB"]


def test_it_reports_broken_quoting_with_its_line():
    with pytest.raises(ImportRefused) as caught:
        table(b'external_id,name\r\nK-1,"Acme" AB\r\n')
    (error,) = caught.value.report.errors
    assert error.code == "malformed"
    assert "line 2" in error.message


def test_it_refuses_a_row_wider_than_the_header():
    read = table(b"external_id,name\r\nK-1,Acme,AB\r\nK-2,Beta,\r\n")
    assert read.errors == [(2, "", "wrong_width", {"found": 3, "expected": 2})]


def test_it_refuses_a_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr("kundportal.imports.parsers.MAX_FILE_BYTES", 100)
    assert refusal(customers_csv(5)) == ["too_large"]


def test_it_refuses_too_many_rows(monkeypatch):
    monkeypatch.setattr("kundportal.imports.parsers.MAX_ROWS", 3)
    assert refusal(customers_csv(4)) == ["too_many_rows"]


def test_json_rows_become_the_same_table():
    read = read_json_rows([{"external_id": "K-1", "name": "Acme AB", "active": True, "x": 1}], "customers")
    assert read.rows[0].values == {"external_id": "K-1", "name": "Acme AB"}
    assert read.notices == [("unused_column", "active"), ("unused_column", "x")]
    with pytest.raises(ImportRefused):
        read_json_rows({"rows": []}, "customers")
    with pytest.raises(ImportRefused):
        read_json_rows([], "customers")
