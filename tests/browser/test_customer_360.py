"""An account manager filters the customer list and opens a customer's 360° view; every page is checked by
axe-core and for CSP violations, on a desktop and on a 390 px phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import PASSWORD

from .conftest import PHONE, follow, sign_in, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def customers(organisation: Any, other_organisation: Any, account_manager: Any, customer_admin: Any) -> Any:
    from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
    from kundportal.customers.interests import recompute_interests
    from kundportal.customers.models import Address, CustomerInterest, CustomerProfile, PaymentMethod
    from kundportal.organisations.models import Organisation, StaffAssignment

    CustomerProfile.objects.create(organisation=organisation, external_id="C-100", email="info@acme.example")
    Address.objects.create(
        organisation=organisation,
        purpose="billing",
        is_default=True,
        street_address="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
        country="SE",
    )
    PaymentMethod.objects.create(
        organisation=organisation, kind="sepa", is_default=True, iban_country="SE", iban_last4="4321"
    )
    beta = Organisation.objects.create(name="Beta GmbH")
    StaffAssignment.objects.create(organisation=beta, user=account_manager)
    Address.objects.create(
        organisation=beta, purpose="billing", is_default=True, street_address="Hauptstraße 1", country="DE"
    )
    drawing = make_interest("drawing", "Drawing software", sv="Ritprogram", de="Zeichensoftware")
    training = make_interest("training", "Training")
    cad = make_product("CAD-1", "CAD Pro", category=make_category("Software", drawing))
    now = timezone.now()
    for days in (60, 30, 2):
        make_order(organisation, (cad, 1), placed_by=customer_admin, placed_at=now - timedelta(days=days))
    make_order(beta, (cad, 1), currency="EUR", placed_at=now - timedelta(days=400))
    make_order(other_organisation, (cad, 5))  # not Mads' customer: never listed
    recompute_interests()
    CustomerInterest.objects.create(organisation=organisation, category=training, declared=True)
    return {"acme": organisation, "beta": beta}


def test_an_account_manager_filters_customers_and_opens_the_360_view(page: Any, customers: Any) -> None:
    sign_in(page, "mads@provider.example", PASSWORD)
    follow(page, page.locator("nav.mainnav").get_by_role("link", name="Customers"))
    main = page.get_by_role("main")
    assert page.get_by_role("heading", level=1).inner_text() == "Customers"
    assert "2 customers" in main.inner_text()
    assert "Other GmbH" not in main.inner_text()

    page.get_by_label("Country").select_option("SE")
    page.get_by_label("At least this many orders").fill("2")
    follow(page, page.get_by_role("button", name="Show customers"))
    assert "1 customer" in main.inner_text()
    assert "Beta GmbH" not in main.inner_text()

    follow(page, page.get_by_role("link", name="Acme AB"))
    assert page.get_by_role("heading", level=1).inner_text() == "Acme AB"
    text = main.inner_text()
    assert "You are working in the customer Acme AB" in page.inner_text("body")
    assert "SE•• •••• •••• 4321" in text
    assert "Bought 3 items in Drawing software." in text
    assert "Training" in text

    page.set_viewport_size(PHONE)
    visit(page, f"/customers/{customers['acme'].pk}/")
    visit(page, "/customers/?country=SE&sort=-revenue")


def test_the_pages_in_german_on_a_phone(new_page: Any, customers: Any) -> None:
    page = new_page(viewport=PHONE, locale="de-DE")
    sign_in(page, "mads@provider.example", PASSWORD)
    visit(page, "/customers/?interest=" + str(customers["acme"].interests.first().category_id))
    visit(page, f"/customers/{customers['acme'].pk}/")
    visit(page, f"/organisations/{customers['acme'].pk}/interests/")


def test_an_admin_adds_an_interest_category_and_a_customer_turns_an_inferred_one_off(
    new_page: Any, provider_admin: Any, customer_member: Any, customers: Any
) -> None:
    from kundportal.customers.models import CustomerInterest, InterestCategory

    admin = new_page()
    sign_in(admin, "alice@provider.example", PASSWORD)
    follow(admin, admin.locator("nav.mainnav").get_by_role("link", name="Settings"))
    follow(admin, admin.get_by_role("link", name="Interest categories"))
    follow(admin, admin.get_by_role("link", name="New interest category"))
    admin.get_by_label("Name in English").fill("Service contracts")
    admin.get_by_label("Name in Swedish").fill("Serviceavtal")
    follow(admin, admin.get_by_role("button", name="Save interest category"))
    assert "The interest category “Service contracts” was created." in admin.get_by_role("main").inner_text()
    assert InterestCategory.objects.filter(slug="service-contracts", name_sv="Serviceavtal").exists()

    customer = new_page(viewport=PHONE, locale="sv-SE")
    sign_in(customer, "mia@acme.example", PASSWORD)
    follow(customer, customer.locator("nav.mainnav").locator("a[href='/interests/']"))
    customer.locator("input[name=declared]").nth(0).check()
    follow(customer, customer.locator("main form button[type=submit]").first)
    drawing = CustomerInterest.objects.get(organisation=customers["acme"], category__slug="drawing")
    follow(
        customer, customer.locator(f"form:has(input[value='{drawing.category_id}']) button[value=turn_off]")
    )
    drawing.refresh_from_db()
    assert drawing.suppressed and drawing.inferred_items == 3
