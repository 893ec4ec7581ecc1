"""The outbox: which batch a notification joins, when batches are due, and the worker's schedule."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from kundportal.core.management.commands.worker import enqueue_due, periodic_schedule
from kundportal.messaging.delivery import next_digest_time, send_due
from kundportal.messaging.models import Category, EmailDelivery, EmailStatus, NotificationPreference
from kundportal.messaging.notifications import notify
from kundportal.messaging.tasks import send_due_emails
from kundportal.messaging.tests.notif_fixtures import *  # noqa: F403
from kundportal.messaging.tests.notif_fixtures import later, upload, watch
from kundportal.organisations.models import Membership


def message_for(user, organisation, actor, subject="Hello"):
    return notify(
        recipients=[user],
        category=Category.MESSAGE,
        organisation=organisation,
        params={"thread": "t", "subject": subject, "author": actor.display_name, "internal": False},
        url="/messages/",
        actor=actor,
    )


def test_notifications_within_the_window_share_one_batch(
    customer_member, account_manager, organisation, settings
):
    settings.EMAIL_BATCH_SECONDS = 180
    before = timezone.now()
    first = message_for(customer_member, organisation, account_manager, "One")[0]
    second = message_for(customer_member, organisation, account_manager, "Two")[0]
    assert first.delivery_id == second.delivery_id
    batch = EmailDelivery.objects.get()
    assert batch.status == EmailStatus.COLLECTING and not batch.digest
    assert before + timedelta(seconds=179) < batch.send_after <= timezone.now() + timedelta(seconds=180)


def test_a_sent_batch_is_never_joined(customer_member, account_manager, organisation, mailoutbox):
    message_for(customer_member, organisation, account_manager, "One")
    assert send_due(now=later()) == 1
    third = message_for(customer_member, organisation, account_manager, "Three")[0]
    assert EmailDelivery.objects.count() == 2 and third.delivery.status == EmailStatus.COLLECTING
    assert send_due(now=later(3600)) == 1
    assert "Three" in mailoutbox[1].subject and "One" not in mailoutbox[1].body


def test_digest_and_immediate_go_to_separate_batches(
    customer_member, account_manager, organisation, drawings
):
    NotificationPreference.objects.create(user=customer_member, category=Category.DOCUMENT, delivery="daily")
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    message_for(customer_member, organisation, account_manager)
    assert sorted(EmailDelivery.objects.values_list("digest", flat=True)) == [False, True]


def test_the_digest_time_is_the_next_local_one(settings):
    settings.EMAIL_DIGEST_TIME = "07:00"
    zone = ZoneInfo(settings.TIME_ZONE)
    early = datetime(2026, 11, 24, 6, 30, tzinfo=zone)
    assert next_digest_time(early) == datetime(2026, 11, 24, 7, 0, tzinfo=zone)
    late = datetime(2026, 11, 24, 7, 0, tzinfo=zone)
    assert next_digest_time(late) == datetime(2026, 11, 25, 7, 0, tzinfo=zone)


def test_someone_who_lost_access_before_sending_gets_nothing(
    customer_member, account_manager, organisation, mailoutbox
):
    message_for(customer_member, organisation, account_manager)
    Membership.objects.filter(user=customer_member).delete()
    assert send_due(now=later()) == 0
    assert EmailDelivery.objects.get().status == EmailStatus.DROPPED and mailoutbox == []


def test_a_deactivated_account_gets_nothing(customer_member, account_manager, organisation, mailoutbox):
    message_for(customer_member, organisation, account_manager)
    customer_member.is_active = False
    customer_member.save()
    assert send_due(now=later()) == 0
    assert EmailDelivery.objects.get().status == EmailStatus.DROPPED


def test_the_task_sends_what_is_due(customer_member, account_manager, organisation, mailoutbox, settings):
    settings.EMAIL_BATCH_SECONDS = 0
    message_for(customer_member, organisation, account_manager)
    result = send_due_emails.enqueue()
    assert result.return_value == 1 and len(mailoutbox) == 1


def test_the_worker_queues_each_periodic_task_at_its_interval(settings, monkeypatch):
    settings.PERIODIC_TASK_SECONDS = 3600
    settings.PERIODIC_TASKS = [
        "kundportal.documents.tasks.purge_trash",
        ("kundportal.messaging.tasks.send_due_emails", 60),
    ]
    queued = []
    monkeypatch.setattr(
        "kundportal.core.management.commands.worker.import_string",
        lambda path: type("T", (), {"enqueue": staticmethod(lambda: queued.append(path))}),
    )
    schedule = periodic_schedule()
    assert schedule == [
        ("kundportal.documents.tasks.purge_trash", 3600),
        ("kundportal.messaging.tasks.send_due_emails", 60),
    ]
    next_run = {}
    assert enqueue_due(schedule, next_run, 0.0) == 60
    assert enqueue_due(schedule, next_run, 60.0) == 60
    assert enqueue_due(schedule, next_run, 120.0) == 60
    assert enqueue_due(schedule, next_run, 3600.0) == 60
    assert queued.count("kundportal.documents.tasks.purge_trash") == 2
    assert queued.count("kundportal.messaging.tasks.send_due_emails") == 4


def test_the_settings_queue_the_email_task():
    from django.conf import settings

    assert (
        "kundportal.messaging.tasks.send_due_emails",
        settings.EMAIL_TICK_SECONDS,
    ) in settings.PERIODIC_TASKS
    assert settings.EMAIL_BATCH_SECONDS == 180 and settings.EMAIL_DIGEST_TIME == "07:00"
