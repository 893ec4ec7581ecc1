"""The hash chain: sealing, `kundportal audit verify`, tampering by raw SQL, redaction and retention."""

from __future__ import annotations

import datetime
import itertools
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from kundportal.audit import chain
from kundportal.audit.models import Action, AuditChain, AuditEvent, AuditVerification
from kundportal.audit.retention import ChainBrokenError, purge_events, purge_expired
from kundportal.audit.services import (
    new_event,
    record_event,
    record_events,
    redact_events,
    redact_for_organisation,
    redact_for_user,
)

pytestmark = pytest.mark.django_db


def raw(sql: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def db_id(event: AuditEvent) -> Any:
    return AuditEvent._meta.pk.get_db_prep_value(event.pk, connection)


def sealed(*events: AuditEvent) -> list[AuditEvent]:
    chain.seal_pending()
    return [AuditEvent.objects.get(pk=e.pk) for e in events]


def problem() -> chain.Problem | None:
    return chain.verify_chain().problem


@pytest.fixture
def events(customer_admin, provider_admin, organisation) -> list[AuditEvent]:
    written = [
        record_event(Action.LOGIN, actor=customer_admin),
        record_event(
            Action.ROLE_CHANGED, actor=provider_admin, organisation=organisation, target=customer_admin
        ),
        record_event(
            Action.PROFILE_CHANGED, actor=customer_admin, organisation=organisation, changes={"x": [1, 2]}
        ),
        record_event(Action.LOGOUT, actor=provider_admin),
        record_event(Action.DOCUMENT_DOWNLOADED, actor=provider_admin, organisation=organisation, version=3),
    ]
    return sealed(*written)


# ----------------------------------------------------------------------------------------------------
# Sealing
# ----------------------------------------------------------------------------------------------------


def test_it_seals_an_event_once_its_transaction_commits(customer_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event = record_event(Action.LOGIN, actor=customer_admin)
        record_events([new_event(Action.LOGOUT, actor=customer_admin) for _ in range(3)])
        assert AuditEvent.objects.get(pk=event.pk).seq is None  # not before the commit
    assert len(callbacks) == 1  # one seal per transaction, however many events
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2, 3, 4]
    head = AuditChain.objects.get()
    assert head.seq == 4 and head.hash == AuditEvent.objects.get(seq=4).hash


def test_it_chains_each_entry_to_the_one_before(events):
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == "0" * 64
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    assert all(len(e.hash) == 64 and len(e.salt) == 32 and len(e.personal_digest) == 64 for e in events)


def test_it_seals_in_batches_and_only_what_waits(customer_admin):
    record_events([new_event(Action.LOGIN, actor=customer_admin) for _ in range(25)])
    assert chain.seal_pending(batch=10) == 25
    assert chain.seal_pending() == 0
    result = chain.verify_chain()
    assert result.ok and result.checked == 25 and result.head_seq == 25


def test_it_keeps_the_entries_unchanged_when_the_actor_or_organisation_is_deleted(
    events, customer_admin, organisation
):
    customer_admin.delete()
    organisation.delete()
    assert AuditEvent.objects.filter(actor_id=events[0].actor_id).exists()
    assert chain.verify_chain().ok


# ----------------------------------------------------------------------------------------------------
# Verification and tampering
# ----------------------------------------------------------------------------------------------------


def test_it_verifies_an_intact_chain(events):
    result = chain.verify_chain()
    assert result.ok and result.checked == 5 and result.redacted == 0
    assert (result.head_seq, result.head_hash) == (5, events[-1].hash)


def test_an_empty_log_verifies():
    result = chain.verify_chain()
    assert result.ok and result.checked == 0 and result.head_seq == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "auth.logout"),
        ("target_type", "accounts.user"),
        ("target_id", "someone-else"),
        ("at", "2020-01-01 00:00:00"),
        ("personal_digest", "0" * 64),
    ],
)
def test_it_names_the_entry_whose_content_changed(events, column, value):
    raw(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", value, db_id(events[2]))
    found = problem()
    assert found is not None and found.seq == 3 and found.event_id == events[2].pk
    assert found.kind in {"changed", "personal"}
    assert "#3" in found.describe() and str(events[2].pk) in found.describe()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_label", "mallory@evil.example"),
        ("target_label", "x"),
        ("ip", "10.0.0.1"),
        ("data", '{"x": 1}'),
    ],
)
def test_it_names_the_entry_whose_personal_fields_changed(events, column, value):
    raw(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", value, db_id(events[1]))
    found = problem()
    assert found is not None and (found.kind, found.seq) == ("personal", 2)


def test_it_names_the_entry_after_a_deleted_one(events):
    raw("DELETE FROM audit_auditevent WHERE id = %s", db_id(events[1]))
    found = problem()
    assert found is not None and (found.kind, found.seq) == ("missing", 3) and "#2 to #2" in found.detail


def test_it_notices_entries_deleted_from_the_end(events):
    raw("DELETE FROM audit_auditevent WHERE id = %s", db_id(events[-1]))
    found = problem()
    assert found is not None and found.kind == "head" and found.seq == 4


def test_it_notices_an_entry_moved_elsewhere_in_the_chain(events):
    raw("UPDATE audit_auditevent SET seq = 99 WHERE id = %s", db_id(events[1]))
    raw("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", db_id(events[2]))
    raw("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", db_id(events[1]))
    found = problem()
    assert found is not None and (found.kind, found.seq, found.event_id) == ("order", 2, events[2].pk)


def test_it_notices_an_entry_inserted_after_the_head(events):
    AuditEvent.objects.create(action=Action.LOGIN, actor_label="mallory@evil.example")
    raw("UPDATE audit_auditevent SET seq = 6, hash = %s WHERE seq IS NULL", "f" * 64)
    found = problem()
    assert found is not None and (found.kind, found.seq) == ("inserted", 6)


def test_it_notices_old_unsealed_entries(events):
    planted = AuditEvent.objects.create(action=Action.LOGIN, at=timezone.now() - datetime.timedelta(hours=1))
    found = problem()
    assert found is not None and (found.kind, found.event_id) == ("unsealed", planted.pk)
    assert chain.verify_chain(
        grace=datetime.timedelta(days=1)
    ).ok  # younger than the grace: waits to be sealed


def test_it_notices_a_chain_rewritten_after_a_verification(events):
    checkpoint = (5, events[-1].hash)
    raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", "auth.logout", db_id(events[1]))
    # Someone who knows the scheme recomputes every hash from the edited entry on.
    prev = events[0].hash
    for row in chain.chain_rows(1):
        value = chain.entry_hash(row, prev, row[chain.SEQ], row[chain.DIGEST])
        raw(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
            prev,
            value,
            row[chain.SEQ],
        )
        prev = value
    AuditChain.objects.filter(pk=1).update(hash=prev)
    assert chain.verify_chain().ok  # the chain alone cannot tell
    found = chain.verify_chain(checkpoint=checkpoint).problem
    assert found is not None and (found.kind, found.seq) == ("rewritten", 5)


# ----------------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------------


def test_the_command_prints_the_count_and_the_head(events):
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    text = out.getvalue()
    assert "5 entries checked" in text and f"Head: 5:{events[-1].hash}" in text
    run = AuditVerification.objects.get()
    assert (run.ok, run.checked, run.trigger, run.head_seq) == (True, 5, "command", 5)


def test_the_command_fails_naming_the_broken_entry(events):
    raw("UPDATE audit_auditevent SET target_id = %s WHERE id = %s", "x", db_id(events[3]))
    err = StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "verify", stderr=err)
    assert exit_.value.code == 1
    text = err.getvalue()
    assert (
        "entry #4" in text
        and str(events[3].pk) in text
        and "auth.logout" in text
        and "content was changed" in text
    )
    run = AuditVerification.objects.get()
    assert (run.ok, run.problem, run.problem_seq, run.checked) == (False, "changed", 4, 3)


