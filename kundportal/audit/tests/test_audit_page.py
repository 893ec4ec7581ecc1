"""The provider audit page: person and organisation filters, the chain status, "Verify now", CSV."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from kundportal.audit import chain
from kundportal.audit.models import Action, AuditEvent, AuditVerification
from kundportal.audit.services import new_event, record_event, record_events

pytestmark = pytest.mark.django_db


def test_only_provider_admins_see_the_status_or_start_a_check(
    login, account_manager, customer_admin, customer_viewer, outsider
):
    for user in (account_manager, customer_admin, customer_viewer, outsider):
        client = login(user)
        assert client.get("/audit/status/").status_code == 404
        assert client.post("/audit/verify/").status_code == 404
        assert client.get("/audit/", {"user": str(customer_admin.pk)}).status_code == 404
    assert not AuditVerification.objects.exists()


def test_verify_now_runs_in_the_background_and_shows_the_result(login, provider_admin, customer_admin):
    record_event(Action.LOGIN, actor=customer_admin)
    client = login(provider_admin)
    assert "not been checked yet" in client.get("/audit/").content.decode()
    assert client.get("/audit/verify/").status_code == 405

    response = client.post("/audit/verify/", follow=True)

    page = response.content.decode()
    run = AuditVerification.objects.get()
    assert (run.ok, run.trigger, run.requested_by_id) == (True, "page", provider_admin.pk)
    assert run.checked == AuditEvent.objects.count() == 2  # carl's, and alice's login
    assert "Intact" in page and "Started by alice@provider.example" in page
    assert "has been verified" in page


def test_the_page_names_the_broken_entry(login, provider_admin, customer_admin):
    event = record_event(Action.LOGIN, actor=customer_admin)
    chain.seal_pending()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s",
            ["auth.logout", AuditEvent._meta.pk.get_db_prep_value(event.pk, connection)],
        )
    client = login(provider_admin)
    client.post("/audit/verify/")
    page = client.get("/audit/").content.decode()
    assert "Broken" in page and "entry #1" in page and str(event.pk) in page and "content was changed" in page


def test_a_running_check_is_polled_and_not_started_twice(login, provider_admin):
    AuditVerification.objects.create(trigger="page", requested_by=provider_admin)
    client = login(provider_admin)
    status = client.get("/audit/status/").content.decode()
    assert 'hx-trigger="every 2s"' in status and "disabled" in status
    response = client.post("/audit/verify/", follow=True)
    assert "being verified already" in response.content.decode()
    assert AuditVerification.objects.count() == 1


def test_it_filters_by_person(login, provider_admin, customer_admin, customer_member, organisation):
    by = record_event(Action.LOGIN, actor=customer_admin)
    about = record_event(
        Action.ROLE_CHANGED, actor=provider_admin, organisation=organisation, target=customer_admin
    )
    record_event(Action.LOGIN, actor=customer_member)
    client = login(provider_admin)
    response = client.get("/audit/", {"user": str(customer_admin.pk)})
    assert {e.pk for e in response.context["page"].object_list} == {by.pk, about.pk}
    assert "By or about carl@acme.example" in response.content.decode()
    csv = b"".join(client.get("/audit/export.csv", {"user": str(customer_admin.pk)}).streaming_content)
    assert len(csv.decode().strip().splitlines()) == 3


def test_it_filters_by_organisation_id(login, provider_admin, organisation, other_organisation):
    mine = record_event(Action.ORGANISATION_SETTINGS, actor=provider_admin, organisation=organisation)
    record_event(Action.ORGANISATION_SETTINGS, actor=provider_admin, organisation=other_organisation)
    response = login(provider_admin).get("/audit/", {"organisation_id": str(organisation.pk)})
    assert [e.pk for e in response.context["page"].object_list] == [mine.pk]
    assert "About Acme AB" in response.content.decode()


@pytest.mark.parametrize("key", ["user", "organisation_id"])
def test_a_malformed_id_shows_an_error_and_no_events(login, provider_admin, customer_admin, key):
    record_event(Action.LOGIN, actor=customer_admin)
    client = login(provider_admin)
    response = client.get("/audit/", {key: "not-an-id"})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert "not a valid id" in response.content.decode()
    csv = b"".join(client.get("/audit/export.csv", {key: "1; drop table"}).streaming_content)
    assert len(csv.decode().strip().splitlines()) == 1  # the header only


def test_an_unknown_person_shows_their_id_and_nothing_else(login, provider_admin, customer_admin):
    record_event(Action.LOGIN, actor=customer_admin)
    someone = uuid.uuid4()
    response = login(provider_admin).get("/audit/", {"user": str(someone)})
    assert list(response.context["page"].object_list) == []
    assert str(someone) in response.content.decode()


def test_the_csv_carries_the_entry_number_and_hash(login, provider_admin, customer_admin):
    record_event(Action.LOGIN, actor=customer_admin)
    chain.seal_pending()
    event = AuditEvent.objects.get()
    response = login(provider_admin).get("/audit/export.csv", {"user": str(customer_admin.pk)})
    body = b"".join(response.streaming_content).decode()
    header, row = body.strip().splitlines()
    assert header.endswith(",seq,hash") and row.endswith(f",1,{event.hash[:16]}")


def test_redacted_entries_are_marked(login, provider_admin, customer_admin):
    from kundportal.audit.services import redact_for_user

    record_event(Action.LOGIN, actor=customer_admin)
    redact_for_user(customer_admin)
    page = login(provider_admin).get("/audit/", {"action": "auth.login"}).content.decode()
    assert "Redacted" in page and "carl@acme.example" not in page


def test_the_page_takes_the_same_queries_however_many_events(
    login, provider_admin, customer_admin, organisation, django_assert_max_num_queries
):
    client = login(provider_admin)
    client.post("/audit/verify/")
    params = {"user": str(customer_admin.pk), "organisation_id": str(organisation.pk)}

    def queries(path: str, query: dict[str, str]) -> int:
        with django_assert_max_num_queries(12) as captured:
            assert client.get(path, query).status_code == 200
        return len(captured)

    record_event(Action.LOGIN, actor=customer_admin, organisation=organisation)
    small = (queries("/audit/", {}), queries("/audit/", params), queries("/audit/status/", {}))
    record_events(
        new_event(Action.ROLE_CHANGED, actor=provider_admin, organisation=organisation, target=customer_admin)
        for _ in range(120)
    )
    chain.seal_pending()
    large = (queries("/audit/", {}), queries("/audit/", params), queries("/audit/status/", {}))
    assert small == large
