"""The privacy page: every purpose with its wording and state, giving and withdrawing, and the history."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from kundportal.audit.models import Action, AuditEvent
from kundportal.privacy.models import Consent
from kundportal.privacy.purposes import MARKETING_EMAIL, PERSONALISED_OFFERS, PURPOSES

pytestmark = pytest.mark.django_db

URL = "/privacy/consents/{}/"


def page(client: Any) -> str:
    response = client.get("/privacy/")
    assert response.status_code == 200
    return response.content.decode()


def test_every_purpose_is_shown_with_its_wording_and_off_by_default(login, customer_member):
    html = page(login(customer_member))
    for purpose in PURPOSES.values():
        assert str(purpose.title) in html
        assert str(purpose.wording) in html
    assert html.count("You have not decided. It stays off until you allow it.") == len(PURPOSES)
    assert "No decisions yet" in html


def test_giving_and_withdrawing_is_recorded_with_wording_version_language_and_source(login, customer_member):
    client = login(customer_member)
    client.cookies["kp_language"] = "sv"
    response = client.post(URL.format("personalised_offers"), {"granted": "1"})
    assert response.status_code == 302 and response.url == "/privacy/"
    client.post(URL.format("personalised_offers"), {"granted": "0"})
    withdrawn, given = Consent.objects.filter(user=customer_member).order_by("-created_at")
    assert (given.granted, withdrawn.granted) == (True, False)
    assert given.version == PERSONALISED_OFFERS.version and given.source == "page"
    assert given.language == "sv"
    with translation.override("sv"):
        assert given.wording == str(PERSONALISED_OFFERS.wording)  # as shown, in Swedish
    events = AuditEvent.objects.filter(actor=customer_member, action__startswith="privacy.").order_by("at")
    assert [e.action for e in events] == [Action.CONSENT_GIVEN, Action.CONSENT_WITHDRAWN]
    assert events[0].data["purpose"] == "personalised_offers"


def test_saying_the_same_twice_records_nothing_new(login, customer_member):
    client = login(customer_member)
    for _ in range(2):
        client.post(URL.format("marketing_email"), {"granted": "1"})
    assert Consent.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.CONSENT_GIVEN).count() == 1


def test_the_page_shows_the_state_and_the_history(login, customer_member):
    client = login(customer_member)
    client.post(URL.format("personalised_offers"), {"granted": "1"})
    client.post(URL.format("marketing_email"), {"granted": "1"})
    client.post(URL.format("marketing_email"), {"granted": "0"})
    html = page(client)
    assert "You agreed on" in html and "(version 1)" in html
    assert "You withdrew your consent on" in html
    assert html.count("<tr>") == 4  # the header and three decisions
    assert "Withdraw consent" in html and "Allow" in html


def test_the_buttons_return_to_where_they_were_on_this_site_only(login, customer_member):
    client = login(customer_member)
    response = client.post(URL.format("personalised_offers"), {"granted": "1", "next": "/offers/"})
    assert response.url == "/offers/"
    response = client.post(URL.format("personalised_offers"), {"granted": "0", "next": "//evil.example/"})
    assert response.url == "/privacy/"


def test_bad_requests_change_nothing(login, customer_member):
    client = login(customer_member)
    assert client.post(URL.format("personalised_offers"), {"granted": "maybe"}).status_code == 400
    assert client.post(URL.format("personalised_offers")).status_code == 400
    assert client.post(URL.format("selling_my_data"), {"granted": "1"}).status_code == 404
    assert client.get(URL.format("personalised_offers")).status_code == 405
    assert not Consent.objects.exists()


def test_staff_have_a_privacy_page_too(login, account_manager):
    assert str(MARKETING_EMAIL.title) in page(login(account_manager))


def test_visitors_are_asked_to_sign_in(client):
    response = client.get("/privacy/")
    assert response.status_code == 302 and "/account/login/" in response.url
