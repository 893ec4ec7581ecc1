"""The staff customer list: search, filters, sorting, pages, CSV export and GET /api/v1/customers."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import Order, OrderStatus, PurchaseSummary
from kundportal.commerce.tests.factories import make_interest, make_order, make_product
from kundportal.customers.models import Address, CustomerInterest, CustomerProfile
from kundportal.customers.queries import CustomerFilters, customer_rows, with_figures
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db


def at(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(day))


def customer(name: str, *, kind: str = "company", country: str = "", **profile: str) -> Organisation:
    organisation = Organisation.objects.create(name=name, kind=kind)
    if profile:
        CustomerProfile.objects.create(organisation=organisation, **profile)
    if country:
        Address.objects.create(
            organisation=organisation,
            purpose="billing",
            is_default=True,
            street_address="Street 1",
            country=country,
        )
    return organisation


@pytest.fixture
def shop(organisation, other_organisation):
    CustomerProfile.objects.create(
        organisation=organisation, external_id="C-100", vat_number="SE556677889901", email="info@acme.example"
    )
    Address.objects.create(
        organisation=organisation,
        purpose="billing",
        is_default=True,
        street_address="Storgatan 1",
        country="SE",
    )
    CustomerProfile.objects.create(organisation=other_organisation, email="einkauf@other.example")
    Address.objects.create(
        organisation=other_organisation,
        purpose="billing",
        is_default=True,
        street_address="Hauptstraße 1",
        country="DE",
    )
    private = customer("Petra Private", kind="private", country="SE", email="petra@example.com")
    drawing = make_interest("drawing", "Drawing software")
    CustomerInterest.objects.create(organisation=private, category=drawing, declared=True)
    CustomerInterest.objects.create(
        organisation=organisation, category=drawing, inferred_items=2, suppressed=True
    )
    tool = make_product("T-1", price="100.00")
    make_order(organisation, (tool, 1), placed_at=at("2026-01-10"))
    make_order(organisation, (tool, 2), placed_at=at("2026-03-01"))
    make_order(organisation, (tool, 1), placed_at=at("2026-02-01"), currency="EUR")
    make_order(organisation, (tool, 10), placed_at=at("2026-06-01"), status=OrderStatus.CANCELLED)
    make_order(other_organisation, (tool, 5), placed_at=at("2025-06-01"), currency="EUR")
    return {"acme": organisation, "other": other_organisation, "private": private, "drawing": drawing}


def names(rows) -> list[str]:
    return [row.name for row in rows]


def figures(user, **filters) -> dict[str, Organisation]:
    currency = filters.get("currency", "SEK")
    rows = with_figures(list(customer_rows(user, CustomerFilters(**filters))), currency=currency)
    return {row.name: row for row in rows}


def test_the_rows_carry_purchase_figures(provider_admin, shop):
    rows = figures(provider_admin)
    acme = rows["Acme AB"]
    assert (acme.country, acme.order_count, acme.revenue) == ("SE", 3, Decimal("300.00"))
    assert acme.last_purchase == at("2026-03-01")  # the cancelled order of June does not count
    assert (rows["Other GmbH"].revenue, rows["Other GmbH"].order_count) == (Decimal("0"), 1)
    assert (rows["Petra Private"].last_purchase, rows["Petra Private"].order_count) == (None, 0)
    euro = {name: row.revenue for name, row in figures(provider_admin, currency="EUR").items()}
    assert euro == {
        "Acme AB": Decimal("100.00"),
        "Other GmbH": Decimal("500.00"),
        "Petra Private": Decimal("0"),
    }


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"q": "acme"}, ["Acme AB"]),
        ({"q": "C-100"}, ["Acme AB"]),
        ({"q": "SE5566"}, ["Acme AB"]),
        ({"q": "einkauf@"}, ["Other GmbH"]),
        ({"country": "SE"}, ["Acme AB", "Petra Private"]),
        ({"country": "DE"}, ["Other GmbH"]),
        ({"kind": "private"}, ["Petra Private"]),
        ({"purchased_after": "2026-01-01"}, ["Acme AB"]),
        ({"purchased_before": "2026-01-01"}, ["Other GmbH"]),
        ({"min_orders": 2}, ["Acme AB"]),
        ({"min_orders": 0}, ["Acme AB", "Other GmbH", "Petra Private"]),
        ({"min_revenue": "250"}, ["Acme AB"]),
        ({"min_revenue": "250", "currency": "EUR"}, ["Other GmbH"]),
        ({"country": "SE", "kind": "company", "min_orders": 1}, ["Acme AB"]),
    ],
)
def test_the_filters(login, provider_admin, shop, filters, expected):
    page = login(provider_admin).get(reverse("customer_list"), filters)
    assert page.status_code == 200
    assert names(page.context["page"].object_list) == expected


def test_the_interest_filter_counts_only_active_interests(login, provider_admin, shop):
    page = login(provider_admin).get(reverse("customer_list"), {"interest": str(shop["drawing"].pk)})
    assert names(page.context["page"].object_list) == ["Petra Private"]  # Acme turned it off


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Acme AB", "Other GmbH", "Petra Private"]),
        ("-name", ["Petra Private", "Other GmbH", "Acme AB"]),
        ("-order_count", ["Acme AB", "Other GmbH", "Petra Private"]),
        ("-last_purchase", ["Acme AB", "Other GmbH", "Petra Private"]),
        ("last_purchase", ["Petra Private", "Other GmbH", "Acme AB"]),
        ("-revenue", ["Acme AB", "Other GmbH", "Petra Private"]),
        ("country", ["Other GmbH", "Acme AB", "Petra Private"]),
    ],
)
def test_sorting(login, provider_admin, shop, sort, expected):
    page = login(provider_admin).get(reverse("customer_list"), {"sort": sort})
    assert names(page.context["page"].object_list) == expected


def test_the_page_shows_revenue_per_currency_and_sortable_headers(login, provider_admin, shop):
    client = login(provider_admin)
    html = client.get(reverse("customer_list"), {"sort": "-order_count", "country": "SE"}).content.decode()
    assert "300.00 SEK" in html and "100.00 EUR" in html
    assert 'aria-sort="descending"' in html
    assert "country=SE" in html and "sort=order_count" in html  # the header link reverses, filters stay
    assert f'href="{reverse("customer_360", args=[shop["acme"].pk])}"' in html
    assert 'href="/customers/" aria-current="page"' in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"interest": str(uuid.uuid4())}, "Choose from the interest categories on the list."),
        ({"interest": "nonsense"}, "Choose from the interest categories on the list."),
        ({"purchased_after": "2026-13-45"}, "Enter a valid date."),
        ({"min_orders": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"min_revenue": "lots"}, "Enter a number."),
        ({"min_orders": str(10**30)}, "Ensure this value is less than or equal to 2147483647."),
        ({"min_revenue": "1e400"}, "Ensure that there are no more than 14 digits in total."),
        ({"currency": "XXX"}, "Select a valid choice."),
        ({"q": "a\x00b"}, "Null characters are not allowed."),
        ({"sort": "password"}, "Select a valid choice."),
    ],
)
def test_bad_filters_are_reported_and_ignored(login, provider_admin, shop, params, message):
    response = login(provider_admin).get(reverse("customer_list"), {"country": "SE", **params})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters could not be used." in html
    assert message in html
    assert names(response.context["page"].object_list) == ["Acme AB", "Petra Private"]


def test_an_account_manager_sees_only_their_customers(login, account_manager, shop):
    page = login(account_manager).get(reverse("customer_list"))
    assert names(page.context["page"].object_list) == ["Acme AB"]


@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "outsider"])
def test_customers_are_not_told_the_list_exists(request, login, shop, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("customer_list")).status_code == 404
    assert client.get(reverse("customer_list_csv")).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.CUSTOMERS_EXPORTED).exists()


def test_the_list_is_paginated_by_50(login, provider_admin):
    Organisation.objects.bulk_create([Organisation(name=f"Customer {n:03d}") for n in range(120)])
    client = login(provider_admin)
    first = client.get(reverse("customer_list"), {"kind": "company"})
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.num_pages == 3
    assert "kind=company&amp;page=2" in first.content.decode()
    last = client.get(reverse("customer_list"), {"kind": "company", "page": 3})
    assert names(last.context["page"].object_list)[-1] == "Customer 119"


def _many(count: int) -> None:
    tool = make_product(f"P-{uuid.uuid4().hex[:6]}", price="10.00")
    for n in range(count):
        organisation = customer(f"Bulk {n:02d}", country="SE", email=f"c{n}@example.com")
        make_order(organisation, (tool, 1), currency="SEK")
        make_order(organisation, (tool, 2), currency="EUR")


@pytest.mark.parametrize("params", [{}, {"sort": "-revenue", "min_orders": "1", "country": "SE"}])
def test_the_page_costs_the_same_queries_for_3_or_40_customers(
    login, provider_admin, django_assert_max_num_queries, params
):
    client = login(provider_admin)
    _many(3)
    client.get(reverse("customer_list"), params)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("customer_list"), params)
    _many(37)
    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse("customer_list"), params)
    assert response.context["page"].paginator.count == 40


def test_the_figures_come_from_the_purchase_summaries_not_the_orders(provider_admin, shop):
    """Filters and sorts on purchase figures join one summary row (and one total) per organisation, kept by
    commerce.stats, instead of aggregating every organisation's orders on each request."""
    filters = CustomerFilters(
        sort="-revenue", min_orders=1, min_revenue=Decimal(1), purchased_after=date(2026, 1, 1)
    )
    rows = customer_rows(provider_admin, filters)
    assert names(rows) == ["Acme AB"]
    assert Order._meta.db_table not in str(rows.query)
    plan = rows.explain()
    assert PurchaseSummary._meta.db_table in plan and Order._meta.db_table not in plan, plan