def test_the_command_checks_a_head_kept_elsewhere(events):
    out = StringIO()
    call_command("audit", "verify", "--head", f"5:{events[-1].hash}", stdout=out)
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--head", f"5:{'a' * 64}", stdout=out, stderr=StringIO())
    with pytest.raises(SystemExit):
        call_command("audit", "verify", "--head", f"9:{'a' * 64}", stdout=out, stderr=StringIO())


def test_a_later_run_notices_a_rewrite_through_the_last_runs_head(events):
    call_command("audit", "verify", stdout=StringIO())
    AuditChain.objects.filter(pk=1).update(hash="e" * 64)
    raw("UPDATE audit_auditevent SET hash = %s WHERE seq = 5", "e" * 64)
    with pytest.raises(SystemExit):
        call_command("audit", "verify", stderr=StringIO())


def test_the_command_seals_first_unless_told_not_to(customer_admin):
    record_event(Action.LOGIN, actor=customer_admin)
    out = StringIO()
    call_command("audit", "verify", "--no-seal", stdout=out)
    assert "0 entries checked" in out.getvalue()
    call_command("audit", "verify", stdout=out)
    assert "1 entry" in out.getvalue() or "1 entries checked" in out.getvalue()
    call_command("audit", "seal", stdout=out)
    assert "0 entries sealed" in out.getvalue()


