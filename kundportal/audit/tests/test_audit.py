import pytest

from kundportal.audit.models import Action, AppendOnlyError, AuditEvent
from kundportal.audit.services import record_event

pytestmark = pytest.mark.django_db


def test_it_never_changes_or_deletes_an_event(customer_admin):
    event = record_event(Action.LOGIN, actor=customer_admin)
    event.actor_label = "someone else"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(actor_label="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().actor_label == customer_admin.email


def test_it_keeps_the_actor_email_after_the_account_is_gone(customer_admin):
    record_event(Action.LOGIN, actor=customer_admin)
    customer_admin.delete()
    event = AuditEvent.objects.get()
    assert event.actor_id is not None or event.actor_label == "carl@acme.example"
    assert event.actor_label == "carl@acme.example"


def test_it_shows_the_audit_trail_to_provider_admins_only(
    login, provider_admin, account_manager, customer_admin
):
    record_event(Action.LOGIN, actor=customer_admin)
    assert login(account_manager).get("/audit/").status_code == 404
    assert login(customer_admin).get("/audit/").status_code == 404
    assert login(customer_admin).get("/audit/export.csv").status_code == 404
    page = login(provider_admin).get("/audit/?action=auth.login")
    assert page.status_code == 200 and "carl@acme.example" in page.content.decode()


def test_it_filters_and_exports_csv(login, provider_admin, customer_admin, organisation):
    record_event(Action.LOGIN, actor=customer_admin)
    record_event(Action.ROLE_CHANGED, actor=provider_admin, organisation=organisation)
    client = login(provider_admin)
    filtered = client.get("/audit/", {"action": "org.role_changed", "organisation": "acme"})
    assert [e.action for e in filtered.context["page"].object_list] == ["org.role_changed"]
    response = client.get("/audit/export.csv", {"who": "carl"})
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    lines = body.strip().splitlines()
    assert lines[0].startswith("when,action,who") and len(lines) == 2 and "auth.login" in lines[1]


def test_it_ignores_malformed_filters(login, provider_admin):
    response = login(provider_admin).get(
        "/audit/", {"since": "yesterday", "until": "2026-13-45", "action": "x"}
    )
    assert response.status_code == 200
