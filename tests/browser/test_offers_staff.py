"""The provider's offers in the browser: a provider admin writes an offer, sees who it reaches, publishes it and
finds it in the list. axe-core and the CSP are checked on every page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD

from .conftest import check_page, follow, sign_in

pytestmark = pytest.mark.browser


def test_a_provider_admin_writes_previews_and_publishes_an_offer(
    new_page: Any, provider_admin: Any, organisation: Any
) -> None:
    from kundportal.offers.models import Offer

    page = new_page()
    sign_in(page, "alice@provider.example", PASSWORD)
    follow(page, page.locator("nav.mainnav").get_by_role("link", name="Offers"))
    assert page.get_by_role("heading", level=1).inner_text() == "Offers"
    follow(page, page.get_by_role("link", name="New offer"))
    today = timezone.localdate()
    page.locator("#id_title").fill("Spring service")
    page.locator("#id_body").fill("A free check of your plotter before the busy season.")
    page.locator("#id_starts_on").fill(today.isoformat())
    page.locator("#id_ends_on").fill((today + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Show who it reaches").click()
    page.locator("#target-preview").get_by_text("1").first.wait_for()
    check_page(page)
    follow(page, page.get_by_role("button", name="Save draft"))
    offer = Offer.objects.get()
    assert offer.status == "draft" and offer.created_by == provider_admin
    follow(page, page.get_by_role("button", name="Publish"))
    offer.refresh_from_db()
    assert offer.status == "published" and offer.reach == 1
    follow(page, page.locator("nav.mainnav").get_by_role("link", name="Offers"))
    assert page.get_by_role("link", name="Spring service").is_visible()
