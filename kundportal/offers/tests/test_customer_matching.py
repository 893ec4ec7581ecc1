"""Which offers a customer user sees (offers.access.offers_for), criterion by criterion, and the facts that
"Why am I seeing this?" names for each (offers.explain)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from kundportal.commerce.models import OrderStatus, PurchaseSummary
from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
from kundportal.core.crypto.fields import encrypt_value
from kundportal.customers.models import Address, CustomerInterest, CustomerProfile
from kundportal.customers.services import _birth_date_aad
from kundportal.offers.access import get_offer_for_user, offers_for
from kundportal.offers.explain import explain, explain_offers
from kundportal.offers.targeting import Target
from kundportal.offers.tests.customer_offers import consent, make_offer
from kundportal.organisations.models import Membership, Organisation

pytestmark = pytest.mark.django_db


def titles(user: Any, organisation: Any) -> list[str]:
    return sorted(offer.title for offer in offers_for(user, organisation))


def texts(offer: Any, organisation: Any) -> list[str]:
    return [fact.text for fact in explain(offer, organisation)]


@pytest.fixture
def carl(customer_admin: Any) -> Any:
    consent(customer_admin)
    return customer_admin


@pytest.fixture
def drawing() -> Any:
    return make_interest("drawing", "Drawing software", sv="Ritprogram")


def test_it_shows_an_untargeted_offer_to_every_customer(carl, organisation, outsider, other_organisation):
    offer = make_offer("For all")
    assert titles(carl, organisation) == ["For all"]
    assert titles(outsider, other_organisation) == ["For all"]
    assert texts(offer, organisation) == ["This offer is for every customer."]


def test_it_matches_declared_interests(carl, organisation, drawing):
    offer = make_offer("Pens", target=Target(declared_interests=(drawing.pk,)))
    assert titles(carl, organisation) == []
    CustomerInterest.objects.create(organisation=organisation, category=drawing, inferred_items=4)
    assert titles(carl, organisation) == []  # inferred is not chosen
    CustomerInterest.objects.filter(organisation=organisation).update(declared=True)
    assert titles(carl, organisation) == ["Pens"]
    assert texts(offer, organisation) == ["You chose the interest Drawing software."]
    with translation.override("sv"):
        assert explain(offer, organisation)[0].text.endswith("Ritprogram.")


def test_it_matches_inferred_interests_unless_turned_off(carl, organisation, drawing):
    offer = make_offer("Pens", target=Target(inferred_interests=(drawing.pk,)))
    interest = CustomerInterest.objects.create(organisation=organisation, category=drawing, inferred_items=3)
    assert titles(carl, organisation) == ["Pens"]
    assert texts(offer, organisation) == ["You bought 3 items in Drawing software."]
    interest.suppressed = True
    interest.save()
    assert titles(carl, organisation) == []


def test_it_matches_purchased_categories_but_not_cancelled_orders(carl, organisation):
    cad = make_category("CAD")
    offer = make_offer("CAD upgrade", target=Target(purchased_categories=(cad.pk,)))
    make_order(organisation, (make_product("CAD-1", category=cad), 1), status=OrderStatus.CANCELLED)
    assert titles(carl, organisation) == []
    make_order(organisation, (make_product("CAD-2", category=cad), 1))
    assert titles(carl, organisation) == ["CAD upgrade"]
    assert texts(offer, organisation) == ["You have bought from the category CAD."]


def test_it_matches_the_segment(carl, organisation):
    offer = make_offer("Thanks", target=Target(segments=("loyal",)))
    make_order(organisation, (make_product("P-1"), 1))
    assert titles(carl, organisation) == []
    PurchaseSummary.objects.filter(organisation=organisation).update(segment="loyal")
    assert titles(carl, organisation) == ["Thanks"]
    assert texts(offer, organisation) == ["Your segment: Loyal (how recently and how often you buy)."]


def test_it_matches_days_since_the_last_purchase(carl, organisation):
    offer = make_offer("Come back", target=Target(days_since_purchase_min=90))
    make_order(organisation, (make_product("P-1"), 1), placed_at=timezone.now() - timedelta(days=30))
    assert titles(carl, organisation) == []
    PurchaseSummary.objects.filter(organisation=organisation).update(
        last_purchase=timezone.now() - timedelta(days=120, hours=1)
    )
    assert titles(carl, organisation) == ["Come back"]
    assert texts(offer, organisation) == ["Your last purchase was 120 days ago."]


def test_it_matches_the_number_of_orders(carl, organisation):
    offer = make_offer("Regulars", target=Target(orders_min=2))
    product = make_product("P-1")
    make_order(organisation, (product, 1))
    assert titles(carl, organisation) == []
    make_order(organisation, (product, 1))
    assert titles(carl, organisation) == ["Regulars"]
    assert texts(offer, organisation) == ["You have placed 2 orders."]
    first_timers = make_offer("First order", target=Target(orders_max=0))
    newcomer = Organisation.objects.create(name="New AB")
    Membership.objects.create(organisation=newcomer, user=carl, role="admin")
    assert [o.title for o in offers_for(carl, newcomer)] == ["First order"]
    assert texts(first_timers, newcomer) == ["You have not placed an order yet."]


def test_it_matches_the_billing_country_without_consent(customer_admin, organisation):
    offer = make_offer("Sweden only", target=Target(countries=("SE",)))
    assert not offer.personal
    Address.objects.create(
        organisation=organisation, purpose="billing", is_default=True, street_address="Gatan 1", country="DE"
    )
    assert titles(customer_admin, organisation) == []
    Address.objects.filter(organisation=organisation).update(country="SE")
    assert titles(customer_admin, organisation) == ["Sweden only"]
    assert texts(offer, organisation) == ["Your billing address is in Sweden."]
    with translation.override("de"):
        assert "Schweden" in texts(offer, organisation)[0]  # the country in the reader's language


def test_it_matches_the_customer_type_without_consent(customer_admin, organisation):
    company = make_offer("Companies", target=Target(kinds=("company",)))
    make_offer("Private people", target=Target(kinds=("private",)))
    assert titles(customer_admin, organisation) == ["Companies"]
    assert texts(company, organisation) == ["You are a company customer."]


def _born(organisation: Organisation, birth_date: date) -> None:
    organisation.kind = "private"
    organisation.save()
    profile = CustomerProfile.objects.create(organisation=organisation)
    profile.birth_date_encrypted = encrypt_value(birth_date.isoformat(), aad=_birth_date_aad(profile))
    profile.save()


def test_it_matches_the_age_band_of_a_private_customer(carl, organisation, django_assert_max_num_queries):
    today = timezone.localdate()
    _born(organisation, today.replace(year=today.year - 35) - timedelta(days=1))
    thirties = make_offer("Thirties", target=Target(age_bands=("30-44",)))
    for n in range(5):
        make_offer(f"Young {n}", target=Target(age_bands=("18-29",)))
    # The birth date is read once for all the offers, not once per offer.
    with django_assert_max_num_queries(4):
        assert titles(carl, organisation) == ["Thirties"]
    assert texts(thirties, organisation) == ["Your age band is 30-44."]


def test_it_respects_the_account_managers_scope(
    carl, organisation, account_manager, outsider, other_organisation
):
    offer = make_offer("Mads's customers", manager=account_manager)
    consent(outsider)
    assert titles(carl, organisation) == ["Mads's customers"]
    assert titles(outsider, other_organisation) == []
    assert texts(offer, organisation) == [
        "This offer is for every customer.",
        "Your account manager Mads Manager made this offer for the customers they look after.",
    ]


def test_criteria_combine_with_and(carl, organisation, drawing):
    make_offer("Both", target=Target(declared_interests=(drawing.pk,), kinds=("private",)))
    CustomerInterest.objects.create(organisation=organisation, category=drawing, declared=True)
    assert titles(carl, organisation) == []


def test_it_shows_nothing_ended_draft_expired_or_in_the_future(carl, organisation):
    today = timezone.localdate()
    make_offer("Draft", status="draft")
    make_offer("Ended", status="ended")
    make_offer("Expired", starts_on=today - timedelta(days=10), ends_on=today - timedelta(days=1))
    make_offer("Next week", starts_on=today + timedelta(days=7), ends_on=today + timedelta(days=9))
    make_offer("Last day", starts_on=today - timedelta(days=10), ends_on=today)
    assert titles(carl, organisation) == ["Last day"]


def test_staff_get_no_offers_but_may_look_at_any(provider_admin, account_manager, organisation):
    draft = make_offer("Draft", status="draft")
    make_offer("For all")
    assert offers_for(provider_admin, organisation) == []
    assert offers_for(account_manager, organisation) == []
    assert get_offer_for_user(account_manager, draft.pk).access is None


def test_the_explanation_of_a_list_costs_the_same_few_queries(
    carl, organisation, drawing, django_assert_max_num_queries
):
    cad = make_category("CAD")
    make_order(organisation, (make_product("CAD-1", category=cad), 1))
    CustomerInterest.objects.create(organisation=organisation, category=drawing, declared=True)
    Address.objects.create(
        organisation=organisation, purpose="billing", is_default=True, street_address="Gatan 1", country="SE"
    )
    target = Target(
        declared_interests=(drawing.pk,), purchased_categories=(cad.pk,), orders_min=1, countries=("SE",)
    )
    offers = [make_offer(f"Offer {n}", target=target) for n in range(20)]
    with django_assert_max_num_queries(4) as queries:
        facts = explain_offers(offers, organisation)
    assert len(queries.captured_queries) == 4  # interests, categories bought, the summary, the address
    assert facts[offers[7].pk] == facts[offers[0].pk]
    assert [fact.criterion for fact in facts[offers[0].pk]] == [
        "declared_interests",
        "purchased_categories",
        "orders",
        "countries",
    ]
