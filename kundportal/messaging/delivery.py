"""The email outbox: notifications are collected into one email per person (`EmailDelivery`), sent by the worker.

Joining: `schedule()` runs inside the transaction that creates the notifications, so a notification is linked
to its batch before anything commits (never lost). A person has at most one collecting batch of each kind
(the partial unique constraint `one_collecting_email`); the batch row is locked while notifications join it,
so a worker cannot claim it in between and send it without them.

Sending: `send_due()` claims one due batch at a time with a conditional UPDATE (collecting/retry → sending),
so two workers never send the same batch (never twice); a claim older than CLAIM_TIMEOUT (a worker that
died) is taken over. Temporary failures are retried with backoff, permanent refusals of the address are
recorded as an EmailBounce and later batches to that address are dropped.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from kundportal.accounts.models import User
from kundportal.messaging.models import (
    Category,
    Delivery,
    EmailBounce,
    EmailDelivery,
    EmailStatus,
    Notification,
)
from kundportal.messaging.preferences import deliveries_for, preferences_for
from kundportal.organisations.access import is_provider_staff
from kundportal.organisations.models import Organisation

log = logging.getLogger("kundportal.messaging")

CLAIM_TIMEOUT = timedelta(minutes=10)
# Waits before the 1st, 2nd, ... retry; the last one repeats. After MAX_ATTEMPTS the batch has FAILED.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
]
MAX_ATTEMPTS = 8
SUBJECT_MAX = 300
ERROR_MAX = 500


# ---------------------------------------------------------------------------------------------------------
# Joining a batch


def next_digest_time(now: datetime) -> datetime:
    """The next EMAIL_DIGEST_TIME in the portal's time zone, strictly after `now`."""
    at = time.fromisoformat(settings.EMAIL_DIGEST_TIME)
    local = timezone.localtime(now)
    candidate = timezone.make_aware(datetime.combine(local.date(), at))
    if candidate <= now:
        candidate = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), at))
    return candidate


def _open_batch(user: User, *, digest: bool, now: datetime) -> EmailDelivery:
    """The user's collecting batch of this kind, locked until the transaction ends; created if there is none."""
    collecting = EmailDelivery.objects.select_for_update().filter(
        recipient=user, digest=digest, status=EmailStatus.COLLECTING
    )
    batch = collecting.first()
    if batch is not None:
        return batch
    send_after = next_digest_time(now) if digest else now + timedelta(seconds=settings.EMAIL_BATCH_SECONDS)
    try:
        with transaction.atomic():  # a savepoint: losing the race to another transaction is not an error
            return EmailDelivery.objects.create(recipient=user, digest=digest, send_after=send_after)
    except IntegrityError:
        return collecting.get()


def batches_for(
    users: Iterable[User], category: str, *, now: datetime | None = None
) -> dict[Any, EmailDelivery]:
    """The batch each user's notification of `category` joins (none for people who turned it off).

    Call inside the transaction that creates the notifications. Users are taken in a fixed order so two
    transactions locking the same people's batches cannot deadlock."""
    now = now or timezone.now()
    people = sorted(users, key=lambda user: str(user.pk))
    choices = deliveries_for(people, category)
    batches = {}
    for user in people:
        choice = choices[user.pk]
        if choice != Delivery.OFF:
            batches[user.pk] = _open_batch(user, digest=choice == Delivery.DAILY, now=now)
    return batches


# ---------------------------------------------------------------------------------------------------------
# Sending


