"""Offers in the browser: a customer opts in to personalised offers, sees a targeted offer and why, accepts it,
withdraws the consent and sees the targeted offer disappear; the overview card and the privacy page.
axe-core and the CSP are checked on every page."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import PHONE, check_page, follow, sign_in, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def offers(organisation: Any, customer_member: Any, account_manager: Any) -> dict[str, Any]:
    """Acme chose the interest "Drawing software": one offer is targeted on it, one is for every customer."""
    from decimal import Decimal

    from kundportal.commerce.tests.factories import make_interest, make_product
    from kundportal.customers.models import CustomerInterest
    from kundportal.offers.targeting import Target
    from kundportal.offers.tests.customer_offers import make_offer

    drawing = make_interest("drawing", "Drawing software", sv="Ritprogram", de="Zeichenprogramme")
    CustomerInterest.objects.create(organisation=organisation, category=drawing, declared=True)
    targeted = make_offer(
        "Tablet for artists",
        body="A drawing tablet with pen, at a price for our regular customers.",
        target=Target(declared_interests=(drawing.pk,)),
        price=Decimal("4990.00"),
        currency="SEK",
    )
    targeted.products.add(make_product("TAB-1", "Drawing tablet Pro"))
    for_all = make_offer(
        "Free delivery", body="Free delivery on every order this month.", discount_percent=10
    )
    return {"targeted": targeted, "for_all": for_all}


def _offer(page: Any, title: str) -> Any:
    return page.get_by_role("article", name=title)


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_customer_opts_in_sees_why_accepts_and_withdraws(
    new_page: Any, viewport: Any, offers: dict[str, Any], account_manager: Any, mailoutbox: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from kundportal.messaging.delivery import send_due
    from kundportal.offers.models import OfferResponse
    from kundportal.privacy.models import Consent

    page = new_page(**({"viewport": viewport} if viewport else {}))
    sign_in(page, "mia@acme.example", PASSWORD)
    follow(page, page.locator("nav.mainnav").get_by_role("link", name="Offers"))
    assert page.get_by_role("heading", level=1).inner_text() == "Offers"
    assert page.locator("nav.mainnav a[aria-current=page]").inner_text() == "Offers"

    # Without consent: only the offer for every customer, and the question asked once, calmly.
    assert page.get_by_role("heading", name="Personalised offers: off").is_visible()
    assert _offer(page, "Free delivery").is_visible()
    assert _offer(page, "Tablet for artists").count() == 0
    follow(page, page.get_by_role("button", name="Allow personalised offers"))
    assert Consent.objects.get().granted
    assert page.get_by_role("heading", name="Personalised offers: on").is_visible()

    # The targeted offer, and why it is shown.
    offer = _offer(page, "Tablet for artists")
    assert offer.is_visible()
    assert "Drawing tablet Pro" in offer.inner_text() and "SEK 4,990.00" in offer.inner_text()
    why = offer.get_by_text("You chose the interest Drawing software.")
    assert not why.is_visible()
    offer.get_by_text("Why am I seeing this?").click()
    assert why.is_visible()
    check_page(page)

    # Accepting, with a message for the account manager.
    offer.get_by_text("Add a message (optional)").click()
    offer.get_by_label("Message to your account manager").fill("Could you show it to us on Friday?")
    follow(page, offer.get_by_role("button", name="Accept offer"))
    assert "Your account manager was told" in page.get_by_role("status").first.inner_text()
    assert "You accepted this offer on" in _offer(page, "Tablet for artists").inner_text()
    accepted = OfferResponse.objects.get(offer=offers["targeted"])
    assert accepted.message == "Could you show it to us on Friday?"
    # The account manager's email comes through the notification outbox, once the batch is due.
    send_due(now=timezone.now() + timedelta(hours=1))
    assert [m.to for m in mailoutbox] == [[account_manager.email]]

    # The overview shows the offers too, calmly, with a way to all of them.
    visit(page, "/")
    card = page.get_by_role("region", name="Offers for you")
    assert "Tablet for artists" in card.inner_text()

    # Withdrawing: one click, and the targeted offer is gone at once.
    visit(page, "/offers/")
    follow(page, page.get_by_role("button", name="Withdraw consent"))
    assert page.get_by_role("heading", name="Personalised offers: off").is_visible()
    assert _offer(page, "Tablet for artists").count() == 0
    assert _offer(page, "Free delivery").is_visible()

    # The privacy page has both decisions, with the wording as Mia saw it.
    follow(page, page.get_by_role("link", name="All your privacy choices"))
    assert page.get_by_role("heading", level=1).inner_text() == "Privacy"
    assert page.locator("table.consent-history tbody tr").count() == 2
    if viewport:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_dismissing_from_the_overview(page: Any, offers: dict[str, Any]) -> None:
    sign_in(page, "mia@acme.example", PASSWORD)
    visit(page, "/")
    card = page.get_by_role("region", name="Offers for you")
    follow(page, card.get_by_role("button", name="Dismiss"))
    assert page.get_by_role("region", name="Offers for you").count() == 0
    visit(page, "/offers/")
    assert _offer(page, "Free delivery").count() == 0


def test_the_offers_and_privacy_pages_in_german_on_a_phone(new_page: Any, offers: dict[str, Any]) -> None:
    page = new_page(viewport=PHONE, locale="de-DE")
    sign_in(page, "mia@acme.example", PASSWORD)
    for path in ("/offers/", "/privacy/"):
        visit(page, path)
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
