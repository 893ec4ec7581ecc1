"""A walk past every page a person can reach from the navigation, checked by axe-core and for CSP violations.

The flows in the other modules check the pages on their way; this walk covers the rest, including a form that
comes back with errors.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import check_page, follow, sign_in, visit

pytestmark = pytest.mark.browser


def test_staff_pages(page: Any, provider_admin: Any, organisation: Any, customer_admin: Any) -> None:
    sign_in(page, "alice@provider.example", PASSWORD)
    nav = page.locator("nav.mainnav")

    follow(page, nav.get_by_role("link", name="Customers"))
    assert page.get_by_role("link", name="Acme AB").is_visible()
    page.get_by_label("Search", exact=True).fill("nobody")
    follow(page, page.get_by_role("button", name="Show customers"))
    assert "No customer matches" in page.get_by_role("main").inner_text()

    visit(page, "/organisations/new/")
    follow(page, page.get_by_role("button", name="Create customer"))  # empty: the form comes back with errors
    assert page.locator(".errorlist").count() >= 1

    visit(page, f"/organisations/{organisation.pk}/")
    follow(page, nav.get_by_role("link", name="Settings"))
    visit(page, "/audit/")
    follow(page, nav.get_by_role("link", name="My account"))
    visit(page, "/account/2fa/")
    visit(page, "/account/sessions/")
    visit(page, "/account/password/change/")


def test_customer_pages(page: Any, customer_admin: Any, customer_member: Any) -> None:
    sign_in(page, "carl@acme.example", PASSWORD)
    nav = page.locator("nav.mainnav")
    follow(page, nav.get_by_role("link", name="Organisation"))
    assert page.get_by_role("heading", level=1).inner_text() == "Acme AB"
    follow(page, nav.get_by_role("link", name="Profile"))


def test_anonymous_pages(page: Any) -> None:
    visit(page, "/account/login/")
    follow(page, page.get_by_role("link", name="Forgot your password?"))
    for path in ("/invitations/not-a-real-token/", "/no-such-page/"):
        response = page.goto(path)
        assert response is not None and response.status == 404
        check_page(page)
