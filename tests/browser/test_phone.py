"""On a phone (390 x 844): nothing wider than the screen, and the navigation is there to use."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import PHONE, follow, sign_in

pytestmark = pytest.mark.browser


def _assert_fits(page: Any) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})"
    )
    # A phone browser zooms out to show a page that is too wide, and window.innerWidth grows with it.
    assert widths["inner"] == PHONE["width"], f"{page.url}: the browser zoomed out to {widths['inner']}px"
    assert widths["scroll"] <= widths["inner"], (
        f"{page.url} is {widths['scroll']}px wide on a {widths['inner']}px screen"
    )
    nav = page.locator("nav.mainnav")
    assert nav.is_visible()
    links = nav.get_by_role("link")
    assert links.count() >= 3
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= widths["inner"], (
            f"navigation link {links.nth(index).inner_text()!r} is off screen: {box}"
        )


# German has the longest words of the three languages, so the layout is checked in German too (and, while at
# it, in dark mode, which axe-core checks for contrast like the light one).
@pytest.mark.parametrize(("locale", "color_scheme"), [("en-GB", "light"), ("de-DE", "dark")])
def test_overview_and_customer_page_fit_a_phone(
    new_page: Any,
    locale: str,
    color_scheme: str,
    provider_admin: Any,
    organisation: Any,
    customer_admin: Any,
    customer_viewer: Any,
) -> None:
    from kundportal.organisations.models import Invitation

    # An open invitation, so that every table on the customer's page has a row.
    Invitation.objects.create(
        organisation=organisation,
        email="someone.with.a.rather.long.address@example-customer.example",
        role="member",
        invited_by=provider_admin,
        token_hash="0" * 64,
        expires_at=Invitation.default_expiry(),
    )
    page = new_page(
        viewport=PHONE,
        locale=locale,
        color_scheme=color_scheme,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    sign_in(page, "alice@provider.example", PASSWORD)
    assert page.evaluate("location.pathname") == "/"
    _assert_fits(page)

    follow(page, page.get_by_role("main").get_by_role("link", name="Acme AB"))
    assert page.get_by_role("heading", level=1).inner_text() == "Acme AB"
    _assert_fits(page)
    # The bar that says which customer staff are working in is on screen too.
    assert page.locator(".context-bar").is_visible()


def test_customer_sees_their_organisation_on_a_phone(
    new_page: Any, customer_admin: Any, customer_member: Any
) -> None:
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, "carl@acme.example", PASSWORD)
    _assert_fits(page)
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Organisation"))
    assert page.get_by_role("heading", level=1).inner_text() == "Acme AB"
    _assert_fits(page)
