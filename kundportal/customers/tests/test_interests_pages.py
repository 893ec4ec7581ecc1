"""The customer's interests page: choose, see what was inferred and why, turn inferred ones off and on."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
from kundportal.customers.interests import recompute_organisation_interests
from kundportal.customers.models import CustomerInterest

pytestmark = pytest.mark.django_db


@pytest.fixture
def interests(organisation):
    drawing = make_interest("drawing", "Drawing software", sv="Ritprogram", de="Zeichensoftware")
    training = make_interest("training", "Training", sv="Utbildning", de="Schulung")
    cad = make_product("CAD-1", "CAD Pro", category=make_category("Software", drawing))
    make_order(organisation, (cad, 3))
    recompute_organisation_interests(organisation)
    return {"drawing": drawing, "training": training}


def url(organisation) -> str:
    return reverse("customer_interests", args=[organisation.pk])


def state(organisation) -> dict[str, tuple[bool, int, bool]]:
    rows = CustomerInterest.objects.filter(organisation=organisation).select_related("category")
    return {row.category.slug: (row.declared, row.inferred_items, row.suppressed) for row in rows}


def test_the_navigation_leads_a_customer_to_their_interests(login, customer_member, organisation, interests):
    client = login(customer_member)
    response = client.get(reverse("interests_home"))
    assert response.status_code == 302 and response.url == url(organisation)
    page = client.get(url(organisation)).content.decode()
    assert 'href="/interests/" aria-current="page"' in page
    assert "You bought 3 items in Drawing software." in page
    assert 'name="declared"' in page


def test_the_page_speaks_the_customers_language(login, customer_member, organisation, interests):
    client = login(customer_member)
    client.cookies["kp_language"] = "de"
    page = client.get(url(organisation)).content.decode()
    assert "Zeichensoftware" in page and "Schulung" in page


def test_a_member_chooses_interests(login, customer_member, organisation, interests):
    client = login(customer_member)
    response = client.post(url(organisation), {"declared": [str(interests["training"].pk)]}, follow=True)
    assert "Your interests were saved." in response.content.decode()
    assert state(organisation) == {"drawing": (False, 3, False), "training": (True, 0, False)}


def test_a_member_turns_an_inferred_interest_off_and_on(login, customer_member, organisation, interests):
    client = login(customer_member)
    drawing = str(interests["drawing"].pk)
    client.post(url(organisation), {"action": "turn_off", "category": drawing})
    assert state(organisation)["drawing"] == (False, 3, True)
    page = client.get(url(organisation)).content.decode()
    assert "turned off" in page and 'value="turn_on"' in page
    client.post(url(organisation), {"action": "turn_on", "category": drawing})
    assert state(organisation)["drawing"] == (False, 3, False)


@pytest.mark.parametrize(
    "data",
    [
        {"declared": [str(uuid.uuid4())]},
        {"declared": ["nonsense"]},
        {"declared": ["\x00"]},
        {"action": "turn_off", "category": str(uuid.uuid4())},
        {"action": "turn_off", "category": "\x00"},
        {"action": "turn_on", "category": ""},
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    login, customer_admin, organisation, interests, data
):
    before = state(organisation)
    response = login(customer_admin).post(url(organisation), data, follow=True)
    assert response.status_code == 200
    assert "Choose from the interest categories on the list." in response.content.decode()
    assert state(organisation) == before


def test_turning_off_what_was_not_inferred_is_refused(login, customer_admin, organisation, interests):
    data = {"action": "turn_off", "category": str(interests["training"].pk)}
    response = login(customer_admin).post(url(organisation), data, follow=True)
    assert "Only interests inferred from purchases can be turned off." in response.content.decode()
    assert "training" not in state(organisation)


def test_a_viewer_reads_but_may_not_change(login, customer_viewer, organisation, interests):
    client = login(customer_viewer)
    page = client.get(url(organisation)).content.decode()
    assert "Only its admins and members can change them." in page
    assert 'name="declared"' not in page and "turn_off" not in page
    before = state(organisation)
    assert client.post(url(organisation), {"declared": [str(interests["training"].pk)]}).status_code == 403
    turn_off = {"action": "turn_off", "category": str(interests["drawing"].pk)}
    assert client.post(url(organisation), turn_off).status_code == 403
    assert state(organisation) == before


def test_an_outsider_gets_404(login, outsider, organisation, interests):
    client = login(outsider)
    assert client.get(url(organisation)).status_code == 404
    assert client.post(url(organisation), {"declared": [str(interests["training"].pk)]}).status_code == 404
    assert "training" not in state(organisation)


def test_an_account_manager_of_another_organisation_gets_404(
    login, account_manager, other_organisation, interests
):
    assert login(account_manager).get(url(other_organisation)).status_code == 404


def test_staff_see_the_page_with_the_customer_named(login, account_manager, organisation, interests):
    page = login(account_manager).get(url(organisation)).content.decode()
    assert "You are working in the customer Acme AB" in page
    assert "Bought 3 items in Drawing software." in page


def test_the_page_costs_the_same_queries_with_many_categories(
    login, customer_member, organisation, interests, django_assert_max_num_queries
):
    client = login(customer_member)
    client.get(url(organisation))
    for n in range(30):
        make_interest(f"topic-{n}")
    with django_assert_max_num_queries(8):
        assert client.get(url(organisation)).status_code == 200


def test_empty_states(login, customer_member, organisation):
    page = login(customer_member).get(url(organisation)).content.decode()
    assert "There are no interest categories to choose from yet." in page
    assert "Nothing inferred yet." in page
