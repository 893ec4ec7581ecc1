from __future__ import annotations

import pytest
from django.utils import translation

from kundportal.commerce.tests.factories import make_order
from kundportal.customers.interests import recompute_interests
from kundportal.customers.models import CustomerInterest, CustomerProfile, InterestCategory
from kundportal.organisations.models import Membership, Organisation
from kundportal.recommendations import engine
from kundportal.recommendations.models import ReasonKind, Recommendation
from kundportal.recommendations.services import history_recommendations, recommendations_for


@pytest.fixture
def computed(shop):
    engine.recompute_all()
    return shop


def skus(shown) -> list[str]:
    return [item.product.sku for item in shown]


def test_without_consent_a_customer_sees_the_bestsellers_without_one_offs_they_have(
    computed, organisation, customer_admin
):
    shown = recommendations_for(customer_admin, organisation, limit=10)

    assert not shown.personalised
    # The licence is a bestseller too, but Acme has one.
    assert skus(shown) == ["COF-1", "BRD-A3", "PAP-A3", "PEN-10"]
    assert {item.reason for item in shown} == {"Bestseller"}


def test_with_consent_a_customer_sees_their_personalised_list_with_reasons(
    computed, organisation, customer_admin, consent
):
    consent(customer_admin)

    shown = recommendations_for(customer_admin, organisation)

    assert shown.personalised
    assert [(item.product.sku, item.reason) for item in shown] == [
        ("PEN-10", "Often bought with CAD licence you bought"),
        ("PAP-A3", "Often bought with Drawing board A3 you bought"),
        ("BRD-A3", "Often bought with CAD licence you bought"),
        ("COF-1", "Bestseller"),
    ]


def test_after_withdrawing_consent_the_next_call_shows_only_bestsellers(
    computed, organisation, customer_admin, consent
):
    consent(customer_admin)
    assert recommendations_for(customer_admin, organisation).personalised

    consent(customer_admin, granted=False)
    shown = recommendations_for(customer_admin, organisation)

    # The personalised rows are still there (a recompute may even be writing them): they are not shown.
    assert Recommendation.objects.filter(organisation=organisation, reason=ReasonKind.BOUGHT_WITH).exists()
    assert not shown.personalised
    assert {item.kind for item in shown} == {ReasonKind.BESTSELLER}
    assert skus(shown) == ["COF-1", "BRD-A3", "PAP-A3", "PEN-10"]


def test_consent_is_per_person(computed, organisation, customer_admin, customer_member, consent):
    consent(customer_admin)
    assert not recommendations_for(customer_member, organisation).personalised


def test_a_one_off_bought_after_the_list_was_computed_is_not_shown(
    computed, organisation, customer_admin, consent
):
    consent(customer_admin)
    newcomer = computed.customers[7]
    assert "LIC-CAD" in skus(recommendations_for(customer_admin, newcomer, limit=10))

    make_order(newcomer, (computed.licence, 1))  # the list is not recomputed yet

    assert "LIC-CAD" not in skus(recommendations_for(customer_admin, newcomer, limit=10))


def test_a_product_deactivated_since_is_not_shown(computed, organisation, customer_admin, consent):
    consent(customer_admin)
    computed.pens.active = False
    computed.pens.save()

    assert "PEN-10" not in skus(recommendations_for(customer_admin, organisation, limit=10))
    assert "PEN-10" not in skus(recommendations_for(customer_admin, computed.customers[7], limit=10))


def test_a_member_who_sees_only_their_own_orders_is_not_told_what_colleagues_bought(
    computed, organisation, customer_member, consent
):
    CustomerProfile.objects.create(organisation=organisation, members_see_all_orders=False)
    consent(customer_member)

    shown = recommendations_for(customer_member, organisation)

    assert shown.items[0].reason == "Often bought with products you bought"
    assert shown.items[0].source_product is None


def test_reasons_name_the_interest_in_the_reader_s_language(shop, organisation, customer_admin, consent):
    recompute_interests()
    CustomerInterest.objects.filter(organisation=organisation).update(declared=True)
    Recommendation.objects.all().delete()
    newcomer = Organisation.objects.create(name="Newcomer AB")
    Membership.objects.create(organisation=newcomer, user=customer_admin, role="admin")
    CustomerInterest.objects.create(
        organisation=newcomer, category=InterestCategory.objects.get(slug="drawing-software"), declared=True
    )
    engine.recompute_all()
    consent(customer_admin)

    with translation.override("sv"):
        first = recommendations_for(customer_admin, newcomer).items[0]

    assert first.kind == ReasonKind.POPULAR_IN_INTEREST
    assert first.reason.endswith("Ritprogram")
    assert first.interest.slug == "drawing-software"


def test_the_list_takes_a_constant_number_of_queries(
    computed, organisation, customer_admin, customer_viewer, consent, django_assert_num_queries
):
    consent(customer_admin)
    # The consent, the list, and which of the source products are on orders the reader sees.
    with django_assert_num_queries(3):
        assert len(recommendations_for(customer_admin, organisation, limit=1)) == 1
    with django_assert_num_queries(3):
        assert len(recommendations_for(customer_admin, organisation, limit=10)) == 4
    # Without consent: the consent and the bestsellers.
    with django_assert_num_queries(2):
        assert len(recommendations_for(customer_viewer, organisation, limit=10)) == 4


def test_the_purchase_history_shows_a_customer_s_only_organisation_and_nothing_to_staff(
    computed, organisation, customer_admin, account_manager, outsider
):
    assert skus(history_recommendations(customer_admin, None)) == ["COF-1", "BRD-A3", "PAP-A3", "PEN-10"]
    assert history_recommendations(account_manager, organisation) is None
    assert history_recommendations(account_manager, None) is None
