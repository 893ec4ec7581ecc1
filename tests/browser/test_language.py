"""The language selector in the header: Swedish and German from day one, remembered on the account."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from conftest import PASSWORD

from .conftest import follow, navigation, sign_in, visit

pytestmark = pytest.mark.browser


def _choose_language(page: Any, code: str) -> None:
    # The selector submits itself on change (portal.js); its label changes with the language, its id does not.
    with navigation(page):
        page.locator("#language-select").select_option(code)


def _heading(page: Any) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def test_switching_language_on_the_sign_in_page(page: Any) -> None:
    visit(page, "/account/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert _heading(page) == "Sign in"
    # With JavaScript the select submits itself: the fallback button is hidden.
    assert page.get_by_role("button", name="Change").is_hidden()

    _choose_language(page, "sv")
    assert page.url.endswith("/account/login/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert _heading(page) == "Logga in"
    assert page.locator("#language-select").input_value() == "sv"

    _choose_language(page, "de")
    assert page.locator("html").get_attribute("lang") == "de"
    assert _heading(page) == "Anmelden"

    # The choice sticks (a cookie) for the next page too.
    visit(page, "/account/password/reset/")
    assert page.locator("html").get_attribute("lang") == "de"


def test_language_switch_works_without_our_script(page: Any) -> None:
    # As if portal.js failed to load: the select does not submit itself, the fallback button shows.
    # (JavaScript itself stays on, which axe-core needs.)
    page.route("**/static/kundportal/portal.js", lambda route: route.abort())
    visit(page, "/account/login/")
    page.locator("#language-select").select_option("sv")
    follow(page, page.get_by_role("button", name="Change"))
    assert page.locator("html").get_attribute("lang") == "sv"
    assert _heading(page) == "Logga in"


def test_signed_in_users_language_is_remembered_on_the_account(
    new_page: Any, live_server: Any, customer_admin: Any
) -> None:
    page = new_page()
    sign_in(page, "carl@acme.example", PASSWORD)
    _choose_language(page, "sv")
    assert page.url == live_server.url + "/"
    assert page.locator("html").get_attribute("lang") == "sv"
    with translation.override("sv"):
        overview = translation.gettext("Overview")
    assert overview == "Översikt"
    assert (
        page.get_by_role("navigation").get_by_role("link", name=overview).get_attribute("aria-current")
        == "page"
    )
    customer_admin.refresh_from_db()
    assert customer_admin.language == "sv"

    # Another browser, whose own language is English: the account's choice wins once signed in.
    elsewhere = new_page(locale="en-GB")
    sign_in(elsewhere, "carl@acme.example", PASSWORD)
    assert elsewhere.locator("html").get_attribute("lang") == "sv"
    assert elsewhere.get_by_role("link", name=overview).is_visible()
