"""Importing customers: upsert by external id, every bad row reported, all or nothing."""

from __future__ import annotations

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.customers.models import Address, ChangeRecord, CustomerProfile
from kundportal.documents.models import Folder
from kundportal.imports.tests.conftest import CUSTOMER_HEADER, customer_row, customers_csv, make_csv
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def errors(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(e.row, e.column, e.code) for e in sorted(report.errors, key=lambda e: (e.row, e.column))]


def snapshot() -> tuple:
    return (
        list(Organisation.objects.order_by("pk").values_list("pk", "name", "kind")),
        list(
            CustomerProfile.objects.order_by("pk").values_list("external_id", "email", "phone", "vat_number")
        ),
        list(Address.objects.order_by("pk").values_list("street_address", "postal_code", "city", "country")),
        ChangeRecord.objects.count(),
        Folder.objects.count(),
        AuditEvent.objects.filter(action=Action.IMPORT_APPLIED).count(),
    )


def test_it_creates_customers_with_profile_billing_address_and_folders(run):
    report = run(customers_csv(3), "customers")
    assert report.ok and report.counts == {"rows": 3, "create": 3, "update": 0, "unchanged": 0, "error": 0}
    profile = CustomerProfile.objects.select_related("organisation").get(external_id="K-00002")
    assert profile.organisation.name == "Kund 2 AB" and profile.organisation.kind == "company"
    assert (profile.email, profile.phone, profile.preferred_language) == (
        "info2@kund.example",
        "+46812345678",
        "sv",
    )
    address = Address.objects.get(organisation=profile.organisation)
    assert (address.purpose, address.is_default, address.street_address) == ("billing", True, "Storgatan 3")
    assert (address.postal_code, address.city, str(address.country)) == ("111 22", "Stockholm", "SE")
    assert Folder.objects.filter(organisation=profile.organisation).exists()  # the default template's
    (event,) = AuditEvent.objects.filter(action=Action.IMPORT_APPLIED)
    assert event.data["kind"] == "customers" and event.data["create"] == 3


def test_importing_the_same_file_twice_changes_nothing_the_second_time(run):
    run(customers_csv(5), "customers")
    before = snapshot()
    report = run(customers_csv(5), "customers")
    assert report.counts == {"rows": 5, "create": 0, "update": 0, "unchanged": 5, "error": 0}
    assert snapshot()[:5] == before[:5]


def test_it_updates_changed_fields_and_records_each_change(run, provider_admin):
    run(customers_csv(2), "customers")
    changed = make_csv(
        [
            CUSTOMER_HEADER,
            customer_row(
                1, name="Kund Ett AB", email="ny@kund.example", postal_code="41301", city="Göteborg"
            ),
            customer_row(2),
        ]
    )
    report = run(changed, "customers")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    profile = CustomerProfile.objects.select_related("organisation").get(external_id="K-00001")
    assert profile.organisation.name == "Kund Ett AB" and profile.email == "ny@kund.example"
    records = {
        (r.subject, r.field, r.old_value, r.new_value)
        for r in ChangeRecord.objects.filter(organisation=profile.organisation)
    }
    assert records == {
        ("organisation", "name", "Kund 1 AB", "Kund Ett AB"),
        ("profile", "email", "info1@kund.example", "ny@kund.example"),
        ("address", "postal_code", "111 22", "41301"),
        ("address", "city", "Stockholm", "Göteborg"),
    }
    assert ChangeRecord.objects.filter(actor=provider_admin).count() == 4


def test_columns_the_file_does_not_have_are_left_alone(run):
    run(customers_csv(1), "customers")
    run(make_csv([["Kundnummer", "Namn"], ["K-00001", "Kund 1 AB"]]), "customers")
    profile = CustomerProfile.objects.get(external_id="K-00001")
    assert (
        profile.email == "info1@kund.example"
        and Address.objects.filter(organisation=profile.organisation).count() == 1
    )