# ----------------------------------------------------------------------------------------------------
# Redaction
# ----------------------------------------------------------------------------------------------------


def table_text() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM audit_auditevent")
        return repr(cursor.fetchall()).lower()


def test_redacting_a_person_leaves_no_trace_of_their_email_and_the_chain_verifies(
    rf, customer_admin, customer_member, organisation
):
    email = customer_admin.email
    request = rf.get("/", REMOTE_ADDR="192.0.2.7")
    events_again = [
        record_event(Action.LOGIN, actor=customer_admin, request=request),
        record_event(Action.ROLE_CHANGED, target=customer_admin, actor_label="alice@provider.example"),
        record_event(Action.LOGIN_FAILED, actor_label=email.upper(), request=request),
        record_event(Action.INVITATION_SENT, actor=customer_member, organisation=organisation, email=email),
        record_event(Action.LOGIN, actor=customer_member),
    ]
    chain.seal_pending()
    assert email in table_text()

    count = redact_for_user(customer_admin)

    assert count == 4
    assert email not in table_text()
    untouched = AuditEvent.objects.get(pk=events_again[-1].pk)
    assert untouched.actor_label == customer_member.email and untouched.redacted_at is None
    redacted = AuditEvent.objects.get(pk=events_again[0].pk)
    assert (redacted.actor_label, redacted.target_label, redacted.ip, redacted.data, redacted.salt) == (
        "",
        "",
        None,
        {},
        "",
    )
    assert redacted.actor_id == customer_admin.pk and redacted.action == Action.LOGIN and redacted.hash
    event = AuditEvent.objects.get(action=Action.AUDIT_REDACTED)
    assert event.data == {"reason": "erasure", "count": 4} and event.actor_id is None
    result = chain.verify_chain()
    assert result.ok and result.redacted == 4 and result.checked == 5
    assert redact_for_user(customer_admin) == 0  # nothing left


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("action", "auth.logout", "changed"),
        ("at", "2020-01-01 00:00:00", "changed"),
        ("actor_id", "0" * 32, "changed"),
        ("actor_label", "carl@acme.example", "redacted"),
        ("data", '{"email": "carl@acme.example"}', "redacted"),
        ("redacted_at", None, "personal"),
    ],
)
def test_editing_a_redacted_entry_breaks_the_chain(customer_admin, column, value, kind):
    event = record_event(Action.LOGIN, actor=customer_admin)
    record_event(Action.LOGOUT, actor=customer_admin)
    chain.seal_pending()
    redact_events(AuditEvent.objects.filter(pk=event.pk), reason="test")
    if column == "actor_id" and connection.vendor != "sqlite":
        value = "00000000-0000-0000-0000-000000000000"
    raw(f"UPDATE audit_auditevent SET {column} = %s WHERE id = %s", value, db_id(event))
    found = problem()
    assert found is not None and (found.kind, found.seq, found.event_id) == (kind, 1, event.pk)


def test_an_entry_redacted_before_it_is_sealed_verifies(customer_admin):
    event = record_event(Action.LOGIN, actor=customer_admin, request=None)
    assert redact_for_user(customer_admin) == 1
    chain.seal_pending()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.seq is not None and stored.salt == "" and stored.actor_label == ""
    result = chain.verify_chain()
    assert result.ok and result.redacted == 1


def test_redacting_an_organisation_covers_its_events_only(
    events, organisation, other_organisation, provider_admin
):
    elsewhere = record_event(Action.ROLE_CHANGED, actor=provider_admin, organisation=other_organisation)
    about = record_event(Action.ORGANISATION_CREATED, actor=provider_admin, target=organisation)
    chain.seal_pending()
    assert redact_for_organisation(organisation) == 4  # three of `events`, and `about`
    assert AuditEvent.objects.get(pk=elsewhere.pk).redacted_at is None
    assert AuditEvent.objects.get(pk=about.pk).target_label == ""
    assert chain.verify_chain().ok


# ----------------------------------------------------------------------------------------------------
# Retention
# ----------------------------------------------------------------------------------------------------


def aged(days: int, action: Action = Action.LOGIN) -> AuditEvent:
    event = new_event(action, actor_label="someone@example.com")
    event.at = timezone.now() - datetime.timedelta(days=days)
    event.save(force_insert=True)
    return event


