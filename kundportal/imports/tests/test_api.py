"""POST /api/v1/imports/{kind} (JSON rows) and /api/v1/imports/{kind}/csv: the same validation and report as
the pages, applied all or nothing; provider admins only."""

from __future__ import annotations

import json

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import Product
from kundportal.customers.models import CustomerProfile
from kundportal.imports.tests.conftest import customers_csv
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def customer(n: int, **changes: object) -> dict[str, object]:
    return {
        "external_id": f"K-{n}",
        "name": f"Kund {n} AB",
        "email": f"info{n}@kund.example",
        "street_address": "Storgatan 1",
        "postal_code": "111 22",
        "city": "Stockholm",
        "country": "SE",
        **changes,
    }


@pytest.fixture
def api(api_client, provider_admin):  # type: ignore[no-untyped-def]
    return api_client(provider_admin)


def post(client, kind: str, rows: list, dry_run: bool | None = None):  # type: ignore[no-untyped-def]
    body: dict[str, object] = {"rows": rows}
    if dry_run is not None:
        body["dry_run"] = dry_run
    return client.post(f"/api/v1/imports/{kind}", json.dumps(body), content_type="application/json")


def test_a_dry_run_reports_and_changes_nothing(api):
    response = post(api, "customers", [customer(1), customer(2)], dry_run=True)
    assert response.status_code == 200
    assert response.json() == {
        "kind": "customers",
        "dry_run": True,
        "applied": False,
        "counts": {"rows": 2, "create": 2, "update": 0, "unchanged": 0, "error": 0},
        "errors": [],
        "notices": [],
    }
    assert not Organisation.objects.exists()


def test_it_upserts_idempotently(api):
    response = post(api, "customers", [customer(1), customer(2)])
    assert response.status_code == 200 and response.json()["applied"] is True
    assert CustomerProfile.objects.count() == 2
    again = post(api, "customers", [customer(1), customer(2, name="Kund Två AB")]).json()
    assert again["counts"] == {"rows": 2, "create": 0, "update": 1, "unchanged": 1, "error": 0}
    assert CustomerProfile.objects.get(external_id="K-2").organisation.name == "Kund Två AB"
    events = AuditEvent.objects.filter(action=Action.IMPORT_APPLIED)
    assert [e.data["source"] for e in events] == ["api", "api"]


def test_any_bad_row_stops_the_whole_import_with_every_error_reported(api):
    rows = [customer(1), customer(2, email="nope", postal_code="1"), customer(1), customer(4, name=None)]
    response = post(api, "customers", rows)
    assert response.status_code == 422
    answer = response.json()
    assert answer["applied"] is False and answer["counts"]["error"] == 3
    assert [(e["row"], e["column"], e["code"]) for e in answer["errors"]] == [
        (2, "email", "invalid_email"),
        (2, "postal_code", "invalid_postal_code"),
        (3, "external_id", "duplicate_id"),
        (4, "name", "required"),
    ]
    assert answer["errors"][0]["message"] == "Enter a valid email address."
    assert not Organisation.objects.exists()


def test_numbers_and_booleans_are_accepted_as_json_values(api):
    rows = [
        {"external_id": 17, "sku": "S-1", "name": "Drill", "price": 99.5, "currency": "SEK", "active": False}
    ]
    assert post(api, "products", rows).status_code == 200
    product = Product.objects.get()
    assert (product.external_id, str(product.price), product.active) == ("17", "99.50", False)


def test_nul_characters_are_row_errors(api):
    response = post(api, "customers", [customer(1, name="Acme\x00 AB")])
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "nul"


