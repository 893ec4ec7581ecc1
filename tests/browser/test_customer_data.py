"""A customer admin keeps the organisation's data current in Swedish: edits the billing address (the form
follows the country chosen), adds an IBAN and sees it masked; axe-core and the CSP checked on every page."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from conftest import PASSWORD

from .conftest import PHONE, follow, navigation, sign_in, visit

pytestmark = pytest.mark.browser

IBAN = "DE89 3704 0044 0532 0130 00"


def _sv(text: str) -> str:
    with translation.override("sv"):
        return translation.gettext(text)


@pytest.fixture
def billing(organisation: Any) -> Any:
    from kundportal.customers.models import Address

    return Address.objects.create(
        organisation=organisation,
        purpose="billing",
        is_default=True,
        street_address="Storgatan 1",
        postal_code="114 55",
        city="Stockholm",
        country="SE",
    )


def test_a_customer_admin_edits_the_billing_address_and_adds_an_iban_in_swedish(
    new_page: Any, customer_admin: Any, organisation: Any, billing: Any
) -> None:
    from kundportal.customers.models import Address, PaymentMethod

    page = new_page()
    sign_in(page, "carl@acme.example", PASSWORD)
    with navigation(page):
        page.locator("#language-select").select_option("sv")
    assert page.locator("html").get_attribute("lang") == "sv"

    # "Our data" from the navigation (found by where it leads: its words are Swedish now).
    follow(page, page.locator("nav.mainnav a[href='/data/']"))
    assert page.locator("nav.mainnav a[href='/data/']").get_attribute("aria-current") == "page"
    assert page.get_by_role("heading", level=1).inner_text() == _sv("Our data")
    main = page.get_by_role("main")
    assert "Storgatan 1" in main.inner_text()

    # The billing address: choosing another country reloads the form for it, with the entries kept.
    follow(page, page.locator(f"a[href='/addresses/{billing.pk}/']"))
    form = page.locator("form[data-address-form]")
    assert form.locator("[data-address-refresh]").is_hidden()  # the script does it on change
    with navigation(page):
        form.locator("select[name=country]").select_option("US")
    form = page.locator("form[data-address-form]")
    assert form.locator("select[name=country_area]").is_visible()  # a US state
    assert form.locator("textarea[name=street_address]").input_value() == "Storgatan 1"
    with navigation(page):
        form.locator("select[name=country]").select_option("SE")
    form = page.locator("form[data-address-form]")
    assert form.locator("[name=country_area]").count() == 0
    form.locator("textarea[name=street_address]").fill("Storgatan 2")
    form.locator("input[name=postal_code]").fill("11456")
    follow(page, form.locator("button[type=submit]:not([name])"))
    assert "Storgatan 2" in page.get_by_role("main").inner_text()
    billing.refresh_from_db()
    assert (billing.street_address, billing.postal_code) == ("Storgatan 2", "11456")
    assert Address.objects.count() == 1

    # A mistyped IBAN is refused next to its field; the right one is stored and shown masked.
    follow(page, page.locator(f"a[href='/organisations/{organisation.pk}/data/payment-methods/new/']"))
    form = page.locator("main form")
    form.locator("input[name=kind][value=sepa]").check()
    form.locator("input[name=account_holder]").fill("Acme AB")
    form.locator("input[name=iban]").fill(IBAN[:-1] + "1")
    follow(page, form.locator("button[type=submit]"))
    assert page.locator("[role=alert]").is_visible()
    assert not PaymentMethod.objects.exists()
    form = page.locator("main form")
    form.locator("input[name=iban]").fill(IBAN)
    follow(page, form.locator("button[type=submit]"))
    main_text = page.get_by_role("main").inner_text()
    assert "DE•• •••• •••• 3000" in main_text
    assert IBAN.replace(" ", "") not in page.content().replace(" ", "")
    assert PaymentMethod.objects.get().iban_last4 == "3000"

    # The same page on a phone.
    phone = new_page(viewport=PHONE)
    sign_in(phone, "carl@acme.example", PASSWORD)
    visit(phone, f"/organisations/{organisation.pk}/data/")
    assert "DE•• •••• •••• 3000" in phone.get_by_role("main").inner_text()
