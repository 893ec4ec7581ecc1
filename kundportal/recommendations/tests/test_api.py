"""GET /api/v1/organisations/{id}/recommendations (same rules as the pages) and the provider's recompute."""

from __future__ import annotations

import uuid

import pytest

from kundportal.recommendations import engine, progress
from kundportal.recommendations.models import Recommendation


@pytest.fixture
def computed(shop):
    engine.recompute_all()
    return shop


def url(organisation_id: object) -> str:
    return f"/api/v1/organisations/{organisation_id}/recommendations"


def test_a_viewer_reads_the_bestsellers_without_consent(api_client, customer_viewer, organisation, computed):
    response = api_client(customer_viewer).get(url(organisation.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["personalised"] is False
    assert [item["sku"] for item in body["items"]] == ["COF-1", "BRD-A3", "PAP-A3", "PEN-10"]
    assert body["items"][0] | {"product_id": None} == {
        "product_id": None,
        "sku": "COF-1",
        "name": "Coffee",
        "price": "79.00",
        "currency": "SEK",
        "reason": "bestseller",
        "reason_text": "Bestseller",
        "source_product_id": None,
        "interest_id": None,
    }


def test_with_consent_the_list_is_personalised_until_it_is_withdrawn(
    api_client, customer_viewer, organisation, computed, consent
):
    client = api_client(customer_viewer)
    consent(customer_viewer)

    body = client.get(url(organisation.pk), {"limit": 2}).json()

    assert body["personalised"] is True
    assert [(item["sku"], item["reason"]) for item in body["items"]] == [
        ("PEN-10", "bought_with"),
        ("PAP-A3", "bought_with"),
    ]
    assert body["items"][0]["source_product_id"] == str(computed.licence.pk)
    assert body["items"][0]["reason_text"] == "Often bought with CAD licence you bought"

    consent(customer_viewer, granted=False)
    body = client.get(url(organisation.pk)).json()
    assert body["personalised"] is False
    assert {item["reason"] for item in body["items"]} == {"bestseller"}


def test_an_outsider_and_an_unknown_organisation_get_404(api_client, outsider, organisation, computed):
    client = api_client(outsider)
    assert client.get(url(organisation.pk)).status_code == 404
    assert client.get(url(uuid.uuid4())).status_code == 404


def test_the_limit_is_checked(api_client, customer_admin, organisation, computed):
    client = api_client(customer_admin)
    assert client.get(url(organisation.pk), {"limit": 0}).status_code == 422
    assert client.get(url(organisation.pk), {"limit": 11}).status_code == 422
    assert len(client.get(url(organisation.pk), {"limit": 1}).json()["items"]) == 1


def test_staff_see_the_bestsellers_of_a_customer_they_look_after(
    api_client, account_manager, organisation, computed
):
    body = api_client(account_manager).get(url(organisation.pk)).json()
    assert body["personalised"] is False and body["items"]


def test_a_provider_admin_recomputes_everything(api_client, provider_admin, shop):
    client = api_client(provider_admin)

    response = client.post("/api/v1/recommendations/recompute")

    # In the tests the task runs at once; with the worker, "running" is true until it is done.
    assert response.status_code == 202
    assert response.json() | {"phase": ""} == {
        "running": False,
        "queued": True,
        "phase": "",
        "done": 0,
        "total": 0,
    }
    assert Recommendation.objects.values("organisation").distinct().count() == 9
    assert client.get("/api/v1/recommendations/recompute").json()["running"] is False


def test_a_second_recompute_is_not_queued_while_one_runs(api_client, provider_admin, shop):
    progress.mark_queued()

    body = api_client(provider_admin).post("/api/v1/recommendations/recompute").json()

    assert body["queued"] is False and body["running"] is True
    assert not Recommendation.objects.exists()


def test_only_provider_admins_may_recompute(api_client, account_manager, customer_admin, shop):
    for user in (account_manager, customer_admin):
        client = api_client(user)
        assert client.post("/api/v1/recommendations/recompute").status_code == 404
        assert client.get("/api/v1/recommendations/recompute").status_code == 404
    assert not Recommendation.objects.exists()