def test_duplicate_external_ids_in_one_file_are_row_errors_and_nothing_is_applied(run):
    data = make_csv([CUSTOMER_HEADER, customer_row(1), customer_row(2), customer_row(1, name="Again AB")])
    before = snapshot()
    report = run(data, "customers")
    assert errors(report) == [(4, "external_id", "duplicate_id")]
    assert report.errors[0].message == "The external id “K-00001” appears again (first in row 2)."
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"email": "not-an-email"}, "email", "invalid_email"),
        ({"email": "a@b"}, "email", "invalid_email"),
        ({"postal_code": "1234"}, "postal_code", "invalid_postal_code"),
        ({"postal_code": "ABC 12"}, "postal_code", "invalid_postal_code"),
        ({"country": "DE", "postal_code": "1011"}, "postal_code", "invalid_postal_code"),
        ({"country": "Atlantis"}, "country", "invalid_country"),
        ({"country": "", "postal_code": "111 22"}, "country", "country_required"),
        ({"street_address": ""}, "street_address", "address_required"),
        ({"phone": "12345"}, "phone", "invalid_phone"),
        ({"preferred_language": "Klingon"}, "preferred_language", "invalid_language"),
        ({"kind": "alien"}, "kind", "invalid_kind"),
        ({"vat_number": "12345"}, "vat_number", "invalid_vat"),
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 201}, "name", "too_long"),
        ({"name": "<script>alert(1)</script>"}, "name", "markup"),
        ({"name": "Acme\x07 AB"}, "name", "control"),
        ({"name": "Acme\x00 AB"}, "name", "nul"),
        ({"email": "a\x00@b.se"}, "email", "nul"),
        ({"external_id": ""}, "external_id", "required"),
    ],
)
def test_it_reports_each_bad_value_and_changes_nothing(run, change, column, code):
    before = snapshot()
    report = run(make_csv([CUSTOMER_HEADER, customer_row(1), customer_row(2, **change)]), "customers")
    assert (3, column, code) in errors(report)
    assert report.failed == 1 and report.created == 1  # counted, but not applied
    assert snapshot() == before


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("name", "4111 1111 1111 1111"),
        ("name", "Kund AB, kort 5555-5555-5555-4444"),
        ("street_address", "Storgatan 1 4012888888881881"),
        ("city", "378282246310005"),
    ],
)
def test_it_refuses_a_card_number_in_a_free_text_column(run, column, value):
    report = run(make_csv([CUSTOMER_HEADER, customer_row(1, **{column: value})]), "customers")
    assert errors(report) == [(2, column, "card_number")]
    assert "card" in report.errors[0].message
    assert value not in str(report.as_dict())  # never echoed
    assert not Organisation.objects.exists()


def test_a_long_number_that_fails_the_luhn_check_is_fine(run):
    assert run(
        make_csv([CUSTOMER_HEADER, customer_row(1, name="Order 4111 1111 1111 1112 AB")]), "customers"
    ).ok


def test_a_formula_cell_is_stored_as_plain_text(run):
    formula = "=cmd|' /C calc'!A0"
    report = run(make_csv([CUSTOMER_HEADER, customer_row(1, name=formula, city="+SUM(A1:A9)")]), "customers")
    assert report.ok
    organisation = Organisation.objects.get()
    assert organisation.name == formula
    assert Address.objects.get().city == "+SUM(A1:A9)"


def test_it_understands_aliases_kinds_languages_and_country_names(run):
    data = make_csv(
        [
            ["Kundennummer", "Firmenname", "Kundentyp", "Sprache", "Straße", "PLZ", "Ort", "Land", "Telefon"],
            [
                "D-1",
                "Erika Muster",
                "Privatkunde",
                "Deutsch",
                "Hauptstraße 5",
                "10115",
                "Berlin",
                "Deutschland",
                "030 1234567",
            ],
        ],
        delimiter=";",
    )
    assert run(data, "customers").ok
    profile = CustomerProfile.objects.select_related("organisation").get(external_id="D-1")
    assert (profile.organisation.kind, profile.preferred_language, profile.phone) == (
        "private",
        "de",
        "+49301234567",
    )
    assert str(Address.objects.get().country) == "DE"


def test_it_warns_when_a_new_customer_has_the_name_of_one_made_by_hand(run, organisation):
    report = run(make_csv([["external_id", "name"], ["K-9", "Acme AB"]]), "customers")
    assert report.ok
    assert [(n.code, n.row) for n in report.notices] == [("name_exists", 2)]


def test_ten_thousand_rows_with_some_bad_ones_apply_nothing_and_report_every_bad_row(run):
    bad_rows = {
        17: {"email": "broken"},
        1234: {"postal_code": "99"},
        5000: {"name": "4111111111111111"},
        7777: {"country": "XX"},
        9999: {"external_id": "K-00042"},
    }
    report = run(customers_csv(10_000, bad=bad_rows), "customers")
    assert not report.ok
    assert report.rows == 10_000
    assert report.failed == 5
    assert sorted({e.row for e in report.errors}) == [18, 1235, 5001, 7778, 10000]
    assert not Organisation.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.IMPORT_APPLIED).exists()


def test_a_dry_run_reports_without_writing(run):
    report = run(customers_csv(3), "customers", dry_run=True)
    assert report.created == 3
    assert not Organisation.objects.exists()