def _due(now: datetime) -> Q:
    waiting = Q(status__in=[EmailStatus.COLLECTING, EmailStatus.RETRY], send_after__lte=now)
    abandoned = Q(status=EmailStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    return waiting | abandoned


def claim_next(now: datetime) -> EmailDelivery | None:
    """Take one due batch for this worker: the conditional UPDATE succeeds for exactly one claimant."""
    due = _due(now)
    for pk in EmailDelivery.objects.filter(due).order_by("send_after").values_list("pk", flat=True)[:20]:
        claimed = EmailDelivery.objects.filter(due, pk=pk).update(
            status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        if claimed:
            return EmailDelivery.objects.select_related("recipient").get(pk=pk)
    return None


def send_due(now: datetime | None = None) -> int:
    """Send every batch that is due; returns how many emails went out."""
    now = now or timezone.now()
    sent = 0
    while (batch := claim_next(now)) is not None:
        try:
            sent += _send(batch, now)
        except Exception as error:  # a bug or a database hiccup while rendering: retry later, never loop
            log.exception("email %s could not be prepared", batch.pk)
            _retry_or_fail(batch, now, error)
    return sent


@dataclass(frozen=True)
class Item:
    text: str
    link: str
    when: datetime


def absolute(path: str) -> str:
    return settings.BASE_URL + path


def _message_id(batch: EmailDelivery) -> str:
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"<{batch.pk}@{host}>"


def _finish(batch: EmailDelivery, status: str, **fields: Any) -> None:
    EmailDelivery.objects.filter(pk=batch.pk, status=EmailStatus.SENDING).update(status=status, **fields)


def _left_to_tell(batch: EmailDelivery, recipient: User) -> list[Notification]:
    """The batch's notifications still worth an email: not read in the portal meanwhile, of a category the
    recipient still wants emailed, about an organisation they can still see (and never an internal note
    for a customer, whatever a caller passed)."""
    notifications = list(
        batch.notifications.filter(read_at__isnull=True).select_related("actor").order_by("created_at")
    )
    if not notifications:
        return []
    wanted = {
        category for category, delivery in preferences_for(recipient).items() if delivery != Delivery.OFF
    }
    organisation_ids = {n.organisation_id for n in notifications if n.organisation_id}
    visible = set(
        Organisation.objects.visible_to(recipient)
        .filter(pk__in=organisation_ids)
        .values_list("pk", flat=True)
    )
    staff = is_provider_staff(recipient)
    return [
        n
        for n in notifications
        if n.category in wanted
        and (n.organisation_id is None or n.organisation_id in visible)
        and (staff or not (n.category == Category.MESSAGE and n.params.get("internal")))
    ]


def render_email(
    batch: EmailDelivery, recipient: User, notifications: list[Notification]
) -> EmailMultiAlternatives:
    """One email in the recipient's language: who did what where, with links; never contents."""
    from kundportal.messaging.notifications import describe

    with translation.override(recipient.language or settings.LANGUAGE_CODE):
        items = [Item(describe(n), absolute(n.url), n.created_at) for n in notifications]
        count = len(items)
        if batch.digest:
            subject = ngettext(
                "Your daily summary: %(count)d new notification",
                "Your daily summary: %(count)d new notifications",
                count,
            ) % {"count": count}
        elif count == 1:
            subject = items[0].text
        else:
            subject = ngettext("%(count)d new notification", "%(count)d new notifications", count) % {
                "count": count
            }
        context = {
            "items": items,
            "digest": batch.digest,
            "portal_name": settings.PORTAL_NAME,
            "portal_link": absolute(reverse("notification_list")),
            "settings_link": absolute(reverse("notification_settings")),
        }
        text = render_to_string("messaging/email/notifications.txt", context)
        html = render_to_string("messaging/email/notifications.html", context)
    subject = " ".join(subject.split())[:SUBJECT_MAX]
    message = EmailMultiAlternatives(
        subject,
        text,
        to=[recipient.email],
        headers={"Message-ID": _message_id(batch), "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _send(batch: EmailDelivery, now: datetime) -> int:
    recipient = batch.recipient
    if not recipient.is_active:
        _finish(batch, EmailStatus.DROPPED, last_error="the account is deactivated")
        return 0
    bounce = EmailBounce.objects.filter(email=recipient.email).first()
    if bounce is not None:
        # Refused for good before: another try would be refused again (and hurt the sender's reputation).
        _finish(
            batch,
            EmailStatus.DROPPED,
            to=recipient.email,
            last_error=f"bounced earlier: {bounce.reason}"[:ERROR_MAX],
        )
        return 0
    notifications = _left_to_tell(batch, recipient)
    if not notifications:
        _finish(batch, EmailStatus.DROPPED, last_error="nothing left to tell")
        return 0
    message = render_email(batch, recipient, notifications)
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            _bounce(
                batch, recipient, "; ".join(f"{code} {_text!r}" for code, _text in error.recipients.values())
            )
            return 0
        _retry_or_fail(batch, now, error)
        return 0
    except smtplib.SMTPDataError as error:
        if error.smtp_code >= 500:
            _bounce(batch, recipient, f"{error.smtp_code} {error.smtp_error!r}")
            return 0
        _retry_or_fail(batch, now, error)
        return 0
    except (OSError, smtplib.SMTPException) as error:  # connection refused, timeouts, 4xx answers
        _retry_or_fail(batch, now, error)
        return 0
    _finish(
        batch,
        EmailStatus.SENT,
        sent_at=timezone.now(),
        to=recipient.email,
        subject=message.subject,
        message_id=_message_id(batch),
        last_error="",
    )
    return 1


def _retry_or_fail(batch: EmailDelivery, now: datetime, error: BaseException) -> None:
    reason = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    if batch.attempts >= MAX_ATTEMPTS:
        log.error(
            "email %s to user %s failed after %d attempts: %s",
            batch.pk,
            batch.recipient_id,
            batch.attempts,
            reason,
        )
        _finish(batch, EmailStatus.FAILED, last_error=reason)
        return
    wait = BACKOFF[min(batch.attempts, len(BACKOFF)) - 1]
    log.warning("email %s: attempt %d failed, retrying in %s: %s", batch.pk, batch.attempts, wait, reason)
    _finish(batch, EmailStatus.RETRY, send_after=now + wait, last_error=reason)


def _bounce(batch: EmailDelivery, recipient: User, reason: str) -> None:
    reason = reason[:ERROR_MAX]
    log.warning(
        "email %s: %s refused the address of user %s for good: %s",
        batch.pk,
        "the server",
        recipient.pk,
        reason,
    )
    with transaction.atomic():
        EmailBounce.objects.update_or_create(email=recipient.email, defaults={"reason": reason})
        _finish(batch, EmailStatus.BOUNCED, to=recipient.email, last_error=reason)


def clear_bounce(email: str) -> None:
    """Forget that an address bounced (for whoever changes or fixes an address; the portal has no such
    page yet: addresses are set by invitation)."""
    EmailBounce.objects.filter(email=email.strip().lower()).delete()
