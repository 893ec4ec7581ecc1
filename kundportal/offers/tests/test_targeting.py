"""Targets: what clean_target accepts and refuses, which customers matching_customers finds for every
criterion (the set the preview and the reach count), and the target in words."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from kundportal.commerce.models import OrderStatus, PurchaseSummary
from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
from kundportal.core.crypto.fields import encrypt_value
from kundportal.customers.models import Address, CustomerInterest, CustomerProfile
from kundportal.customers.services import _birth_date_aad
from kundportal.offers import targeting
from kundportal.offers.targeting import Target, clean_target, describe, matching_customers, names_for
from kundportal.organisations.models import Organisation, StaffAssignment

pytestmark = pytest.mark.django_db


def names(target: Target, manager_id=None) -> set[str]:
    return set(matching_customers(target, manager_id=manager_id).values_list("name", flat=True))


def born(organisation, birth_date: date) -> None:
    profile, _created = CustomerProfile.objects.get_or_create(organisation=organisation)
    profile.birth_date_encrypted = encrypt_value(birth_date.isoformat(), aad=_birth_date_aad(profile))
    profile.save()


@pytest.fixture
def acme(organisation):
    return organisation


@pytest.fixture
def other(other_organisation):
    return other_organisation


# --- clean_target -----------------------------------------------------------------------------------------


def test_an_empty_target_is_every_customer_and_not_personal():
    target = clean_target({})
    assert target.everyone and not target.personal and target.as_json() == {}


def test_it_normalises_and_deduplicates():
    target = clean_target({"countries": ["se", "SE ", "de"], "kinds": ["company"], "orders_min": "2"})
    assert target.as_json() == {"countries": ["SE", "DE"], "kinds": ["company"], "orders_min": 2}
    assert target.personal  # the number of orders is
    assert not clean_target({"countries": ["SE"], "kinds": ["private"]}).personal  # country and type are not
    assert clean_target({"orders_min": 0}).personal


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"declared_interests": ["nope"]}, "declared_interests"),
        ({"inferred_interests": ["6f1c3b52-0f3e-4c55-9a2b-1d2e3f4a5b6c"]}, "inferred_interests"),
        ({"purchased_categories": ["6f1c3b52-0f3e-4c55-9a2b-1d2e3f4a5b6c"]}, "purchased_categories"),
        ({"segments": ["vip"]}, "segments"),
        ({"countries": ["Sweden"]}, "countries"),
        ({"kinds": ["government"]}, "kinds"),
        ({"age_bands": ["0-17"]}, "age_bands"),
        ({"orders_min": "many"}, "orders_min"),
        ({"orders_max": -1}, "orders_max"),
        ({"days_since_purchase_max": 100_001}, "days_since_purchase_max"),
        ({"days_since_purchase_min": 90, "days_since_purchase_max": 30}, "days_since_purchase_max"),
    ],
)
def test_it_refuses_what_does_not_exist_or_cannot_be(data, field):
    with pytest.raises(ValidationError) as caught:
        clean_target(data)
    assert list(caught.value.message_dict) == [field]


def test_a_stored_target_reads_back_the_same():
    interest = make_interest("cad")
    target = clean_target({"declared_interests": [str(interest.pk)], "orders_max": 3, "age_bands": ["60+"]})
    assert Target.from_json(target.as_json()) == target


# --- matching_customers, criterion by criterion ------------------------------------------------------------


def test_country_and_type_come_from_the_default_billing_address_and_the_organisation(acme, other):
    Address.objects.create(
        organisation=acme, purpose="billing", is_default=True, street_address="A", country="SE"
    )
    Address.objects.create(
        organisation=other, purpose="billing", is_default=False, street_address="B", country="SE"
    )
    Address.objects.create(
        organisation=other, purpose="shipping", is_default=True, street_address="C", country="SE"
    )
    assert names(Target(countries=("SE",))) == {"Acme AB"}
    other.kind = "private"
    other.save()
    assert names(Target(kinds=("private",))) == {"Other GmbH"}
    assert names(Target(kinds=("company", "private"))) == {"Acme AB", "Other GmbH"}


def test_declared_and_inferred_interests(acme, other):
    cad, print_ = make_interest("cad"), make_interest("print")
    CustomerInterest.objects.create(organisation=acme, category=cad, declared=True)
    CustomerInterest.objects.create(organisation=other, category=cad, inferred_items=3)
    CustomerInterest.objects.create(organisation=other, category=print_, inferred_items=2, suppressed=True)
    assert names(Target(declared_interests=(cad.pk,))) == {"Acme AB"}
    assert names(Target(inferred_interests=(cad.pk,))) == {"Other GmbH"}
    assert names(Target(inferred_interests=(print_.pk,))) == set()  # the customer turned it off
    assert names(Target(declared_interests=(cad.pk, print_.pk))) == {"Acme AB"}


@pytest.mark.parametrize("catalogue", [0, 40], ids=["as a set of buyers", "customer by customer"])
def test_purchased_categories_leave_out_cancelled_orders(acme, other, catalogue):
    """Both ways of asking (targeting.SET_SHARE): a small share of the catalogue, and a large one."""
    plotters = make_category("Plotters")
    paper = make_category("Paper")
    for n in range(catalogue):  # other products make the chosen category a small share of the catalogue
        make_product(f"FILL-{n}")
    plotter = make_product("PLOT-1", category=plotters)
    make_order(acme, (plotter, 1))
    make_order(other, (plotter, 1), status=OrderStatus.CANCELLED)
    make_order(other, (make_product("PAP-1", category=paper), 3))
    assert names(Target(purchased_categories=(plotters.pk,))) == {"Acme AB"}
    assert names(Target(purchased_categories=(plotters.pk, paper.pk))) == {"Acme AB", "Other GmbH"}


def test_segments_days_since_the_last_purchase_and_order_counts(acme, other):
    product = make_product("P-1")
    for days in (400, 200, 20):
        make_order(acme, (product, 1), placed_at=timezone.now() - timedelta(days=days))
    make_order(other, (product, 1), placed_at=timezone.now() - timedelta(days=100))
    newcomer = Organisation.objects.create(name="Newcomer AB")  # never bought: no summary row at all
    PurchaseSummary.objects.filter(organisation=acme).update(segment="champions")
    PurchaseSummary.objects.filter(organisation=other).update(segment="at_risk")
    assert names(Target(segments=("champions", "loyal"))) == {"Acme AB"}
    assert names(Target(days_since_purchase_min=60)) == {"Other GmbH"}
    assert names(Target(days_since_purchase_max=30)) == {"Acme AB"}
    assert names(Target(days_since_purchase_min=50, days_since_purchase_max=150)) == {"Other GmbH"}
    assert names(Target(orders_min=2)) == {"Acme AB"}
    assert names(Target(orders_max=1)) == {"Other GmbH", newcomer.name}  # none is at most one
    assert names(Target(orders_min=1, orders_max=1)) == {"Other GmbH"}
    assert names(Target(orders_max=0)) == {newcomer.name}


def test_age_bands_read_the_encrypted_birth_dates_of_private_customers(acme, other):
    today = timezone.localdate()
    for organisation in (acme, other):
        organisation.kind = "private"
        organisation.save()
    born(acme, today.replace(year=today.year - 35) - timedelta(days=1))
    born(other, today.replace(year=today.year - 70))
    Organisation.objects.create(name="No birth date", kind="private")
    assert names(Target(age_bands=("30-44",))) == {"Acme AB"}
    assert names(Target(age_bands=("30-44", "60+"))) == {"Acme AB", "Other GmbH"}
    assert names(Target(age_bands=("18-29",))) == set()


def test_criteria_combine_with_and_and_a_managers_scope_narrows_them(acme, other, account_manager):
    Address.objects.create(
        organisation=acme, purpose="billing", is_default=True, street_address="A", country="SE"
    )
    Address.objects.create(
        organisation=other, purpose="billing", is_default=True, street_address="B", country="SE"
    )
    other.kind = "private"
    other.save()
    assert names(Target(countries=("SE",), kinds=("company",))) == {"Acme AB"}
    assert names(Target(countries=("SE",)), manager_id=account_manager.pk) == {"Acme AB"}
    StaffAssignment.objects.create(organisation=other, user=account_manager)
    assert names(Target(countries=("SE",)), manager_id=account_manager.pk) == {"Acme AB", "Other GmbH"}


# --- In words ---------------------------------------------------------------------------------------------


def test_a_target_in_words():
    cad = make_interest("cad", "Drawing software", sv="Ritprogram")
    plotters = make_category("Plotters")
    target = clean_target(
        {
            "declared_interests": [str(cad.pk)],
            "purchased_categories": [str(plotters.pk)],
            "segments": ["champions", "loyal"],
            "days_since_purchase_min": 30,
            "orders_min": 1,
            "countries": ["SE", "NO"],
            "kinds": ["company"],
            "age_bands": ["60+"],
        }
    )
    words = describe(target, names_for([target], language="en"))
    assert words == [
        "Declared interest in Drawing software",
        "Bought from Plotters",
        "Segment: Champions or Loyal",
        "Last purchase at least 30 days ago",
        "At least 1 order",
        "Customers in Sweden or Norway",
        "Customer type: Company",
        "Age 60 and over",
    ]
    assert describe(Target(), names_for([], language="en")) == ["Every customer"]
    assert describe(Target(orders_min=2, orders_max=5), targeting.TargetNames({}, {})) == ["2 to 5 orders"]
    with translation.override("sv"):
        swedish = describe(target, names_for([target], language="sv"))
    assert "Ritprogram" in swedish[0]


def test_names_for_a_page_of_targets_take_two_queries(django_assert_num_queries):
    cad, print_ = make_interest("cad"), make_interest("print")
    plotters = make_category("Plotters")
    targets = [
        Target(declared_interests=(cad.pk,)),
        Target(inferred_interests=(print_.pk,), purchased_categories=(plotters.pk,)),
    ]
    with django_assert_num_queries(2):
        found = names_for(targets * 10, language="en")
    assert set(found.interests) == {cad.pk, print_.pk} and set(found.categories) == {plotters.pk}