@pytest.mark.parametrize(
    "body",
    ["not json", '{"rows": "no"}', '{"rows": [1, 2]}', '{"rows": [{"name": {"nested": 1}}]}', "[]"],
)
def test_a_body_of_the_wrong_shape_is_a_422(api, body):
    response = api.post("/api/v1/imports/customers", body, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "invalid_json"


def test_a_missing_column_and_no_rows_are_reported(api):
    assert post(api, "customers", [{"name": "A"}]).json()["errors"][0]["code"] == "missing_column"
    assert post(api, "customers", []).json()["errors"][0]["code"] == "header_only"


def test_ten_thousand_rows_fit_in_one_request(api):
    extra = {
        "kind": "company",
        "vat_number": "SE556677889901",
        "phone": "+46 8 123 456 78",
        "preferred_language": "sv",
    }
    rows = [customer(n, **extra) for n in range(10_000)]
    body = json.dumps({"rows": rows, "dry_run": True})
    assert len(body) > 2_621_440  # more than Django's default limit for request.body
    response = api.post("/api/v1/imports/customers", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["counts"]["create"] == 10_000


def test_a_body_over_the_limit_is_a_413(api, monkeypatch):
    monkeypatch.setattr("kundportal.imports.api.MAX_FILE_BYTES", 100)
    response = post(api, "customers", [customer(1), customer(2)])
    assert response.status_code == 413 and response.json()["errors"][0]["code"] == "too_large"


def test_csv_as_a_multipart_file(api):
    response = api.post("/api/v1/imports/customers/csv", {"file": _file(customers_csv(3))})
    assert response.status_code == 200 and response.json()["counts"]["create"] == 3
    assert CustomerProfile.objects.count() == 3


def test_csv_as_the_body_with_a_dry_run(api):
    response = api.post(
        "/api/v1/imports/customers/csv?dry_run=true", customers_csv(3, delimiter=";"), content_type="text/csv"
    )
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["counts"]["create"] == 3
    assert not Organisation.objects.exists()


def test_csv_with_errors_is_a_422(api):
    response = api.post(
        "/api/v1/imports/customers/csv", customers_csv(3, bad={2: {"email": "x"}}), content_type="text/csv"
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "row": 3,
            "column": "email",
            "column_name": "email",
            "code": "invalid_email",
            "message": "Enter a valid email address.",
        }
    ]


@pytest.mark.parametrize(
    ("content_type", "data", "code"),
    [
        ("application/pdf", b"%PDF-1.7", "not_csv"),
        ("image/png", b"\x89PNG", "not_csv"),
        ("text/csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary"),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04", "workbook"),
    ],
)
def test_a_body_that_is_no_csv_is_a_415(api, content_type, data, code):
    response = api.post("/api/v1/imports/products/csv", data, content_type=content_type)
    assert response.status_code == 415 and response.json()["errors"][0]["code"] == code


def test_a_multipart_request_without_a_file_is_a_422(api):
    response = api.post("/api/v1/imports/products/csv", {"other": "x"})
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "no_file"


def test_an_empty_csv_body_is_a_422(api):
    response = api.post("/api/v1/imports/products/csv", b"", content_type="text/csv")
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "empty"


def test_an_unknown_kind_does_not_exist(api):
    assert post(api, "pets", [customer(1)]).status_code == 404
    assert api.post("/api/v1/imports/pets/csv", b"a", content_type="text/csv").status_code == 404


@pytest.mark.parametrize(
    "who", ["account_manager", "customer_admin", "customer_member", "customer_viewer", "outsider"]
)
def test_nobody_but_provider_admins_learns_that_the_endpoints_exist(api_client, request, who):
    client = api_client(request.getfixturevalue(who))
    response = post(client, "customers", [customer(1)])
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
    assert (
        client.post("/api/v1/imports/customers/csv", customers_csv(1), content_type="text/csv").status_code
        == 404
    )
    assert not Organisation.objects.filter(name__startswith="Kund").exists()


def test_the_openapi_document_describes_both_bodies(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    json_body = paths["/api/v1/imports/{kind}"]["post"]["requestBody"]["content"]
    assert "rows" in json_body["application/json"]["schema"]["properties"]
    csv_body = paths["/api/v1/imports/{kind}/csv"]["post"]["requestBody"]["content"]
    assert set(csv_body) == {"multipart/form-data", "text/csv"}
    assert "422" in paths["/api/v1/imports/{kind}"]["post"]["responses"]


def _file(data: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("export.csv", data, content_type="text/csv")
