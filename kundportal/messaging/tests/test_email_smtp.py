"""Notification emails through a real SMTP server (aiosmtpd on 127.0.0.1): batching, language, links, retries,
bounces, and never sending twice."""

import threading
import time
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import OperationalError, connection
from django.utils import translation

from kundportal.messaging.delivery import MAX_ATTEMPTS, claim_next, send_due
from kundportal.messaging.models import (
    Category,
    EmailBounce,
    EmailDelivery,
    EmailStatus,
    Notification,
    NotificationPreference,
)
from kundportal.messaging.notifications import describe, notify
from kundportal.messaging.tests.notif_fixtures import *  # noqa: F403
from kundportal.messaging.tests.notif_fixtures import later, upload, watch


def _text(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message):
    return message.get_body(preferencelist=("html",)).get_content()


def test_it_sends_one_email_in_the_recipients_language_with_a_working_link(
    smtp_mailer, customer_member, account_manager, drawings, login, settings
):
    settings.BASE_URL = "https://portal.example"
    customer_member.language = "de"
    customer_member.save()
    watch(customer_member, drawings)
    secret = b"%PDF-1.7 TOP-SECRET-CONTENT-4711"
    upload(account_manager, drawings, "plan.pdf", secret)
    version = upload(account_manager, drawings, "plan.pdf", secret + b" v2")

    assert send_due() == 0  # still inside the batching window
    assert smtp_mailer.messages == []
    assert send_due(now=later()) == 1
    assert send_due(now=later(3600)) == 0  # never twice

    [message] = smtp_mailer.messages
    assert message["To"] == customer_member.email
    text, html = _text(message), _html(message)
    assert "Guten Tag," in text and "Guten Tag," in html  # German, as mia reads the portal
    notifications = Notification.objects.filter(recipient=customer_member).order_by("created_at")
    with translation.override("de"):
        sentences = [describe(n) for n in notifications]
    assert len(sentences) == 2 and all(sentence in text for sentence in sentences)
    assert "TOP-SECRET" not in message.as_string()  # links, never contents
    assert message["Message-ID"] == f"<{notifications[0].delivery_id}@portal.example>"

    link = f"https://portal.example/documents/{version.document_id}/"
    assert link in text and link in html
    client = login(customer_member)
    response = client.get(urlsplit(link).path)
    assert response.status_code == 200
    assert response.templates[0].name == "documents/document.html"

    batch = EmailDelivery.objects.get(recipient=customer_member)
    assert batch.status == EmailStatus.SENT and batch.to == customer_member.email and batch.attempts == 1
    assert not EmailDelivery.objects.filter(recipient=account_manager).exists()  # the uploader is not told


def test_a_temporary_failure_is_retried_and_sent_once(
    smtp_mailer, customer_member, account_manager, drawings
):
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    smtp_mailer.fail_data("451 4.3.0 Try again later")

    assert send_due(now=later()) == 0
    batch = EmailDelivery.objects.get(recipient=customer_member)
    assert batch.status == EmailStatus.RETRY and "451" in batch.last_error
    assert batch.send_after > later()
    assert send_due(now=later()) == 0  # not before its backoff
    assert send_due(now=later(3 * 3600)) == 1
    assert send_due(now=later(6 * 3600)) == 0
    assert len(smtp_mailer.messages) == 1
    batch.refresh_from_db()
    assert batch.status == EmailStatus.SENT and batch.attempts == 2


def test_an_unreachable_server_is_retried_until_it_fails(
    settings, customer_member, account_manager, drawings
):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens on the discard port
        }
    }
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    hours = 0
    for _attempt in range(MAX_ATTEMPTS):
        hours += 25
        assert send_due(now=later(hours * 3600)) == 0
    batch = EmailDelivery.objects.get(recipient=customer_member)
    assert batch.status == EmailStatus.FAILED and batch.attempts == MAX_ATTEMPTS
    assert send_due(now=later((hours + 100) * 3600)) == 0
    batch.refresh_from_db()
    assert batch.attempts == MAX_ATTEMPTS  # given up: not tried again


def test_a_permanent_refusal_is_a_bounce_and_not_retried(
    smtp_mailer, customer_member, account_manager, drawings, caplog
):
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    smtp_mailer.refuse_recipients("550 5.1.1 No such user")

    assert send_due(now=later()) == 0
    batch = EmailDelivery.objects.get(recipient=customer_member)
    assert batch.status == EmailStatus.BOUNCED
    bounce = EmailBounce.objects.get(email=customer_member.email)
    assert "550" in bounce.reason
    assert "refused" in caplog.text and "550" in caplog.text
    assert send_due(now=later(86400)) == 0
    batch.refresh_from_db()
    assert batch.status == EmailStatus.BOUNCED and batch.attempts == 1

    # Later news to that address is recorded as not sent, without trying the server again.
    smtp_mailer.refuse_recipients("")
    upload(account_manager, drawings, "second.pdf")
    assert send_due(now=later(2 * 86400)) == 0
    dropped = EmailDelivery.objects.exclude(pk=batch.pk).get(recipient=customer_member)
    assert dropped.status == EmailStatus.DROPPED and "bounced" in dropped.last_error
    assert smtp_mailer.messages == []

    # A new address is not blocked by the old one's bounce.
    customer_member.email = "mia.new@acme.example"
    customer_member.save()
    upload(account_manager, drawings, "third.pdf")
    assert send_due(now=later(3 * 86400)) == 1
    assert smtp_mailer.messages[0]["To"] == "mia.new@acme.example"


