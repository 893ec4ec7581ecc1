"""The customers' offers API: the same rules as the pages (consent, dismissal, acceptance, who may do what)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kundportal.commerce.tests.factories import make_interest
from kundportal.customers.models import CustomerInterest
from kundportal.messaging.delivery import send_due
from kundportal.offers.models import OfferResponse
from kundportal.offers.targeting import Target
from kundportal.offers.tests.customer_offers import make_offer

pytestmark = pytest.mark.django_db


def listed(client: Any, organisation: Any) -> list[str]:
    response = client.get(f"/api/v1/organisations/{organisation.pk}/offers")
    assert response.status_code == 200, response.content
    return [offer["title"] for offer in response.json()]


def put_consent(client: Any, granted: bool) -> Any:
    return client.put(
        "/api/v1/me/consents/personalised_offers", {"granted": granted}, content_type="application/json"
    )


@pytest.fixture
def targeted(organisation: Any) -> Any:
    drawing = make_interest("drawing", "Drawing software")
    CustomerInterest.objects.create(organisation=organisation, category=drawing, declared=True)
    return make_offer("Tablet for artists", target=Target(declared_interests=(drawing.pk,)))


def test_the_list_follows_consent_at_once(api_client, customer_member, organisation, targeted):
    make_offer("Free delivery", discount_percent=20)
    client = api_client(customer_member)
    assert listed(client, organisation) == ["Free delivery"]
    assert put_consent(client, True).json()["granted"] is True
    assert sorted(listed(client, organisation)) == ["Free delivery", "Tablet for artists"]
    assert put_consent(client, False).json()["granted"] is False
    assert listed(client, organisation) == ["Free delivery"]
    assert client.get(f"/api/v1/offers/{targeted.pk}").status_code == 404


def test_an_offer_comes_with_why_and_its_price(api_client, customer_member, targeted):
    client = api_client(customer_member)
    put_consent(client, True)
    body = client.get(f"/api/v1/offers/{targeted.pk}").json()
    assert body["why"] == [
        {"criterion": "declared_interests", "text": "You chose the interest Drawing software."}
    ]
    assert body["personal"] is True and body["image_url"] is None
    discounted = make_offer("Free delivery", discount_percent=20)
    assert client.get(f"/api/v1/offers/{discounted.pk}").json()["price_text"] == "20% off"


def test_accepting_twice_repeats_nothing(
    api_client, customer_member, account_manager, mailoutbox, django_capture_on_commit_callbacks
):
    offer = make_offer("Free delivery")
    client = api_client(customer_member)
    url = f"/api/v1/offers/{offer.pk}/accept"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"message": "Call me"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["new"] is True
    assert first.json()["message"] == "Call me"
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, {}, content_type="application/json")
    assert second.json()["new"] is False and second.json()["accepted_at"] == first.json()["accepted_at"]
    send_due(now=timezone.now() + timedelta(hours=1))
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [account_manager.email]


def test_a_viewer_may_not_accept_but_may_dismiss(api_client, customer_viewer, organisation):
    offer = make_offer("Free delivery")
    client = api_client(customer_viewer)
    assert (
        client.post(f"/api/v1/offers/{offer.pk}/accept", {}, content_type="application/json").status_code
        == 403
    )
    dismissed = client.post(f"/api/v1/offers/{offer.pk}/dismiss")
    assert dismissed.status_code == 200 and dismissed.json()["new"] is True
    assert client.post(f"/api/v1/offers/{offer.pk}/dismiss").json()["new"] is False
    assert listed(client, organisation) == []
    assert client.get(f"/api/v1/offers/{offer.pk}").status_code == 404


def test_an_outsider_gets_404_for_another_customers_offer(
    api_client, outsider, account_manager, organisation
):
    scoped = make_offer("Acme special", manager=account_manager)
    client = api_client(outsider)
    assert client.get(f"/api/v1/offers/{scoped.pk}").status_code == 404
    assert (
        client.post(f"/api/v1/offers/{scoped.pk}/accept", {}, content_type="application/json").status_code
        == 404
    )
    assert client.post(f"/api/v1/offers/{scoped.pk}/dismiss").status_code == 404
    assert client.get(f"/api/v1/organisations/{organisation.pk}/offers").status_code == 404
    assert not OfferResponse.objects.exists()


def test_a_draft_is_not_found(api_client, customer_member):
    draft = make_offer("Draft", status="draft")
    assert api_client(customer_member).get(f"/api/v1/offers/{draft.pk}").status_code == 404


def test_staff_list_no_offers_for_a_customer(api_client, account_manager, organisation):
    make_offer("Free delivery")
    assert listed(api_client(account_manager), organisation) == []
