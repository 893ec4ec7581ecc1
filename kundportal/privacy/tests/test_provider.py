"""The provider's privacy pages: provider admins only (everyone else 404), pending organisation erasures,
acting on someone's behalf (export, erasure with a typed confirmation), records of processing.

alice: provider admin · mads: account manager · carl: customer admin · mia: member · vera: viewer ·
otto: admin of another customer (the outsider).
"""

from __future__ import annotations

import uuid

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.organisations.models import Organisation
from kundportal.privacy import exports, registry
from kundportal.privacy.models import DataExport, ErasureRecord, ErasureStatus
from kundportal.privacy.tests.export_helpers import _own_keyring  # noqa: F401 - autouse fixture

pytestmark = pytest.mark.django_db

PAGES = ["/privacy/manage/", "/privacy/records/", "/privacy/notice/edit/", "/privacy/purposes/"]


def test_only_provider_admins_see_the_pages(login, provider_admin, account_manager, customer_admin, outsider):
    for page in PAGES:
        assert login(provider_admin).get(page).status_code == 200, page
        for other in (account_manager, customer_admin, outsider):
            assert login(other).get(page).status_code == 404, (page, other)


def test_the_settings_page_links_to_the_privacy_pages(login, provider_admin):
    assert 'href="/privacy/manage/"' in login(provider_admin).get("/staff/").content.decode()


def test_the_records_list_every_source_and_the_consent_purposes(login, provider_admin):
    html = login(provider_admin).get("/privacy/records/").content.decode()
    for source in registry.SOURCES.values():
        assert source.key in html
    assert "Personalised offers and recommendations" in html


def _pending(organisation):
    return ErasureRecord.objects.create(
        kind="organisation",
        status=ErasureStatus.AWAITING_APPROVAL,
        organisation=organisation,
        requested_by_role="customer admin",
    )


