"""GET/PUT /api/v1/organisations/{id}/interests: the same rules as the page."""

from __future__ import annotations

import uuid

import pytest

from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
from kundportal.customers.interests import recompute_organisation_interests
from kundportal.customers.models import CustomerInterest

pytestmark = pytest.mark.django_db


@pytest.fixture
def interests(organisation):
    drawing = make_interest("drawing", "Drawing software", sv="Ritprogram")
    training = make_interest("training", "Training")
    cad = make_product("CAD-1", "CAD Pro", category=make_category("Software", drawing))
    make_order(organisation, (cad, 3))
    recompute_organisation_interests(organisation)
    return {"drawing": drawing, "training": training}


def path(organisation) -> str:
    return f"/api/v1/organisations/{organisation.pk}/interests"


def state(organisation) -> dict[str, tuple[bool, int, bool]]:
    rows = CustomerInterest.objects.filter(organisation=organisation).select_related("category")
    return {row.category.slug: (row.declared, row.inferred_items, row.suppressed) for row in rows}


def put(client, organisation, payload):
    return client.put(path(organisation), payload, content_type="application/json")


def test_a_customer_reads_their_interests_with_the_reasons(
    api_client, customer_viewer, organisation, interests
):
    body = api_client(customer_viewer).get(path(organisation), HTTP_ACCEPT_LANGUAGE="sv").json()
    by_slug = {item["slug"]: item for item in body}
    assert by_slug["drawing"]["inferred_items"] == 3
    assert by_slug["drawing"]["active"] is True
    assert by_slug["drawing"]["name"] == "Ritprogram"
    assert "Ritprogram" in by_slug["drawing"]["reason"]
    assert by_slug["training"]["reason"] == ""


def test_a_member_sets_declared_and_suppressed(api_client, customer_member, organisation, interests):
    response = put(
        api_client(customer_member),
        organisation,
        {"declared": [str(interests["training"].pk)], "suppressed": [str(interests["drawing"].pk)]},
    )
    assert response.status_code == 200
    assert {item["slug"]: item["active"] for item in response.json()} == {"drawing": False, "training": True}
    assert state(organisation) == {"drawing": (False, 3, True), "training": (True, 0, False)}
    # Leaving a part out leaves it as it is.
    put(api_client(customer_member), organisation, {"suppressed": []})
    assert state(organisation) == {"drawing": (False, 3, False), "training": (True, 0, False)}


def test_staff_may_set_them_for_the_customer(api_client, account_manager, organisation, interests):
    response = put(api_client(account_manager), organisation, {"declared": [str(interests["training"].pk)]})
    assert response.status_code == 200
    assert state(organisation)["training"] == (True, 0, False)


def test_a_viewer_gets_403_and_changes_nothing(api_client, customer_viewer, organisation, interests):
    before = state(organisation)
    response = put(api_client(customer_viewer), organisation, {"declared": [str(interests["training"].pk)]})
    assert response.status_code == 403
    assert state(organisation) == before


@pytest.mark.parametrize("who", ["outsider", "account_manager_elsewhere"])
def test_others_get_404(request, api_client, other_organisation, organisation, interests, who):
    if who == "outsider":
        user = request.getfixturevalue("outsider")
    else:
        user = request.getfixturevalue("account_manager")
    client = api_client(user)
    target = organisation if who == "outsider" else other_organisation
    before = state(target)
    assert client.get(path(target)).status_code == 404
    assert put(client, target, {"declared": [str(interests["training"].pk)]}).status_code == 404
    assert state(target) == before


@pytest.mark.parametrize(
    "payload",
    [
        {"declared": [str(uuid.uuid4())]},
        {"declared": ["not-a-uuid"]},
        {"declared": ["\x00"]},
        {"suppressed": [str(uuid.uuid4())]},
        {"suppressed": ["training"]},
        {"declared": "drawing"},
    ],
)
def test_bad_input_is_a_422_and_changes_nothing(api_client, customer_admin, organisation, interests, payload):
    before = state(organisation)
    response = put(api_client(customer_admin), organisation, payload)
    assert response.status_code == 422
    assert state(organisation) == before


def test_turning_off_what_was_not_inferred_is_a_422(api_client, customer_admin, organisation, interests):
    response = put(api_client(customer_admin), organisation, {"suppressed": [str(interests["training"].pk)]})
    assert response.status_code == 422
    assert "Only interests inferred from purchases can be turned off." in str(response.json())
    assert "training" not in state(organisation)


def test_an_inactive_categorys_id_is_invalid(api_client, customer_admin, organisation, interests):
    interests["training"].active = False
    interests["training"].save()
    response = put(api_client(customer_admin), organisation, {"declared": [str(interests["training"].pk)]})
    assert response.status_code == 422