def test_a_data_refusal_with_5xx_is_a_bounce(smtp_mailer, customer_member, account_manager, drawings):
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    smtp_mailer.fail_data("554 5.7.1 Rejected")
    assert send_due(now=later()) == 0
    assert EmailDelivery.objects.get(recipient=customer_member).status == EmailStatus.BOUNCED
    assert EmailBounce.objects.filter(email=customer_member.email).exists()


def test_a_batch_is_claimed_once(smtp_mailer, customer_member, account_manager, drawings):
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    now = later()
    first = claim_next(now)
    assert first is not None
    assert claim_next(now) is None  # the second worker finds nothing to do
    # A claim abandoned by a worker that died is taken over after ten minutes, once.
    takeover = later(EmailDelivery.objects.get().send_after.timestamp() - now.timestamp() + 11 * 60 + 200)
    again = claim_next(takeover)
    assert again is not None and again.pk == first.pk and again.attempts == 2
    assert claim_next(takeover) is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_it_once(smtp_mailer, customer_member, account_manager, drawings):
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    now = later()
    start = threading.Barrier(2)
    results = []

    def worker():
        try:
            start.wait()
            for _attempt in range(200):
                try:
                    results.append(send_due(now=now))
                    return
                except OperationalError as error:  # the tests' shared-cache SQLite locks tables, no waiting
                    assert "locked" in str(error)
                    time.sleep(0.01)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert len(smtp_mailer.messages) == 1


def test_the_daily_digest_goes_at_the_digest_time(
    smtp_mailer, customer_member, account_manager, drawings, settings
):
    settings.EMAIL_DIGEST_TIME = "07:00"
    NotificationPreference.objects.create(user=customer_member, category=Category.DOCUMENT, delivery="daily")
    watch(customer_member, drawings)
    upload(account_manager, drawings, "a.pdf")
    upload(account_manager, drawings, "b.pdf")
    batch = EmailDelivery.objects.get(recipient=customer_member)
    assert batch.digest
    local = batch.send_after.astimezone(ZoneInfo(settings.TIME_ZONE))
    assert (local.hour, local.minute) == (7, 0)
    assert 0 < (batch.send_after - batch.created_at).total_seconds() <= 86400

    assert send_due(now=batch.send_after - timedelta(minutes=1)) == 0
    assert send_due(now=batch.send_after) == 1
    [message] = smtp_mailer.messages
    assert "2" in message["Subject"] and "a.pdf" in _text(message) and "b.pdf" in _text(message)


def test_off_sends_nothing(smtp_mailer, customer_member, account_manager, drawings):
    NotificationPreference.objects.create(user=customer_member, category=Category.DOCUMENT, delivery="off")
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    assert Notification.objects.filter(recipient=customer_member).count() == 1  # still in the portal
    assert not EmailDelivery.objects.filter(recipient=customer_member).exists()
    assert send_due(now=later()) == 0 and smtp_mailer.messages == []


def test_turning_a_category_off_before_sending_drops_it(
    smtp_mailer, customer_member, account_manager, drawings
):
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    NotificationPreference.objects.create(user=customer_member, category=Category.DOCUMENT, delivery="off")
    assert send_due(now=later()) == 0
    assert EmailDelivery.objects.get(recipient=customer_member).status == EmailStatus.DROPPED


def test_read_before_sending_is_left_out(smtp_mailer, customer_member, account_manager, drawings):
    watch(customer_member, drawings)
    upload(account_manager, drawings, "read.pdf")
    upload(account_manager, drawings, "unread.pdf")
    Notification.objects.filter(params__document="read.pdf").update(read_at=later(0))
    assert send_due(now=later()) == 1
    text = _text(smtp_mailer.messages[0])
    assert "unread.pdf" in text and "“read.pdf”" not in text


def test_all_read_before_sending_drops_the_email(smtp_mailer, customer_member, account_manager, drawings):
    watch(customer_member, drawings)
    upload(account_manager, drawings)
    Notification.objects.update(read_at=later(0))
    assert send_due(now=later()) == 0
    assert EmailDelivery.objects.get(recipient=customer_member).status == EmailStatus.DROPPED
    assert smtp_mailer.messages == []


def test_internal_notes_never_reach_customers(
    smtp_mailer, customer_member, account_manager, provider_admin, organisation
):
    params = {"thread": "t-1", "subject": "Pricing strategy", "author": "Mads Manager", "internal": True}
    # A caller that wrongly lists a customer for an internal note: only staff get it.
    made = notify(
        recipients=[customer_member, provider_admin],
        category=Category.MESSAGE,
        organisation=organisation,
        params=params,
        url="/messages/t-1/",
        actor=account_manager,
    )
    assert [n.recipient for n in made] == [provider_admin]
    # Even a row written behind notify()'s back is neither listed nor emailed to the customer.
    batch = EmailDelivery.objects.create(recipient=customer_member, send_after=later(0))
    Notification.objects.create(
        recipient=customer_member,
        organisation=organisation,
        category=Category.MESSAGE,
        params=params,
        url="/messages/t-1/",
        delivery=batch,
    )
    assert send_due(now=later()) == 1
    assert [m["To"] for m in smtp_mailer.messages] == [provider_admin.email]
    assert "Pricing strategy" in _text(smtp_mailer.messages[0])
    batch.refresh_from_db()
    assert batch.status == EmailStatus.DROPPED


def test_a_message_notification_names_the_thread_not_the_body(
    smtp_mailer, customer_member, account_manager, organisation
):
    notify(
        recipients=[customer_member],
        category=Category.MESSAGE,
        organisation=organisation,
        params={"thread": "t-2", "subject": "Delivery dates", "author": "Mads Manager", "internal": False},
        url="/messages/t-2/",
        actor=account_manager,
    )
    assert send_due(now=later()) == 1
    [message] = smtp_mailer.messages
    assert message["Subject"] == "Mads Manager wrote in “Delivery dates”"
