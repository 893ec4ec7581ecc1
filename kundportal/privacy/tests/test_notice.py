"""The privacy notice: public, in the reader's language, a sensible default until the provider writes one;
edited by provider admins in three languages, each save a new version."""

from __future__ import annotations

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.privacy.models import PrivacyNotice

pytestmark = pytest.mark.django_db

TEXTS = {
    "text_en": "We **care**.\n\n- one\n- two",
    "text_sv": "Vi bryr oss.",
    "text_de": "Wir kümmern uns.",
}


def test_anyone_reads_the_default_notice(client):
    response = client.get("/privacy/notice/")
    assert response.status_code == 200
    assert "personal data" in response.content.decode()


def test_an_admin_writes_a_new_version_and_readers_see_it_in_their_language(client, login, provider_admin):
    admin = login(provider_admin)
    response = admin.post("/privacy/notice/edit/", TEXTS)
    assert response.status_code == 302
    admin.post("/privacy/notice/edit/", {**TEXTS, "text_en": "Second version."})
    assert PrivacyNotice.objects.count() == 2
    assert AuditEvent.objects.filter(action=Action.PRIVACY_NOTICE_CHANGED).count() == 2
    admin.logout()
    html = client.get("/privacy/notice/").content.decode()
    assert "Second version." in html
    client.cookies["kp_language"] = "de"
    assert "Wir kümmern uns." in client.get("/privacy/notice/").content.decode()


def test_markdown_is_rendered_and_html_refused(login, provider_admin, client):
    admin = login(provider_admin)
    admin.post("/privacy/notice/edit/", TEXTS)
    html = client.get("/privacy/notice/").content.decode()
    assert "<strong>care</strong>" in html and "<li>one</li>" in html
    bad = admin.post("/privacy/notice/edit/", {**TEXTS, "text_sv": "<script>alert(1)</script>"})
    assert bad.status_code == 400 and "without HTML tags" in bad.content.decode()
    missing = admin.post("/privacy/notice/edit/", {**TEXTS, "text_de": ""})
    assert missing.status_code == 400
    assert PrivacyNotice.objects.count() == 1


def test_only_provider_admins_edit(login, account_manager, customer_admin, client):
    for other in (account_manager, customer_admin):
        assert login(other).post("/privacy/notice/edit/", TEXTS).status_code == 404
    client.logout()
    assert client.get("/privacy/notice/edit/").status_code == 302  # to the login
    assert not PrivacyNotice.objects.exists()


def test_the_edit_form_starts_from_the_latest_version(login, provider_admin):
    PrivacyNotice.objects.create(text_en="Old en", text_sv="Old sv", text_de="Old de")
    html = login(provider_admin).get("/privacy/notice/edit/").content.decode()
    assert "Old en" in html and "Old sv" in html and "Old de" in html


def test_the_notice_page_has_constant_queries(client, django_assert_max_num_queries):
    for number in range(5):
        PrivacyNotice.objects.create(text_en=f"v{number}", text_sv="x", text_de="x")
    with django_assert_max_num_queries(3):
        client.get("/privacy/notice/")
