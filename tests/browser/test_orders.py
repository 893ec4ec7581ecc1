"""A customer's orders in the browser: the Orders page with its summary chart, filtering by status and product,
one order, and its invoice downloaded as a PDF; axe-core and the CSP checked on every page, on a desktop and
on a phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD

from .conftest import PHONE, check_page, follow, navigation, sign_in, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def history(organisation: Any, customer_member: Any, account_manager: Any) -> dict[str, Any]:
    """Mia's year of orders: paper every few weeks, a licence once; the licence order is invoiced."""
    from kundportal.commerce.invoices import issue_invoice
    from kundportal.commerce.models import OrderStatus
    from kundportal.commerce.tests.factories import make_order, make_product

    paper = make_product("PAP-A3", "Plotter paper A3", price="99.50")
    licence = make_product("CAD-1", "CAD Studio licence", price="12000.00")
    for days in (300, 240, 170, 120, 75):
        make_order(
            organisation,
            (paper, 4),
            placed_by=customer_member,
            status=OrderStatus.PAID,
            placed_at=timezone.now() - timedelta(days=days),
        )
    licence_order = make_order(
        organisation,
        (licence, 1),
        (paper, 2),
        placed_by=customer_member,
        status=OrderStatus.DELIVERED,
        placed_at=timezone.now() - timedelta(days=30),
    )
    licence_order = issue_invoice(actor=account_manager, order=licence_order)
    make_order(organisation, (paper, 6), placed_by=customer_member, status=OrderStatus.REQUESTED)
    return {"licence_order": licence_order, "licence": licence}


def _filter_by_licence(page: Any) -> None:
    form = page.get_by_role("search", name="Filter orders")
    form.get_by_label("Status").select_option("invoiced")
    form.get_by_label("Product").fill("CAD studio")
    with navigation(page):
        form.get_by_role("button", name="Filter").click()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_customer_filters_their_orders_and_downloads_an_invoice(
    new_page: Any, viewport: Any, history: dict[str, Any]
) -> None:
    page = new_page(**({"viewport": viewport} if viewport else {}))
    sign_in(page, "mia@acme.example", PASSWORD)
    follow(page, page.locator("nav.mainnav").get_by_role("link", name="Orders"))
    assert page.get_by_role("heading", level=1).inner_text() == "Orders"
    assert page.locator("nav.mainnav a[aria-current=page]").inner_text() == "Orders"

    # The summary: a chart a screen reader can read, the same numbers as a table, and what Mia buys most.
    chart = page.get_by_role("img", name="Orders per month over the last 12 months")
    assert chart.is_visible()
    assert page.locator("svg.chart .chart-bar").count() == 12
    page.get_by_text("Show the numbers as a table").click()
    assert page.locator("details table tbody tr").count() == 12
    assert "Plotter paper A3" in page.locator("ol.top-products li").first.inner_text()
    assert page.locator("table.orders tbody tr").count() == 7
    check_page(page)

    _filter_by_licence(page)
    rows = page.locator("table.orders tbody tr")
    assert rows.count() == 1
    number = history["licence_order"].number
    assert number in rows.inner_text()
    assert page.get_by_role("link", name="Show all").is_visible()

    follow(page, rows.get_by_role("link", name=number))
    assert page.get_by_role("heading", level=1).inner_text() == f"Order {number}"
    assert "CAD Studio licence" in page.locator("table.order-lines").inner_text()
    assert "Invoiced" in page.locator(".status-history").inner_text()

    link = page.get_by_role("link", name=f"Download invoice {history['licence_order'].invoice_number} (PDF)")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == f"{history['licence_order'].invoice_number}.pdf"
    with open(download.path(), "rb") as pdf:
        data = pdf.read()
    assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    check_page(page)


def test_the_orders_page_in_swedish_on_a_phone(new_page: Any, history: dict[str, Any]) -> None:
    page = new_page(viewport=PHONE, locale="sv-SE")
    sign_in(page, "mia@acme.example", PASSWORD)
    visit(page, "/orders/")
    assert page.locator("html").get_attribute("lang") == "sv"
    # The table became a stacked list: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    visit(page, f"/orders/{history['licence_order'].pk}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert "12\u00a0000,00" in page.locator("table.order-lines").inner_text()


def test_staff_enter_an_order_move_it_on_and_invoice_it(
    page: Any, provider_admin: Any, organisation: Any, customer_member: Any
) -> None:
    from kundportal.commerce.models import Order, OrderStatus
    from kundportal.commerce.tests.factories import make_category, make_product

    make_product("PAP-A3", "Plotter paper A3", price="99.50", category=make_category("Supplies"))
    sign_in(page, "alice@provider.example", PASSWORD)
    visit(page, "/catalogue/")
    follow(page, page.get_by_role("link", name="New product"))
    visit(page, "/catalogue/categories/")
    visit(page, f"/organisations/{organisation.pk}/")
    follow(page, page.get_by_role("main").get_by_role("link", name="Orders", exact=True))
    assert "This customer has no orders yet." in page.get_by_role("main").inner_text()
    follow(page, page.get_by_role("link", name="New order"))
    page.get_by_label("Ordered by").select_option(label="Mia Member")
    page.get_by_label("SKU, line 1").fill("PAP-A3")
    page.get_by_label("Quantity, line 1").fill("3")
    follow(page, page.get_by_role("button", name="Create order"))
    order = Order.objects.get()
    assert page.get_by_role("heading", level=1).inner_text() == f"Order {order.number}"
    page.get_by_label("New status").select_option("confirmed")
    follow(page, page.get_by_role("button", name="Change status"))
    follow(page, page.get_by_role("button", name="Issue invoice"))
    order.refresh_from_db()
    assert order.status == OrderStatus.INVOICED
    assert page.get_by_role("link", name=f"Download invoice {order.invoice_number} (PDF)").is_visible()