def test_pending_erasures_are_approved_or_rejected(login, provider_admin, organisation, other_organisation):
    first, second = _pending(organisation), _pending(other_organisation)
    client = login(provider_admin)
    html = client.get("/privacy/manage/").content.decode()
    assert "Acme AB" in html and "Other GmbH" in html
    bad = client.post(f"/privacy/manage/erasures/{first.pk}/decide/", {"decision": "maybe"})
    assert bad.status_code == 302
    first.refresh_from_db()
    assert first.status == ErasureStatus.AWAITING_APPROVAL
    client.post(f"/privacy/manage/erasures/{first.pk}/decide/", {"decision": "reject"})
    client.post(f"/privacy/manage/erasures/{second.pk}/decide/", {"decision": "approve"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ErasureStatus.REJECTED and second.status == ErasureStatus.DONE
    assert not Organisation.objects.filter(name="Other GmbH").exists()
    assert (
        client.post(f"/privacy/manage/erasures/{first.pk}/decide/", {"decision": "approve"}).status_code
        == 404
    )


def test_others_cannot_decide(login, account_manager, customer_admin, organisation):
    record = _pending(organisation)
    for other in (account_manager, customer_admin):
        response = login(other).post(f"/privacy/manage/erasures/{record.pk}/decide/", {"decision": "approve"})
        assert response.status_code == 404
    record.refresh_from_db()
    assert record.status == ErasureStatus.AWAITING_APPROVAL


def test_an_admin_exports_on_behalf_and_only_that_admin_downloads_it(
    login, provider_admin, customer_member, customer_admin, django_capture_on_commit_callbacks
):
    client = login(provider_admin)
    found = client.get("/privacy/manage/", {"person": "MIA@acme.example"}).content.decode()
    assert f"/privacy/manage/people/{customer_member.pk}/export/" in found
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/privacy/manage/people/{customer_member.pk}/export/").status_code == 302
    export = DataExport.objects.get()
    assert export.user == customer_member and export.requested_by == provider_admin
    assert export.status == "ready"
    download = f"/privacy/exports/{export.pk}/download/"
    assert download in client.get("/privacy/manage/").content.decode()
    assert client.get(download).status_code == 200
    assert login(customer_member).get(download).status_code == 404
    assert login(customer_admin).get(download).status_code == 404
    events = AuditEvent.objects.filter(actor=provider_admin, action__startswith="privacy.export")
    assert {event.action for event in events} == {Action.DATA_EXPORT_REQUESTED, Action.DATA_EXPORT_DOWNLOADED}


def test_acting_on_behalf_needs_a_provider_admin(login, account_manager, customer_admin, customer_member):
    for other in (account_manager, customer_admin):
        client = login(other)
        assert client.post(f"/privacy/manage/people/{customer_member.pk}/export/").status_code == 404
        assert client.get(f"/privacy/manage/people/{customer_member.pk}/erase/").status_code == 404
    assert not DataExport.objects.exists()


def test_unknown_people_and_organisations_are_not_found(login, provider_admin):
    client = login(provider_admin)
    for url in (
        f"/privacy/manage/people/{uuid.uuid4()}/export/",
        "/privacy/manage/people/nope/erase/",
        f"/privacy/manage/organisations/{uuid.uuid4()}/erase/",
    ):
        assert client.post(url).status_code == 404


def test_erasing_a_person_on_behalf_needs_the_typed_email(login, provider_admin, customer_member):
    client = login(provider_admin)
    url = f"/privacy/manage/people/{customer_member.pk}/erase/"
    assert "Type “mia@acme.example” to confirm" in client.get(url).content.decode()
    wrong = client.post(url, {"confirm": "someone@else.example"})
    assert wrong.status_code == 400 and "not what the confirmation asks for" in wrong.content.decode()
    assert not ErasureRecord.objects.exists()
    done = client.post(url, {"confirm": "mia@acme.example"})
    assert done.status_code == 302
    record = ErasureRecord.objects.get()
    assert record.status == ErasureStatus.DONE and record.requested_by_role


def test_erasing_an_organisation_on_behalf_needs_the_typed_name(login, provider_admin, organisation):
    client = login(provider_admin)
    found = client.get("/privacy/manage/", {"organisation": "acme"}).content.decode()
    url = f"/privacy/manage/organisations/{organisation.pk}/erase/"
    assert url in found
    assert client.post(url, {"confirm": "Acme"}).status_code == 400
    assert client.post(url, {"confirm": "acme ab"}).status_code == 302
    assert ErasureRecord.objects.get().kind == "organisation"


def test_the_overview_shows_counts_only_and_its_queries_stay_constant(
    login, provider_admin, customer_member, organisation, other_organisation, django_assert_max_num_queries
):
    client = login(provider_admin)
    _pending(organisation)
    ErasureRecord.objects.create(kind="user", requested_by_role="the person", report={"erased": {"a": 3}})
    exports.request_export(actor=provider_admin, user=customer_member)
    with django_assert_max_num_queries(20) as few:
        html = client.get("/privacy/manage/").content.decode()
    assert "Waiting: 1" in html
    for _ in range(10):
        _pending(other_organisation)
        ErasureRecord.objects.create(kind="user", requested_by_role="the person", report={"erased": {"a": 1}})
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/privacy/manage/")


def test_the_records_and_purposes_pages_keep_constant_queries(
    login, provider_admin, django_assert_max_num_queries
):
    from kundportal.privacy.models import ConfiguredPurpose

    client = login(provider_admin)
    client.get("/privacy/records/")
    with django_assert_max_num_queries(12) as records:
        client.get("/privacy/records/")
    with django_assert_max_num_queries(12) as purposes:
        client.get("/privacy/purposes/")
    for number in range(8):
        ConfiguredPurpose.objects.create(
            key=f"p{number}",
            **{f"{f}_{lang}": "x" for f in ("title", "wording") for lang in ("en", "sv", "de")},
        )
    with django_assert_max_num_queries(len(records.captured_queries)):
        client.get("/privacy/records/")
    with django_assert_max_num_queries(len(purposes.captured_queries)):
        client.get("/privacy/purposes/")