# --- CSV export ---------------------------------------------------------------------------------------------


def export(client, params=None) -> list[list[str]]:
    response = client.get(reverse("customer_list_csv"), params or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_holds_the_filtered_list_and_records_one_event(login, provider_admin, shop):
    rows = export(login(provider_admin), {"country": "SE", "sort": "name"})
    header, *body = rows
    assert header[:10] == [
        "id",
        "name",
        "kind",
        "external_id",
        "vat_number",
        "email",
        "phone",
        "country",
        "order_count",
        "last_purchase",
    ]
    assert "revenue_SEK" in header and "revenue_EUR" in header
    record = dict(zip(header, body[0], strict=True))
    assert record["name"] == "Acme AB" and record["external_id"] == "C-100"
    assert (record["order_count"], record["revenue_SEK"], record["revenue_EUR"]) == ("3", "300.00", "100.00")
    assert record["last_purchase"].startswith("2026-03-01")
    assert [row[1] for row in body] == ["Acme AB", "Petra Private"]
    event = AuditEvent.objects.get(action=Action.CUSTOMERS_EXPORTED)
    assert event.actor == provider_admin
    assert event.data == {"count": 2, "filters": {"country": "SE"}}


def test_the_export_defuses_spreadsheet_formulas(login, provider_admin):
    customer('=HYPERLINK("http://evil.example","x")', email="a@example.com", vat_number="+46")
    customer("@SUM(A1)", external_id="-2+3")
    customer("\tTabbed")
    customer("Plain - name")
    body = export(login(provider_admin))[1:]
    by_id = {row[1]: row for row in body}
    assert set(by_id) == {'\'=HYPERLINK("http://evil.example","x")', "'@SUM(A1)", "'\tTabbed", "Plain - name"}
    assert by_id['\'=HYPERLINK("http://evil.example","x")'][4] == "'+46"
    assert by_id["'@SUM(A1)"][3] == "'-2+3"


def test_an_account_manager_exports_only_their_customers(login, account_manager, shop):
    body = export(login(account_manager))[1:]
    assert [row[1] for row in body] == ["Acme AB"]


def test_the_export_streams_in_few_queries(login, provider_admin, django_assert_max_num_queries):
    _many(30)
    client = login(provider_admin)
    client.get(reverse("customer_list"))
    with django_assert_max_num_queries(10):
        assert len(export(client)) == 31


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_lists_customers_with_filters(api_client, provider_admin, shop):
    body = api_client(provider_admin).get("/api/v1/customers", {"country": "se", "sort": "-revenue"}).json()
    assert body["count"] == 2
    acme = body["items"][0]
    assert (acme["name"], acme["country"], acme["order_count"], acme["external_id"]) == (
        "Acme AB",
        "SE",
        3,
        "C-100",
    )
    assert acme["revenue"] == [
        {"currency": "SEK", "amount": "300.00"},
        {"currency": "EUR", "amount": "100.00"},
    ]
    assert datetime.fromisoformat(acme["last_purchase"]) == at("2026-03-01")


def test_the_api_pages(api_client, provider_admin, shop):
    body = api_client(provider_admin).get("/api/v1/customers", {"limit": 1, "offset": 1}).json()
    assert body["count"] == 3 and [item["name"] for item in body["items"]] == ["Other GmbH"]


def test_the_api_list_for_an_account_manager_and_for_customers(
    api_client, account_manager, customer_admin, shop
):
    assert [i["name"] for i in api_client(account_manager).get("/api/v1/customers").json()["items"]] == [
        "Acme AB"
    ]
    assert api_client(customer_admin).get("/api/v1/customers").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"interest": str(uuid.uuid4())},
        {"interest": "nope"},
        {"min_orders": "-1"},
        {"currency": "XXX"},
        {"sort": "password"},
        {"q": "a\x00b"},
        {"purchased_after": "yesterday"},
        {"min_revenue": "-5"},
        {"min_orders": str(10**30)},
        {"min_revenue": "1e400"},
    ],
)
def test_the_api_refuses_bad_filters_with_422(api_client, provider_admin, shop, params):
    assert api_client(provider_admin).get("/api/v1/customers", params).status_code == 422


def test_the_api_list_costs_the_same_queries_for_3_or_40_customers(
    api_client, provider_admin, django_assert_max_num_queries
):
    client = api_client(provider_admin)
    _many(3)
    client.get("/api/v1/customers")
    with django_assert_max_num_queries(7) as few:
        client.get("/api/v1/customers")
    _many(37)
    with django_assert_max_num_queries(len(few)):
        assert client.get("/api/v1/customers").json()["count"] == 40


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_extreme_dates_do_not_break_the_filters(login, api_client, provider_admin, shop, day):
    for name in ("purchased_after", "purchased_before"):
        assert login(provider_admin).get(reverse("customer_list"), {name: day}).status_code == 200
        assert api_client(provider_admin).get("/api/v1/customers", {name: day}).status_code == 200
