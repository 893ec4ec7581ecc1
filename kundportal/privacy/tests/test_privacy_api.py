"""The consents API: the same records and audit events as the privacy page."""

from __future__ import annotations

from typing import Any

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.privacy.models import Consent
from kundportal.privacy.purposes import PURPOSES

pytestmark = pytest.mark.django_db


def put(client: Any, purpose: str, body: Any, **headers: Any) -> Any:
    return client.put(f"/api/v1/me/consents/{purpose}", body, content_type="application/json", **headers)


def test_it_lists_every_purpose_off_by_default(api_client, customer_member):
    body = api_client(customer_member).get("/api/v1/me/consents").json()
    assert [item["purpose"] for item in body] == list(PURPOSES)
    assert all(item["granted"] is False and item["decided_at"] is None for item in body)
    assert all(item["wording"] and item["version"] == 1 for item in body)


def test_giving_and_withdrawing(api_client, customer_member):
    client = api_client(customer_member)
    given = put(client, "personalised_offers", {"granted": True}, HTTP_ACCEPT_LANGUAGE="de")
    assert given.status_code == 200 and given.json()["granted"] is True
    assert put(client, "personalised_offers", {"granted": False}).json()["granted"] is False
    consent = Consent.objects.filter(user=customer_member).order_by("created_at").first()
    assert consent.source == "api" and consent.version == 1 and consent.wording
    history = client.get("/api/v1/me/consents/history").json()
    assert [(h["granted"], h["source"]) for h in history] == [(False, "api"), (True, "api")]
    assert (
        AuditEvent.objects.filter(
            action__in=[Action.CONSENT_GIVEN, Action.CONSENT_WITHDRAWN], actor=customer_member
        ).count()
        == 2
    )


def test_bad_input_is_refused(api_client, customer_member):
    client = api_client(customer_member)
    assert put(client, "selling_my_data", {"granted": True}).status_code == 404
    assert put(client, "personalised_offers", {}).status_code == 422
    assert put(client, "personalised_offers", {"granted": "perhaps"}).status_code == 422
    assert not Consent.objects.exists()


def test_consents_are_each_users_own(api_client, customer_member, customer_admin):
    put(api_client(customer_member), "marketing_email", {"granted": True})
    body = api_client(customer_admin).get("/api/v1/me/consents").json()
    assert not any(item["granted"] for item in body)
