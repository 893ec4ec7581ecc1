"""The privacy centre page and its API: download my data, who accessed my data, delete my account or the
organisation. Every endpoint: the owner, an outsider (404), read-only people (403 where writing applies),
bad input, and constant queries.

alice: provider admin · mads: account manager · carl: customer admin · mia: member · vera: viewer ·
otto: admin of another customer (the outsider).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import PASSWORD
from kundportal.accounts.models import User
from kundportal.audit.models import Action, AuditEvent
from kundportal.audit.services import record_event
from kundportal.organisations.models import Membership
from kundportal.privacy import exports
from kundportal.privacy.models import DataExport, ErasureRecord, ExportStatus
from kundportal.privacy.tests.export_helpers import (
    _own_keyring,  # noqa: F401 - autouse fixture
    built,
    upload,
)

pytestmark = pytest.mark.django_db


def download_url(export):
    return f"/privacy/exports/{export.pk}/download/"


# ---------------------------------------------------------------------------------------------------------
# Download my data: page


def test_the_page_offers_the_download_and_a_request_makes_one_job(login, customer_member):
    client = login(customer_member)
    html = client.get("/privacy/").content.decode()
    assert "Download your data" in html and "Prepare my data for download" in html
    response = client.post("/privacy/exports/")
    assert response.status_code == 302
    client.post("/privacy/exports/")
    assert DataExport.objects.filter(user=customer_member).count() == 1
    exports.build_export(DataExport.objects.get().pk)  # what the worker does
    html = client.get("/privacy/").content.decode()
    assert "Download my data (ZIP)" in html and download_url(DataExport.objects.get()) in html


def test_a_running_job_shows_a_progress_bar_polled_without_script(login, customer_member):
    export = exports.request_export(actor=customer_member, user=customer_member)
    DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, progress=40)
    client = login(customer_member)
    html = client.get("/privacy/").content.decode()
    assert '<progress max="100" value="40"' in html
    assert f'hx-get="/privacy/exports/{export.pk}/status/"' in html and 'hx-trigger="every 2s"' in html
    assert 'aria-live="polite"' in html
    partial = client.get(f"/privacy/exports/{export.pk}/status/")
    assert partial.status_code == 200 and b"40 %" in partial.content
    DataExport.objects.filter(pk=export.pk).update(status=ExportStatus.READY, progress=100)


def test_the_status_of_someone_elses_job_is_not_found(login, customer_member, outsider, provider_admin):
    export = exports.request_export(actor=customer_member, user=customer_member)
    for other in (outsider, provider_admin):
        assert login(other).get(f"/privacy/exports/{export.pk}/status/").status_code == 404


def test_the_owner_downloads_the_zip_decrypted_and_it_is_recorded(login, customer_member, organisation):
    upload(customer_member, organisation, "a.txt", b"hello")
    export = built(customer_member)
    response = login(customer_member).get(download_url(export))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:2] == b"PK" and len(body) == export.size == int(response["Content-Length"])
    assert response["Content-Type"] == "application/zip"
    assert (
        "attachment" in response["Content-Disposition"] and response["Cache-Control"] == "private, no-store"
    )
    export.refresh_from_db()
    assert export.downloaded_at is not None
    event = AuditEvent.objects.get(action=Action.DATA_EXPORT_DOWNLOADED)
    assert event.actor == customer_member


def test_nobody_else_downloads_it(login, client, customer_member, customer_admin, outsider, provider_admin):
    export = built(customer_member)
    for other in (customer_admin, outsider, provider_admin):
        assert login(other).get(download_url(export)).status_code == 404
    client.logout()
    assert client.get(download_url(export)).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.DATA_EXPORT_DOWNLOADED).exists()


def test_a_forged_or_malformed_id_is_not_found(login, customer_member):
    client = login(customer_member)
    for forged in (uuid.uuid4(), "not-a-uuid"):
        assert client.get(f"/privacy/exports/{forged}/download/").status_code == 404
        assert client.get(f"/privacy/exports/{forged}/status/").status_code == 404


def test_an_expired_download_says_so(login, customer_member):
    export = built(customer_member)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = login(customer_member)
    response = client.get(download_url(export))
    assert response.status_code == 410
    assert "This download has expired" in response.content.decode()
    assert "has expired and was deleted" in client.get("/privacy/").content.decode()


def test_an_unfinished_download_is_not_found(login, customer_member):
    export = exports.request_export(actor=customer_member, user=customer_member)
    assert login(customer_member).get(download_url(export)).status_code == 404


def test_the_request_needs_post(login, customer_member):
    assert login(customer_member).get("/privacy/exports/").status_code == 405
    assert not DataExport.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Download my data: API


def test_the_api_queues_one_job_and_reports_it(
    api_client, customer_member, django_capture_on_commit_callbacks
):
    client = api_client(customer_member)
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/api/v1/me/exports")
    second = client.post("/api/v1/me/exports")
    assert first.status_code == 202
    export = DataExport.objects.get(pk=first.json()["id"])
    # the second request came after the first one finished: a new job
    assert second.status_code == 202
    job = client.get(f"/api/v1/me/exports/{export.pk}").json()
    assert job["status"] == "ready" and job["progress"] == 100
    assert job["download_url"] == f"/api/v1/me/exports/{export.pk}/download"
    listed = client.get("/api/v1/me/exports").json()
    assert listed["count"] == 2
    download = client.get(job["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content)[:2] == b"PK"


def test_the_api_gives_the_same_unfinished_job_twice(api_client, customer_member):
    client = api_client(customer_member)
    first = client.post("/api/v1/me/exports").json()
    second = client.post("/api/v1/me/exports").json()
    assert first["id"] == second["id"] and first["status"] == "queued"


def test_the_api_hides_other_peoples_exports(api_client, customer_member, outsider, provider_admin):
    export = built(customer_member)
    for other in (outsider, provider_admin):
        client = api_client(other)
        assert client.get(f"/api/v1/me/exports/{export.pk}").status_code == 404
        assert client.get(f"/api/v1/me/exports/{export.pk}/download").status_code == 404
        assert client.get("/api/v1/me/exports").json()["count"] == 0
    assert api_client(customer_member).get("/api/v1/me/exports/not-a-uuid").status_code in (404, 422)


def test_the_api_answers_410_once_expired(api_client, customer_member):
    export = built(customer_member)
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = api_client(customer_member)
    assert client.get(f"/api/v1/me/exports/{export.pk}/download").status_code == 410
    assert client.get(f"/api/v1/me/exports/{export.pk}").json()["status"] == "expired"


# ---------------------------------------------------------------------------------------------------------
# Who accessed my data


def _staff_accesses(organisation, staff, n):
    for number in range(n):
        record_event(Action.CUSTOMER_VIEWED, actor=staff, organisation=organisation)
        record_event(
            Action.DOCUMENT_DOWNLOADED,
            actor=staff,
            organisation=organisation,
            actor_label=staff.email,
            document=f"doc-{number}",
        )


def test_staff_access_is_listed_but_customers_actions_and_other_organisations_are_not(
    login, customer_member, customer_admin, account_manager, organisation, other_organisation, provider_admin
):
    _staff_accesses(organisation, account_manager, 1)
    record_event(Action.DOCUMENT_DOWNLOADED, actor=customer_admin, organisation=organisation)  # a colleague
    record_event(Action.CUSTOMER_VIEWED, actor=provider_admin, organisation=other_organisation)  # elsewhere
    html = login(customer_member).get("/privacy/").content.decode()
    assert "Mads Manager" in html
    assert "Customer data viewed by staff" in html and "Document downloaded" in html
    assert "Carl Customer" not in html and "Alice Admin" not in html


def test_an_admin_exporting_on_someones_behalf_is_listed(login, customer_member, provider_admin):
    exports.request_export(actor=provider_admin, user=customer_member)
    html = login(customer_member).get("/privacy/").content.decode()
    assert "Alice Admin" in html and "Data export requested" in html


def test_staff_viewing_an_order_is_recorded_and_listed(login, customer_member, account_manager, organisation):
    from kundportal.commerce.models import Order

    order = Order.objects.create(organisation=organisation, number="ORD-1", currency="SEK")
    assert login(account_manager).get(f"/orders/{order.pk}/").status_code == 200
    event = AuditEvent.objects.get(action=Action.ORDER_VIEWED)
    assert event.organisation_id == organisation.pk and event.actor == account_manager
    login(customer_member).get(f"/orders/{order.pk}/")  # the customer's own view is not an access
    assert AuditEvent.objects.filter(action=Action.ORDER_VIEWED).count() == 1
    html = login(customer_member).get("/privacy/").content.decode()
    assert "Order viewed by staff" in html


def test_the_accesses_api_lists_staff_access_only(
    api_client, customer_member, customer_admin, account_manager, organisation, outsider
):
    _staff_accesses(organisation, account_manager, 2)
    record_event(Action.DOCUMENT_DOWNLOADED, actor=customer_admin, organisation=organisation)
    body = api_client(customer_member).get("/api/v1/me/accesses").json()
    assert body["count"] == 4
    assert {item["who"] for item in body["items"]} == {"Mads Manager"}
    assert api_client(outsider).get("/api/v1/me/accesses").json()["count"] == 0


def test_the_page_and_api_queries_stay_constant_as_accesses_grow(
    login, api_client, customer_member, account_manager, organisation, django_assert_max_num_queries
):
    client = login(customer_member)
    api = api_client(customer_member)
    built(customer_member)
    _staff_accesses(organisation, account_manager, 2)
    client.get("/privacy/")
    with django_assert_max_num_queries(20) as few:
        client.get("/privacy/")
    with django_assert_max_num_queries(12) as few_api:
        api.get("/api/v1/me/accesses")
    _staff_accesses(organisation, account_manager, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/privacy/")
    assert "Page 1 of" in response.content.decode()
    with django_assert_max_num_queries(len(few_api.captured_queries)):
        api.get("/api/v1/me/accesses")


def test_the_objection_is_visible(login, customer_member):
    html = login(customer_member).get("/privacy/").content.decode()
    assert "Art. 21" in html and "It is absolute" in html


# ---------------------------------------------------------------------------------------------------------
# Delete my account


def test_deleting_the_account_asks_for_the_password_and_throttles(login, customer_member):
    client = login(customer_member)
    for _attempt in range(10):
        response = client.post("/privacy/erase/", {"password": "wrong"})
        assert response.status_code == 400
        assert "The password is not correct." in response.content.decode()
    response = client.post("/privacy/erase/", {"password": PASSWORD})
    assert response.status_code == 400 and "Too many attempts" in response.content.decode()
    assert User.objects.filter(pk=customer_member.pk, is_active=True).exists()
    assert not ErasureRecord.objects.exists()


def test_deleting_the_account_erases_logs_out_and_confirms(login, customer_member):
    client = login(customer_member)
    response = client.post("/privacy/erase/", {"password": PASSWORD, "do_not_contact": "on"})
    assert response.status_code == 302 and response.url == "/privacy/erased/"
    assert ErasureRecord.objects.count() == 1
    page = client.get("/privacy/erased/")
    assert page.status_code == 200 and "Your data was erased" in page.content.decode()
    assert client.get("/privacy/").status_code == 302  # logged out
    from kundportal.privacy.erasure import is_do_not_contact

    assert is_do_not_contact("mia@acme.example")


def test_the_last_admin_is_told_why_not(login, customer_admin, customer_member):
    response = login(customer_admin).post("/privacy/erase/", {"password": PASSWORD})
    assert response.status_code == 400
    assert "last admin" in response.content.decode()
    assert not ErasureRecord.objects.exists()


def test_an_export_running_when_the_account_is_deleted_is_cancelled(login, customer_member):
    export = exports.request_export(actor=customer_member, user=customer_member)
    login(customer_member).post("/privacy/erase/", {"password": PASSWORD})
    assert not DataExport.objects.filter(pk=export.pk, status__in=exports.UNFINISHED).exists()


def test_the_api_deletes_the_account_with_the_password(api_client, customer_member):
    client = api_client(customer_member)
    wrong = client.delete("/api/v1/me", {"password": "wrong"}, content_type="application/json")
    assert wrong.status_code == 422 and "password" in wrong.json()["errors"]
    missing = client.delete("/api/v1/me", {}, content_type="application/json")
    assert missing.status_code == 422
    assert not ErasureRecord.objects.exists()
    done = client.delete("/api/v1/me", {"password": PASSWORD}, content_type="application/json")
    assert done.status_code == 200
    assert done.json()["erasure_id"] == str(ErasureRecord.objects.get().pk)


def test_the_api_refuses_the_last_admin_with_409(api_client, customer_admin, customer_member):
    response = api_client(customer_admin).delete(
        "/api/v1/me", {"password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 409 and "last admin" in response.json()["detail"]


# ---------------------------------------------------------------------------------------------------------
# Delete the organisation


def test_only_customer_admins_see_and_use_the_organisation_erasure(
    login, customer_admin, customer_member, customer_viewer, organisation, outsider
):
    url = f"/privacy/organisations/{organisation.pk}/erase/"
    assert "Delete the organisation Acme AB" in login(customer_admin).get("/privacy/").content.decode()
    for reader in (customer_member, customer_viewer):
        assert "Delete the organisation" not in login(reader).get("/privacy/").content.decode()
        assert login(reader).post(url, {f"org-{organisation.pk}-password": PASSWORD}).status_code == 403
    assert login(outsider).post(url, {f"org-{organisation.pk}-password": PASSWORD}).status_code == 404
    assert login(customer_admin).post(f"/privacy/organisations/{uuid.uuid4()}/erase/").status_code == 404
    assert not ErasureRecord.objects.exists()


def test_an_organisation_with_open_orders_waits_for_approval(login, customer_admin, organisation):
    from kundportal.commerce.models import Order

    Order.objects.create(organisation=organisation, number="ORD-9", currency="SEK")
    client = login(customer_admin)
    url = f"/privacy/organisations/{organisation.pk}/erase/"
    assert client.post(url, {f"org-{organisation.pk}-password": "wrong"}).status_code == 400
    response = client.post(url, {f"org-{organisation.pk}-password": PASSWORD})
    assert response.status_code == 302
    record = ErasureRecord.objects.get()
    assert record.status == "awaiting_approval"
    html = client.get("/privacy/").content.decode()
    assert "the provider must approve it first" in html


def test_erasing_an_organisation_without_open_orders_erases_it(login, customer_admin, organisation):
    from kundportal.organisations.models import Organisation

    response = login(customer_admin).post(
        f"/privacy/organisations/{organisation.pk}/erase/", {f"org-{organisation.pk}-password": PASSWORD}
    )
    assert response.status_code == 302
    assert ErasureRecord.objects.get().status == "done"
    assert not Organisation.objects.filter(pk=organisation.pk, name="Acme AB").exists()


def test_the_organisation_erasure_api(
    api_client, customer_admin, customer_viewer, customer_member, outsider, organisation
):
    url = f"/api/v1/organisations/{organisation.pk}/erasure"
    body = {"password": PASSWORD}
    assert api_client(outsider).post(url, body, content_type="application/json").status_code == 404
    for reader in (customer_viewer, customer_member):
        assert api_client(reader).post(url, body, content_type="application/json").status_code == 403
    bad = api_client(customer_admin).post(url, {"password": "x"}, content_type="application/json")
    assert bad.status_code == 422
    assert not ErasureRecord.objects.exists()
    done = api_client(customer_admin).post(url, body, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "done"


def test_members_of_several_organisations_see_each_they_administer(login, customer_admin, other_organisation):
    Membership.objects.create(organisation=other_organisation, user=customer_admin, role="admin")
    html = login(customer_admin).get("/privacy/").content.decode()
    assert "Delete the organisation Acme AB" in html and "Delete the organisation Other GmbH" in html