def test_purging_anchors_the_chain_so_it_still_verifies():
    for days in (900, 800, 700, 10, 1):
        aged(days)
    chain.seal_pending()
    third = AuditEvent.objects.get(seq=3)

    result = purge_events(before=timezone.now() - datetime.timedelta(days=730), batch=1)

    assert (result.deleted, result.anchor_seq) == (2, 2)
    assert sorted(AuditEvent.objects.exclude(seq=None).values_list("seq", flat=True))[:3] == [3, 4, 5]
    head = AuditChain.objects.get()
    assert (head.anchor_seq, head.purged) == (2, 2) and head.anchor_hash == third.prev_hash
    purged = AuditEvent.objects.get(action=Action.AUDIT_PURGED)
    assert purged.data["count"] == 2 and purged.actor_label == "retention"
    chain.seal_pending()
    verified = chain.verify_chain()
    assert verified.ok and verified.anchor_seq == 2 and verified.checked == 4  # 3, 4, 5 and the purge event
    assert purge_events(before=timezone.now() - datetime.timedelta(days=730)).deleted == 0


def test_the_periodic_purge_follows_the_setting(settings):
    settings.AUDIT_RETENTION_DAYS = 100
    aged(200)
    aged(50)
    assert purge_expired().deleted == 1
    assert chain.verify_chain().ok


def test_an_old_entry_behind_a_newer_one_waits(settings):
    aged(5)
    chain.seal_pending()
    aged(900)  # sealed after a newer one (an import that set its own times)
    chain.seal_pending()
    assert purge_events(before=timezone.now() - datetime.timedelta(days=730)).deleted == 0


def test_purging_refuses_to_anchor_over_a_broken_chain():
    first, _second = aged(900), aged(800)
    chain.seal_pending()
    raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", "auth.logout", db_id(first))
    with pytest.raises(ChainBrokenError) as error:
        purge_events(before=timezone.now())
    assert error.value.problem.seq == 1
    assert AuditEvent.objects.count() == 2 and AuditChain.objects.get().anchor_seq == 0


def test_verify_notices_an_entry_put_back_before_the_anchor():
    aged(900)
    aged(10)
    chain.seal_pending()
    purge_events(before=timezone.now() - datetime.timedelta(days=730))
    chain.seal_pending()
    planted = AuditEvent.objects.create(action=Action.LOGIN)
    raw("UPDATE audit_auditevent SET seq = 1 WHERE id = %s", db_id(planted))
    found = problem()
    assert found is not None and (found.kind, found.seq) == ("inserted", 1)


def test_the_purge_command(settings):
    aged(900)
    aged(10)
    out = StringIO()
    before = (timezone.localdate() - datetime.timedelta(days=730)).isoformat()
    call_command("audit", "purge", "--before", before, stdout=out)
    assert "1 entries older than" in out.getvalue() or "1 entry" in out.getvalue()
    assert chain.verify_chain().ok


@pytest.mark.parametrize("value", ["yesterday", "2026-13-45", ""])
def test_the_purge_command_refuses_a_malformed_date(value):
    aged(900)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit", "purge", "--before", value)
    assert AuditEvent.objects.count() == 1


def test_the_purge_command_keeps_the_last_30_days():
    aged(20)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="30 days"):
        call_command("audit", "purge", "--before", timezone.localdate().isoformat())
    assert AuditEvent.objects.count() == 1


# ----------------------------------------------------------------------------------------------------
# Periodic tasks and failures
# ----------------------------------------------------------------------------------------------------


def test_the_periodic_tasks_are_scheduled_and_do_their_work(settings, monkeypatch):
    from django.utils.module_loading import import_string

    from kundportal.audit import tasks

    for name in ("seal_audit_events", "purge_expired_audit_events", "verify_audit_chain_nightly"):
        assert f"kundportal.audit.tasks.{name}" in settings.PERIODIC_TASKS
        import_string(f"kundportal.audit.tasks.{name}")
    aged(1000)
    aged(1)
    assert tasks.seal_audit_events.call() == 2
    assert tasks.purge_expired_audit_events.call() == 1
    night = timezone.localtime().replace(hour=4, minute=30)
    monkeypatch.setattr(tasks, "local_now", lambda: night)
    assert tasks.verify_audit_chain_nightly.call() == 1
    assert tasks.verify_audit_chain_nightly.call() == 0  # once a night
    run = AuditVerification.objects.get()
    assert (run.ok, run.trigger, run.anchor_seq) == (True, "schedule", 1)


def test_a_failing_seal_never_breaks_the_audited_action(
    customer_admin, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs: Any) -> int:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(chain, "seal_pending", broken)
    with django_capture_on_commit_callbacks(execute=True):
        event = record_event(Action.LOGIN, actor=customer_admin)
    assert AuditEvent.objects.get(pk=event.pk).seq is None  # the catch-up seals it later
    monkeypatch.undo()
    assert chain.seal_pending() == 1 and chain.verify_chain().ok
