"""Retention rules: unused invitations, read notifications and the email log go after their periods; what is
still needed stays. The records page lists every rule with its configured period."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kundportal.messaging.models import Category, EmailDelivery, EmailStatus, Notification
from kundportal.organisations.models import Invitation
from kundportal.privacy.retention import RULES, apply_retention
from kundportal.privacy.tasks import apply_retention as retention_task

pytestmark = pytest.mark.django_db


def _invitation(organisation, email, **fields):
    defaults = {"role": "member", "token_hash": email, "expires_at": timezone.now() + timedelta(days=7)}
    return Invitation.objects.create(organisation=organisation, email=email, **{**defaults, **fields})


def test_unused_invitations_go_after_the_period_and_open_or_accepted_ones_stay(settings, organisation):
    settings.INVITATION_RETENTION_DAYS = 90
    now = timezone.now()
    long_expired = _invitation(organisation, "old@x.example", expires_at=now - timedelta(days=91))
    recently_expired = _invitation(organisation, "new@x.example", expires_at=now - timedelta(days=10))
    long_revoked = _invitation(organisation, "rev@x.example", revoked_at=now - timedelta(days=100))
    accepted = _invitation(
        organisation,
        "yes@x.example",
        expires_at=now - timedelta(days=200),
        accepted_at=now - timedelta(days=201),
    )
    open_one = _invitation(organisation, "open@x.example")

    assert apply_retention(now)["invitations"] == 2
    left = set(Invitation.objects.values_list("pk", flat=True))
    assert left == {recently_expired.pk, accepted.pk, open_one.pk}
    assert long_expired.pk not in left and long_revoked.pk not in left


def test_read_notifications_and_finished_emails_go_after_their_periods(settings, customer_member):
    settings.NOTIFICATION_RETENTION_DAYS = 365
    settings.EMAIL_LOG_RETENTION_DAYS = 90
    now = timezone.now()
    old_sent = EmailDelivery.objects.create(
        recipient=customer_member,
        status=EmailStatus.SENT,
        send_after=now - timedelta(days=100),
        to="m@x.example",
    )
    waiting = EmailDelivery.objects.create(
        recipient=customer_member, status=EmailStatus.RETRY, send_after=now - timedelta(days=100)
    )

    def note(read_days_ago, delivery=None):
        read_at = None if read_days_ago is None else now - timedelta(days=read_days_ago)
        return Notification.objects.create(
            recipient=customer_member, category=Category.MESSAGE, url="/", read_at=read_at, delivery=delivery
        )

    old_read, unread, recent = note(400, old_sent), note(None), note(10)

    counts = retention_task.call()
    assert counts["notifications"] == 1 and counts["email_log"] == 1
    assert set(Notification.objects.values_list("pk", flat=True)) == {unread.pk, recent.pk}
    assert list(EmailDelivery.objects.values_list("pk", flat=True)) == [waiting.pk]
    assert not Notification.objects.filter(pk=old_read.pk).exists()


def test_the_records_page_lists_every_rule_with_its_period(login, provider_admin, settings):
    settings.INVITATION_RETENTION_DAYS = 42
    page = login(provider_admin).get("/privacy/records/").content.decode()
    assert "Retention rules" in page
    for rule in RULES:
        assert rule.describe() in page
    assert "after 42 days" in page


def test_finished_task_results_go_after_a_week_and_queued_ones_stay(settings):
    from django_tasks_db.models import DBTaskResult

    from kundportal.messaging.tasks import send_due_emails

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASK_RESULT_RETENTION_DAYS = 7
    old, queued = send_due_emails.enqueue(), send_due_emails.enqueue()
    DBTaskResult.objects.filter(pk=old.id).update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=8)
    )
    assert apply_retention()["task_results"] == 1
    assert [str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)] == [str(queued.id)]
