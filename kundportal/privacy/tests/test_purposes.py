"""Purposes the provider configures: CRUD by provider admins, a changed wording is a new version, and
customers consent to them like to the built-in ones (page and API), in their language."""

from __future__ import annotations

import pytest
from django.utils import translation

from kundportal.audit.models import Action, AuditEvent
from kundportal.privacy.models import ConfiguredPurpose, Consent
from kundportal.privacy.purposes import PURPOSES, all_purposes, find_purpose
from kundportal.privacy.services import has_consent, purpose_of

pytestmark = pytest.mark.django_db

FORM = {
    "key": "events",
    "title_en": "Event invitations",
    "title_sv": "Inbjudningar till evenemang",
    "title_de": "Einladungen zu Veranstaltungen",
    "wording_en": "Invite me to events.",
    "wording_sv": "Bjud in mig till evenemang.",
    "wording_de": "Ladet mich zu Veranstaltungen ein.",
    "active": "on",
}


def add(client, **changes):
    return client.post("/privacy/purposes/", {**FORM, **changes})


def test_an_admin_adds_a_purpose_and_customers_consent_to_it(login, provider_admin, customer_member):
    assert add(login(provider_admin)).status_code == 302
    purpose = ConfiguredPurpose.objects.get()
    assert purpose.version == 1 and purpose.active
    assert AuditEvent.objects.filter(action=Action.PURPOSE_CHANGED).count() == 1
    assert "events" in all_purposes() and "events" not in PURPOSES

    client = login(customer_member)
    client.cookies["kp_language"] = "sv"
    html = client.get("/privacy/").content.decode()
    assert "Inbjudningar till evenemang" in html and "Bjud in mig till evenemang." in html
    assert client.post("/privacy/consents/events/", {"granted": "1"}).status_code == 302
    consent = Consent.objects.get(user=customer_member)
    assert (consent.purpose, consent.version, consent.wording) == ("events", 1, "Bjud in mig till evenemang.")
    assert has_consent(customer_member, purpose_of("events"))


def test_a_changed_wording_is_a_new_version_that_asks_again(login, provider_admin, customer_member):
    admin = login(provider_admin)
    add(admin)
    purpose = ConfiguredPurpose.objects.get()
    login(customer_member).post("/privacy/consents/events/", {"granted": "1"})
    admin = login(provider_admin)
    admin.post(f"/privacy/purposes/{purpose.pk}/", {**FORM, "title_en": "Events!"})
    purpose.refresh_from_db()
    assert purpose.version == 1  # the title is not the wording
    admin.post(f"/privacy/purposes/{purpose.pk}/", {**FORM, "wording_de": "Neu."})
    purpose.refresh_from_db()
    assert purpose.version == 2
    assert not has_consent(customer_member, purpose_of("events"))


def test_the_api_lists_and_records_configured_purposes(login, provider_admin, api_client, customer_member):
    add(login(provider_admin))
    client = api_client(customer_member)
    keys = [item["purpose"] for item in client.get("/api/v1/me/consents").json()]
    assert "events" in keys
    response = client.put("/api/v1/me/consents/events", {"granted": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["granted"] is True


def test_an_inactive_purpose_is_not_asked_but_its_history_keeps_its_name(
    login, provider_admin, customer_member
):
    add(login(provider_admin))
    login(customer_member).post("/privacy/consents/events/", {"granted": "1"})
    purpose = ConfiguredPurpose.objects.get()
    login(provider_admin).post(
        f"/privacy/purposes/{purpose.pk}/", {**{k: v for k, v in FORM.items() if k != "active"}}
    )
    assert find_purpose("events") is None
    client = login(customer_member)
    assert client.post("/privacy/consents/events/", {"granted": "0"}).status_code == 404
    html = client.get("/privacy/").content.decode()
    assert html.count("Event invitations") == 1  # in the history only


def test_bad_input_changes_nothing(login, provider_admin):
    client = login(provider_admin)
    assert add(client, key="personalised_offers").status_code == 400  # a built-in key
    assert add(client, key="not a slug").status_code == 400
    assert add(client, wording_sv="<b>bold</b>").status_code == 400
    assert add(client, title_de="").status_code == 400
    assert not ConfiguredPurpose.objects.exists()
    add(client)
    assert add(client).status_code == 400  # the key is taken
    assert ConfiguredPurpose.objects.count() == 1


def test_only_an_unused_purpose_can_be_deleted(login, provider_admin, customer_member):
    admin = login(provider_admin)
    add(admin)
    purpose = ConfiguredPurpose.objects.get()
    login(customer_member).post("/privacy/consents/events/", {"granted": "1"})
    login(provider_admin).post(f"/privacy/purposes/{purpose.pk}/delete/")
    assert ConfiguredPurpose.objects.exists()
    Consent.objects.all().delete()
    login(provider_admin).post(f"/privacy/purposes/{purpose.pk}/delete/")
    assert not ConfiguredPurpose.objects.exists()


def test_only_provider_admins_manage_purposes(login, account_manager, customer_admin, provider_admin):
    add(login(provider_admin))
    purpose = ConfiguredPurpose.objects.get()
    for other in (account_manager, customer_admin):
        client = login(other)
        assert add(client, key="other").status_code == 404
        assert client.post(f"/privacy/purposes/{purpose.pk}/", {**FORM, "wording_en": "x"}).status_code == 404
        assert client.post(f"/privacy/purposes/{purpose.pk}/delete/").status_code == 404
    assert ConfiguredPurpose.objects.count() == 1 and ConfiguredPurpose.objects.get().version == 1
    assert login(provider_admin).get("/privacy/purposes/not-a-uuid/").status_code == 404


def test_titles_follow_the_readers_language(login, provider_admin):
    add(login(provider_admin))
    with translation.override("de"):
        assert str(all_purposes()["events"].title) == "Einladungen zu Veranstaltungen"
    with translation.override("en"):
        assert str(all_purposes()["events"].title) == "Event invitations"
