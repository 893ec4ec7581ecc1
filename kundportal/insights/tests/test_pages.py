"""The insights page, its CSV files and GET /api/v1/insights: provider staff only, the same figures everywhere,
accessible charts, and a constant number of queries whatever the data."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.cache import cache

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.tests.factories import make_order
from kundportal.insights import recompute, tasks
from kundportal.insights.dashboard import CHARTS
from kundportal.insights.models import InsightSnapshot
from kundportal.offers.models import Offer, OfferStatus
from kundportal.organisations.models import Organisation, StaffAssignment

from .conftest import days_ago, this_month, today

pytestmark = pytest.mark.django_db

PAGES = ["/insights/", *(f"/insights/{chart}.csv" for chart in CHARTS), "/insights/status/"]


@pytest.fixture
def computed(organisation, acme_orders, other_orders):
    tasks.recompute_insights_task.enqueue()
    return InsightSnapshot.objects.get()


def csv_of(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "outsider"])
def test_customers_are_not_told_the_insights_exist(request, login, api_client, computed, who):
    user = request.getfixturevalue(who)
    client = login(user)
    for path in PAGES:
        assert client.get(path).status_code == 404, path
    assert client.post("/insights/recompute/").status_code == 404
    assert api_client(user).get("/api/v1/insights").status_code == 404
    assert not AuditEvent.objects.filter(action=Action.INSIGHTS_EXPORTED).exists()


def test_visitors_are_sent_to_the_login(client, api_client, computed):
    response = client.get("/insights/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    assert client.get("/api/v1/insights").status_code == 401


def test_an_account_manager_may_not_recompute(login, account_manager, computed):
    client = login(account_manager)
    assert client.post("/insights/recompute/").status_code == 404
    assert client.get("/insights/status/").status_code == 404
    assert 'action="/insights/recompute/"' not in client.get("/insights/").content.decode()


def test_the_page_says_when_nothing_has_been_computed_yet(login, provider_admin):
    page = login(provider_admin).get("/insights/").content.decode()
    assert "The figures have not been computed yet." in page
    assert "Recompute now" in page
    assert '<svg class="chart' not in page
    assert login(provider_admin).get("/insights/segments.csv").status_code == 404


def test_a_provider_admin_recomputes_and_sees_every_chart(login, provider_admin, organisation, acme_orders):
    client = login(provider_admin)
    response = client.post("/insights/recompute/", follow=True)
    page = response.content.decode()
    assert "The figures have been recomputed." in page
    assert "Figures for all customers · computed" in page
    for slug in ("segments", "frequency", "orders", "revenue"):
        assert f'id="chart-{slug}-title"' in page, slug
    for slug in ("activity", "offers", "interests"):
        assert f'id="{slug}-heading"' in page  # their empty states
    assert "No customer activity in the last 12 weeks." in page
    assert "No live or recently ended offers." in page
    assert "No interest categories yet." in page


def test_every_chart_is_accessible_svg_with_a_table(login, provider_admin, computed):
    page = login(provider_admin).get("/insights/").content.decode()
    svgs = re.findall(r"<svg class=\"chart[^\"]*\" role=\"img\".*?</svg>", page, flags=re.S)
    assert len(svgs) == 4  # segments, frequency, orders, revenue; the rest have nothing to show
    for svg in svgs:
        chart_id = re.search(r'aria-labelledby="([\w-]+)-title \1-desc"', svg).group(1)
        assert re.search(
            rf'<title id="{chart_id}-title">[^<]+</title><desc id="{chart_id}-desc">[^<]+</desc>', svg
        )
        assert "style=" not in svg and "<script" not in svg
    assert page.count("<details>") == len(svgs) + 1  # a table for each, and what the segments mean
    assert page.count("Show the numbers as a table") == len(svgs)
    assert '<th scope="row">Champions</th>' in page or '<th scope="row">Potential loyalists</th>' in page
    assert "<script>" not in page.split('id="main"')[1].split("</main>")[0]


def test_the_revenue_chart_shows_one_currency_at_a_time(login, provider_admin, computed):
    client = login(provider_admin)
    page = client.get("/insights/").content.decode()
    assert '<a href="?currency=SEK#revenue" aria-current="true">SEK</a>' in page
    page = client.get("/insights/?currency=EUR").content.decode()
    assert '<a href="?currency=EUR#revenue" aria-current="true">EUR</a>' in page
    assert "Revenue per month in EUR" in page
    assert "Revenue per month in XXX" not in client.get("/insights/?currency=XXX").content.decode()


def test_the_csv_files_hold_the_charts_numbers_and_each_export_is_recorded(login, provider_admin, computed):
    client = login(provider_admin)
    response = client.get("/insights/revenue.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="insights-revenue-')
    rows = csv_of(response)
    assert rows[0] == ["month", "currency", "orders", "revenue"]
    assert len(rows) == 1 + 24 * 2  # every month in both currencies
    assert [this_month(), "EUR", "1", "30.00"] in rows
    segments = csv_of(client.get("/insights/segments.csv"))
    assert segments[0] == ["segment", "label", "customers"]
    assert [row[0] for row in segments[1:]] == [
        "champions", "loyal", "potential", "new", "at_risk", "hibernating", "lost", "no_purchases",
    ]  # fmt: skip
    assert sum(int(row[2]) for row in segments[1:]) == 2
    frequency = csv_of(client.get("/insights/frequency.csv"))
    assert frequency == [
        ["orders", "customers"],
        ["1", "0"],
        ["2-3", "1"],
        ["4-7", "1"],
        ["8-15", "0"],
        ["16+", "0"],
    ]
    events = AuditEvent.objects.filter(action=Action.INSIGHTS_EXPORTED).order_by("at")
    assert [(e.actor, e.data["chart"], e.data["scope"]) for e in events] == [
        (provider_admin, "revenue", "all customers"),
        (provider_admin, "segments", "all customers"),
        (provider_admin, "frequency", "all customers"),
    ]


def test_text_that_a_spreadsheet_would_run_is_defused(login, provider_admin, organisation):
    Offer.objects.create(
        title="=HYPERLINK(\"http://evil.example\")", body="…", status=OfferStatus.PUBLISHED,
        starts_on=today(), ends_on=today(),
    )  # fmt: skip
    tasks.recompute_insights_task.enqueue()
    rows = csv_of(login(provider_admin).get("/insights/offers.csv"))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.example")'


def test_an_account_manager_sees_their_own_customers_only(
    login, api_client, account_manager, organisation, acme_orders, other_orders, computed
):
    client = login(account_manager)
    page = client.get("/insights/").content.decode()
    assert "Figures for the 1 customer you look after · computed just now" in page
    # Acme's 3 orders; Other GmbH's 7 must not show anywhere.
    assert "3 orders from" in page and "10 orders" not in page
    orders = csv_of(client.get("/insights/orders.csv"))
    assert sum(int(count) for _month, count in orders[1:]) == 3
    revenue = {(m, c): r for m, c, _o, r in csv_of(client.get("/insights/revenue.csv"))[1:]}
    assert sum(float(r) for (m, c), r in revenue.items() if c == "SEK") == 300.0
    data = api_client(account_manager).get("/api/v1/insights").json()
    assert (data["scope"], data["customers"], data["buyers"]) == ("own_customers", 1, 1)
    assert sum(sale["orders"] for sale in data["sales"]) == 3
    event = AuditEvent.objects.filter(action=Action.INSIGHTS_EXPORTED).first()
    assert event.data["scope"] == "own customers"


def test_the_api_answers_the_same_figures_as_the_page(api_client, provider_admin, computed):
    response = api_client(provider_admin).get("/api/v1/insights")
    assert response.status_code == 200
    data = response.json()
    assert data["scope"] == "all_customers"
    assert (data["customers"], data["buyers"]) == (2, 2)
    assert [s["segment"] for s in data["segments"]][-2:] == ["not_scored", "no_purchases"]
    assert sum(s["customers"] for s in data["segments"]) == 2
    assert len(data["months"]) == 24 and len(data["activity"]) == 12
    assert {
        (s["currency"], s["revenue"])
        for s in data["sales"]
        if s["month"] == this_month() and s["currency"] == "EUR"
    } == {("EUR", "30.00")}


def test_the_api_says_not_found_until_the_figures_are_computed(api_client, provider_admin):
    assert api_client(provider_admin).get("/api/v1/insights").status_code == 404


def test_a_second_recompute_while_one_runs_is_refused(login, provider_admin, computed):
    cache.set(
        recompute.STATUS_KEY,
        {"phase": "scoring", "done": 500, "total": 2000, "since": "2026-01-01T00:00:00+00:00"},
    )
    client = login(provider_admin)
    page = client.post("/insights/recompute/", follow=True).content.decode()
    assert "The figures are being recomputed already." in page
    assert "Step 1 of 2: scoring the customers (500 of 2000)" in page
    assert '<progress max="100" value="23"' in page
    assert 'hx-get="/insights/status/"' in page
    status = client.get("/insights/status/")
    assert "Step 1 of 2" in status.content.decode() and "HX-Refresh" not in status
    cache.delete(recompute.STATUS_KEY)
    done = client.get("/insights/status/")
    assert done["HX-Refresh"] == "true"


def test_a_failed_run_says_so_and_frees_the_way(login, provider_admin, computed, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(recompute.rfm, "score_customers", broken)
    with pytest.raises(RuntimeError):
        recompute.recompute_insights()
    assert recompute.recompute_status() is None
    page = login(provider_admin).get("/insights/").content.decode()
    assert "The last recomputation failed" in page


def more_data(count):
    """`count` more customers with an order each, all Acme's manager's."""
    from kundportal.accounts.models import User
    from kundportal.commerce.models import Product

    manager = User.objects.get(email="mads@provider.example")
    paper = Product.objects.get(sku="PAP-A3")
    for n in range(count):
        organisation = Organisation.objects.create(name=f"Extra {n}")
        StaffAssignment.objects.create(organisation=organisation, user=manager)
        make_order(organisation, (paper, n + 1), placed_at=days_ago(n * 20))


@pytest.mark.parametrize("who", ["provider_admin", "account_manager"])
def test_the_page_takes_the_same_queries_however_much_data(
    request, login, computed, who, django_assert_max_num_queries, django_assert_num_queries
):
    client = login(request.getfixturevalue(who))
    client.get("/insights/")
    with django_assert_max_num_queries(12) as captured:
        client.get("/insights/")
    small = len(captured)
    more_data(15)
    tasks.recompute_insights_task.enqueue()
    with django_assert_num_queries(small):
        page = client.get("/insights/").content.decode()
    assert "Show the numbers as a table" in page


def test_an_account_manager_without_customers_is_told_so(login, account_manager, computed):
    StaffAssignment.objects.filter(user=account_manager).delete()
    page = login(account_manager).get("/insights/").content.decode()
    assert "Figures for the 0 customers you look after" in page
    assert "No customers yet." in page
    assert '<svg class="chart' not in page
