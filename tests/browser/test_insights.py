"""The provider's insights in the browser: every chart drawn as accessible SVG under the CSP, its numbers as a
table on request, "Recompute now"; axe-core checked on every page, on a desktop and on a phone, in English
and in German."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD

from .conftest import PHONE, check_page, follow, sign_in, visit

pytestmark = pytest.mark.browser

CHARTS = [
    "Customers by segment",
    "Customers by number of orders",
    "Orders per month",
    "Portal activity per week",
    "Responses to offers",
    "Interests",
]


@pytest.fixture
def insights(organisation: Any, other_organisation: Any, customer_admin: Any, outsider: Any) -> None:
    """A year of orders for two customers, an interest each, an offer they responded to, a few logins and
    downloads; then the figures computed as the nightly task does."""
    from kundportal.audit.models import Action
    from kundportal.audit.services import record_event
    from kundportal.commerce.tests.factories import make_interest, make_order, make_product
    from kundportal.customers.models import CustomerInterest
    from kundportal.insights.tasks import recompute_insights_task
    from kundportal.offers.models import Offer, OfferResponse, OfferStatus

    paper = make_product("PAP-A3", "Plotter paper A3", price="99.50")
    service = make_product("SRV-1", "Service hour", price="80.00", currency="EUR")
    for days in range(5, 360, 30):
        make_order(organisation, (paper, 4), placed_at=timezone.now() - timedelta(days=days))
    for days in (20, 200):
        make_order(
            other_organisation, (service, 2), placed_at=timezone.now() - timedelta(days=days), currency="EUR"
        )
    bim = make_interest("bim", "BIM", sv="BIM", de="BIM")
    CustomerInterest.objects.create(organisation=organisation, category=bim, declared=True, inferred_items=3)
    CustomerInterest.objects.create(organisation=other_organisation, category=bim, inferred_items=2)
    today = timezone.localdate()
    offer = Offer.objects.create(
        title="Spring paper sale",
        body="10 % off plotter paper.",
        status=OfferStatus.PUBLISHED,
        starts_on=today - timedelta(days=7),
        ends_on=today + timedelta(days=7),
    )
    now = timezone.now()
    OfferResponse.objects.create(
        offer=offer, user=customer_admin, organisation=organisation, seen_at=now, accepted_at=now
    )
    OfferResponse.objects.create(
        offer=offer, user=outsider, organisation=other_organisation, seen_at=now, dismissed_at=now
    )
    for user in (customer_admin, outsider):
        record_event(Action.LOGIN, actor=user)
    record_event(Action.DOCUMENT_DOWNLOADED, actor=customer_admin, organisation=organisation)
    recompute_insights_task.enqueue()


def test_a_provider_admin_reads_the_insights(page: Any, provider_admin: Any, insights: None) -> None:
    sign_in(page, "alice@provider.example", PASSWORD)
    follow(page, page.locator("nav.mainnav").get_by_role("link", name="Insights"))
    assert page.get_by_role("heading", level=1).inner_text() == "Insights"
    assert page.locator("nav.mainnav a[aria-current=page]").inner_text() == "Insights"
    for name in CHARTS:
        assert page.get_by_role("img", name=name).is_visible(), name
    assert page.get_by_role("img", name="Revenue per month in SEK").is_visible()
    assert page.locator("svg.chart").count() == 7

    segments = page.locator("#segments")
    segments.get_by_text("Show the numbers as a table").click()
    assert segments.locator("details table tbody tr").count() == 8  # seven segments and "no purchases yet"
    segments.get_by_text("What the segments mean").click()
    assert "Bought recently and often." in segments.inner_text()
    check_page(page)

    follow(page, page.locator("#revenue").get_by_role("link", name="EUR"))
    assert page.get_by_role("img", name="Revenue per month in EUR").is_visible()

    with page.expect_download() as download_info:
        page.locator("#offers").get_by_role("link", name="Download “Responses to offers” as CSV").click()
    assert download_info.value.suggested_filename.startswith("insights-offers-")

    follow(page, page.get_by_role("button", name="Recompute now"))
    assert "The figures have been recomputed." in page.get_by_role("status").first.inner_text()


@pytest.mark.parametrize("locale", ["en-GB", "de-DE"])
def test_the_insights_fit_a_phone(new_page: Any, provider_admin: Any, insights: None, locale: str) -> None:
    page = new_page(viewport=PHONE, locale=locale)
    sign_in(page, "alice@provider.example", PASSWORD)
    visit(page, "/insights/")
    assert page.locator("svg.chart").count() == 7
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Every other month and week label goes on a phone, so that the rest do not overlap.
    assert page.locator("svg.chart-line .chart-label.minor").first.is_hidden()


def test_an_account_manager_sees_their_customers_only(
    page: Any, account_manager: Any, insights: None
) -> None:
    sign_in(page, "mads@provider.example", PASSWORD)
    visit(page, "/insights/")
    assert "Figures for the 1 customer you look after" in page.get_by_role("main").inner_text()
    assert page.get_by_role("button", name="Recompute now").count() == 0
    # Other GmbH's EUR orders are not Mads's: only the SEK revenue chart.
    assert page.get_by_role("img", name="Revenue per month in SEK").is_visible()
    assert page.locator("#revenue nav").count() == 0
