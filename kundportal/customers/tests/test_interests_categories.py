"""Provider admins manage the interest categories (pages and API); nobody else may."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.tests.factories import make_interest
from kundportal.customers.models import InterestCategory

pytestmark = pytest.mark.django_db


def names() -> list[tuple[str, str, str, str, bool]]:
    return list(InterestCategory.objects.values_list("slug", "name_en", "name_sv", "name_de", "active"))


def test_the_settings_page_links_to_the_categories(login, provider_admin):
    page = login(provider_admin).get(reverse("staff_list")).content.decode()
    assert reverse("interest_categories") in page


def test_an_admin_creates_edits_and_deactivates_a_category(login, provider_admin):
    client = login(provider_admin)
    assert "No interest categories yet." in client.get(reverse("interest_categories")).content.decode()
    data = {
        "name_en": "Drawing software",
        "name_sv": "Ritprogram",
        "name_de": "Zeichensoftware",
        "active": "on",
    }
    response = client.post(reverse("interest_category_create"), data, follow=True)
    assert "The interest category “Drawing software” was created." in response.content.decode()
    category = InterestCategory.objects.get()
    assert names() == [("drawing-software", "Drawing software", "Ritprogram", "Zeichensoftware", True)]

    edit = reverse("interest_category_edit", args=[category.pk])
    assert "Ritprogram" in client.get(edit).content.decode()
    client.post(edit, {**data, "name_en": "CAD software", "slug": "cad", "active": "on"})
    assert names() == [("cad", "CAD software", "Ritprogram", "Zeichensoftware", True)]

    client.post(reverse("interest_category_active", args=[category.pk]), {"active": "0"})
    assert names()[0][4] is False
    page = client.get(reverse("interest_categories")).content.decode()
    assert "inactive" in page and "Activate" in page
    client.post(reverse("interest_category_active", args=[category.pk]), {"active": "1"})
    assert names()[0][4] is True
    events = AuditEvent.objects.filter(action=Action.PORTAL_SETTINGS, target_id=str(category.pk))
    assert events.count() == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name_en": ""}, "This field is required."),
        ({"name_en": "<script>alert(1)</script>"}, "A name cannot contain &lt; or &gt;."),
        ({"name_en": "Card 4111 1111 1111 1111"}, "This looks like a payment card number."),
        ({"name_en": "Training", "slug": "taken"}, "Another interest category has the key “taken”."),
        ({"name_en": "Training", "name_sv": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"name_en": "Null\x00byte"}, "Null characters are not allowed."),
        ({"name_en": "!!!"}, "Give the category a key made of letters, digits and hyphens."),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(login, provider_admin, data, message):
    make_interest("taken")
    before = names()
    response = login(provider_admin).post(reverse("interest_category_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert names() == before


@pytest.mark.parametrize("who", ["account_manager", "customer_admin", "outsider"])
def test_only_provider_admins_reach_the_pages(request, login, who):
    category = make_interest("drawing")
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("interest_categories")).status_code == 404
    assert client.post(reverse("interest_category_create"), {"name_en": "X"}).status_code == 404
    edit = reverse("interest_category_edit", args=[category.pk])
    assert client.post(edit, {"name_en": "Changed"}).status_code == 404
    assert (
        client.post(reverse("interest_category_active", args=[category.pk]), {"active": "0"}).status_code
        == 404
    )
    assert names() == [("drawing", "Drawing", "", "", True)]


def test_the_list_counts_customers_with_the_interest_in_constant_queries(
    login, provider_admin, organisation, django_assert_max_num_queries
):
    from kundportal.customers.models import CustomerInterest

    client = login(provider_admin)
    client.get(reverse("interest_categories"))
    for n in range(20):
        category = make_interest(f"topic-{n}")
        CustomerInterest.objects.create(organisation=organisation, category=category, declared=n % 2 == 0)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("interest_categories")).content.decode()
    assert page.count('<td data-label="Customers interested">1</td>') == 10


# --- API ----------------------------------------------------------------------------------------------------


def test_the_api_lists_creates_and_changes_categories(api_client, provider_admin):
    api = api_client(provider_admin)
    created = api.post(
        "/api/v1/interest-categories",
        {"name_en": "Training", "name_de": "Schulung"},
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["slug"], body["name_de"], body["active"]) == ("training", "Schulung", True)
    changed = api.patch(
        f"/api/v1/interest-categories/{body['id']}", {"active": False}, content_type="application/json"
    )
    assert changed.status_code == 200 and changed.json()["active"] is False
    listed = api.get("/api/v1/interest-categories").json()
    assert [(c["slug"], c["active"]) for c in listed["items"]] == [("training", False)]


def test_customers_list_only_active_categories_and_change_none(api_client, customer_admin):
    active, hidden = make_interest("drawing"), make_interest("old")
    hidden.active = False
    hidden.save()
    api = api_client(customer_admin)
    assert [c["slug"] for c in api.get("/api/v1/interest-categories").json()["items"]] == ["drawing"]
    assert (
        api.post("/api/v1/interest-categories", {"name_en": "X"}, content_type="application/json").status_code
        == 403
    )
    patch = {"name_en": "Changed"}
    assert (
        api.patch(
            f"/api/v1/interest-categories/{active.pk}", patch, content_type="application/json"
        ).status_code
        == 403
    )
    # What they cannot see, they are not told exists.
    for pk in (hidden.pk, uuid.uuid4()):
        assert (
            api.patch(f"/api/v1/interest-categories/{pk}", patch, content_type="application/json").status_code
            == 404
        )
    assert names() == [("drawing", "Drawing", "", "", True), ("old", "Old", "", "", False)]


def test_an_account_manager_reads_but_may_not_change_categories(api_client, account_manager):
    category = make_interest("drawing")
    api = api_client(account_manager)
    assert api.get("/api/v1/interest-categories").json()["count"] == 1
    response = api.patch(
        f"/api/v1/interest-categories/{category.pk}", {"active": False}, content_type="application/json"
    )
    assert response.status_code == 403
    assert names()[0][4] is True


@pytest.mark.parametrize(
    "payload",
    [
        {"name_en": ""},
        {"name_en": "Nul\x00"},
        {"name_en": "<b>bold</b>"},
        {"name_en": "Training", "slug": "taken"},
        {"name_en": "x" * 101},
    ],
)
def test_the_api_refuses_bad_input_with_422(api_client, provider_admin, payload):
    make_interest("taken")
    before = names()
    response = api_client(provider_admin).post(
        "/api/v1/interest-categories", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert names() == before
