"""The purchase history: the Orders page (filters, paging, the summary with its chart) and GET /api/v1/orders,
in a constant number of queries however many orders there are."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kundportal.commerce.models import Order, OrderLine, OrderStatus
from kundportal.commerce.tests.factories import make_order, make_product

pytestmark = pytest.mark.django_db


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def add_orders(organisation, product, count, *, placed_by=None, start=0):
    """`count` orders of one line each, one a day going back from `start` days ago (bulk, for the counts)."""
    orders = Order.objects.bulk_create(
        Order(
            organisation=organisation,
            number=f"B-{start + n:06d}",
            placed_by=placed_by,
            status=OrderStatus.DELIVERED,
            currency="SEK",
            total=product.price * 2,
            placed_at=days_ago(start + n),
        )
        for n in range(count)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=product,
            sku=product.sku,
            description=product.name,
            quantity=2,
            unit_price=product.price,
            line_total=product.price * 2,
        )
        for order in orders
    )


def test_the_orders_page_lists_the_history_with_a_summary(login, customer_admin, member_order, admin_order):
    response = login(customer_admin).get("/orders/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<a href="/orders/" aria-current="page">Orders</a>' in page
    assert [order.number for order in response.context["page"].object_list] == [
        member_order.number,
        admin_order.number,
    ]
    assert response.context["page"].object_list[0].line_count == 2
    assert "SEK 1,598.00" in page and "SEK 995.00" in page
    assert "Your purchases at a glance" in page
    summary = response.context["summary"]
    assert summary.order_count == 2 and summary.recent_count == 2
    assert round(summary.average_days_between) == 30
    assert "About every 30 days" in page
    assert [(p.name, p.quantity) for p in summary.top_products] == [
        ("Plotter paper A3", 14),
        ("CAD Studio licence", 1),
    ]
    assert "14 in 2 orders" in page


def test_the_chart_is_accessible_svg_with_the_same_numbers_as_a_table(login, customer_admin, member_order):
    page = login(customer_admin).get("/orders/").content.decode()
    start = page.index('<svg class="chart"')
    svg = page[start : page.index("</svg>", start) + 6]
    assert 'role="img"' in svg and 'aria-labelledby="orders-per-month-title orders-per-month-desc"' in svg
    assert '<title id="orders-per-month-title">Orders per month over the last 12 months</title>' in svg
    assert '<desc id="orders-per-month-desc">1 order from' in svg
    assert svg.count('<g class="chart-bar"><title>') == 12
    month = member_order.placed_at.strftime("%B %Y")
    assert f"<title>{month}: 1 order</title>" in svg
    assert "style=" not in svg
    assert "<details>" in page and "Show the numbers as a table" in page
    assert f'<th scope="row">{month}</th><td>1</td>' in page


def test_an_empty_history_explains_itself(login, customer_admin):
    page = login(customer_admin).get("/orders/").content.decode()
    assert "No orders yet." in page
    assert "<svg" not in page.split('id="main"')[1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=confirmed", ["member"]),
        ("status=delivered", ["admin"]),
        ("product={paper}", ["member", "admin"]),
        ("product={cad}", ["member"]),
        ("product=pap-a3", ["member", "admin"]),
        ("product=studio", ["member"]),
        ("date_from={recent}", ["member"]),
        ("date_to={recent}", ["admin"]),
        ("date_from={long_ago}&date_to={today}", ["member", "admin"]),
    ],
)
def test_it_filters_by_period_status_and_product(
    login, api_client, customer_admin, member_order, admin_order, cad, paper, query, expected
):
    today = timezone.localdate()
    values = {
        "paper": paper.pk,
        "cad": cad.pk,
        "recent": today - timedelta(days=20),
        "long_ago": today - timedelta(days=100),
        "today": today,
    }
    query = query.format(**values)
    numbers = {"member": member_order.number, "admin": admin_order.number}
    if "product=" not in query or (str(paper.pk) not in query and str(cad.pk) not in query):
        page_query = query  # the page filters products by name or SKU
        response = login(customer_admin).get(f"/orders/?{page_query}")
        assert [o.number for o in response.context["page"].object_list] == [
            numbers[name] for name in expected
        ]
    if "product=" not in query or str(paper.pk) in query or str(cad.pk) in query:
        api_query = query.replace("product=", "product_id=")  # the API by product id
        listed = api_client(customer_admin).get(f"/api/v1/orders?{api_query}").json()
        assert [o["number"] for o in listed["items"]] == [numbers[name] for name in expected]


def test_the_product_filter_matches_a_name_or_sku_of_the_orders_lines(
    login, customer_admin, member_order, euro_service
):
    client = login(customer_admin)
    assert list(client.get("/orders/?product=support").context["page"].object_list) == []  # never bought
    assert [o.number for o in client.get("/orders/?product=CAD-1").context["page"].object_list] == [
        member_order.number
    ]


def test_bad_filters_are_explained(login, api_client, customer_admin, member_order):
    response = login(customer_admin).get("/orders/?date_from=2026-05-01&date_to=2026-04-01&status=nope")
    page = response.content.decode()
    assert "The end of the period is before its start." in page
    assert "Select a valid choice" in page  # the status
    assert "Some filters could not be used" in page
    api = api_client(customer_admin)
    assert api.get("/api/v1/orders?date_from=2026-05-01&date_to=2026-04-01").status_code == 422
    assert api.get("/api/v1/orders?status=nope").status_code == 422
    assert api.get("/api/v1/orders?date_from=yesterday").status_code == 422
    assert login(customer_admin).get("/orders/?date_from=not-a-date").status_code == 200


def test_no_match_says_so(login, customer_admin, member_order):
    page = login(customer_admin).get("/orders/?status=paid").content.decode()
    assert "No orders match these filters." in page


def test_it_pages_by_25(login, customer_admin, organisation, paper):
    add_orders(organisation, paper, 60)
    client = login(customer_admin)
    first = client.get("/orders/?status=delivered")
    assert len(first.context["page"].object_list) == 25 and first.context["page"].paginator.num_pages == 3
    page = first.content.decode()
    assert (
        "status=delivered&amp;product=&amp;page=2" in page
        or "status=delivered" in page.split("pagination")[1]
    )
    third = client.get("/orders/?status=delivered&page=3")
    assert len(third.context["page"].object_list) == 10


def test_the_orders_page_needs_the_same_queries_for_5_and_200_orders(
    login, customer_member, organisation, restricted, paper, cad
):
    """Mia (member, sees only her own orders): the heaviest visibility rule."""
    client = login(customer_member)
    client.get("/orders/")  # the first request of a session records the session
    add_orders(organisation, paper, 5, placed_by=customer_member)
    add_orders(organisation, cad, 3, start=5)  # others' orders, which Mia does not see
    with CaptureQueriesContext(connection) as few:
        response = client.get("/orders/?status=delivered")
    assert response.context["page"].paginator.count == 5
    add_orders(organisation, paper, 195, placed_by=customer_member, start=100)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/orders/?status=delivered")
    assert response.context["page"].paginator.count == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 15


def test_the_staff_orders_page_needs_the_same_queries_for_5_and_200_orders(
    login, account_manager, organisation, paper
):
    client = login(account_manager)
    client.get(f"/organisations/{organisation.pk}/orders/")
    add_orders(organisation, paper, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/organisations/{organisation.pk}/orders/").status_code == 200
    add_orders(organisation, paper, 195, start=100)
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"/organisations/{organisation.pk}/orders/").status_code == 200
    assert len(many) == len(few)


def test_the_api_list_needs_the_same_queries_for_5_and_200_orders(
    api_client, customer_admin, organisation, paper
):
    api = api_client(customer_admin)
    api.get("/api/v1/orders")  # the token's first use is recorded once
    add_orders(organisation, paper, 5)
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/v1/orders").json()["count"] == 5
    add_orders(organisation, paper, 195, start=100)
    with CaptureQueriesContext(connection) as many:
        assert api.get("/api/v1/orders").json()["count"] == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_staff_reach_a_customers_orders_from_its_page(login, account_manager, organisation, member_order):
    client = login(account_manager)
    assert (
        f'href="/organisations/{organisation.pk}/orders/"'
        in client.get(f"/organisations/{organisation.pk}/").content.decode()
    )
    page = client.get(f"/organisations/{organisation.pk}/orders/").content.decode()
    assert "You are working in the customer Acme AB" in page
    assert "Orders of Acme AB" in page and member_order.number in page
    assert f'href="/organisations/{organisation.pk}/orders/new/"' in page
    assert "Purchases at a glance" in page


def test_an_account_manager_sees_only_the_orders_of_their_customers(
    login, api_client, account_manager, member_order, other_organisation, cad
):
    theirs = make_order(other_organisation, (cad, 1))
    response = login(account_manager).get("/orders/")
    assert [o.number for o in response.context["page"].object_list] == [member_order.number]
    assert response.context["show_organisation"]
    assert login(account_manager).get(f"/organisations/{other_organisation.pk}/orders/").status_code == 404
    assert (
        api_client(account_manager).get(f"/api/v1/orders?organisation_id={other_organisation.pk}").status_code
        == 404
    )
    assert api_client(account_manager).get(f"/api/v1/orders/{theirs.pk}").status_code == 404


def test_the_summary_api(api_client, customer_admin, member_order, admin_order):
    summary = api_client(customer_admin).get("/api/v1/orders/summary").json()
    assert summary["order_count"] == 2 and len(summary["months"]) == 12
    assert sum(month["orders"] for month in summary["months"]) == 2
    assert (
        summary["top_products"][0]["sku"] == "PAP-A3" and summary["top_products"][0]["quantity"] == "14.000"
    )
    assert round(summary["average_days_between"]) == 30


def test_cancelled_orders_are_not_purchases(login, customer_admin, organisation, cad):
    make_order(organisation, (cad, 1), status=OrderStatus.CANCELLED)
    response = login(customer_admin).get("/orders/")
    assert response.context["page"].paginator.count == 1
    assert response.context["summary"].order_count == 0


def test_twelve_months_back_and_no_further(login, customer_admin, organisation):
    product = make_product("OLD-1", price="10.00")
    make_order(organisation, (product, 1), placed_at=timezone.now() - timedelta(days=500))
    make_order(organisation, (product, 1))
    summary = login(customer_admin).get("/orders/").context["summary"]
    assert summary.order_count == 2 and summary.recent_count == 1
    assert summary.top_products[0].quantity == Decimal("2")
