"""Retention rules: personal data the portal no longer needs is deleted on schedule (GDPR Art. 5(1)(e)).

Each rule names what it deletes, after how long (a setting, so the provider configures it through the
environment) and the function that applies it. Rules kept by other apps run from their own tasks and are listed
here too, so the records-of-processing page shows every rule in one table: the trash purge (documents), expired
data exports (privacy.exports) and old audit entries (audit.retention, anchored so the chain still verifies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from kundportal.messaging.models import EmailDelivery, EmailStatus, Notification
from kundportal.organisations.models import Invitation


@dataclass(frozen=True)
class Rule:
    key: str
    what: Promise
    setting: str  # the Django setting that holds the period
    unit: str  # "days" or "hours"
    apply: Callable[[datetime], int] | None = None  # None: applied by its own app's task

    @property
    def period(self) -> int:
        return int(getattr(settings, self.setting))

    def describe(self) -> str:
        if self.unit == "hours":
            return str(_("%(what)s: after %(n)s hours") % {"what": self.what, "n": self.period})
        return str(_("%(what)s: after %(n)s days") % {"what": self.what, "n": self.period})


def purge_invitations(now: datetime) -> int:
    """Invitations never used, ended (expired or revoked) longer ago than the period: they hold an address."""
    before = now - timedelta(days=settings.INVITATION_RETENTION_DAYS)
    unused = Invitation.objects.filter(accepted_at__isnull=True).filter(
        Q(revoked_at__lt=before) | Q(revoked_at__isnull=True, expires_at__lt=before)
    )
    return unused.delete()[0]


def purge_notifications(now: datetime) -> int:
    before = now - timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    return Notification.objects.filter(read_at__lt=before).delete()[0]


def purge_email_log(now: datetime) -> int:
    """Finished emails (sent, bounced, failed, dropped): the address and subject they record."""
    before = now - timedelta(days=settings.EMAIL_LOG_RETENTION_DAYS)
    finished = [EmailStatus.SENT, EmailStatus.BOUNCED, EmailStatus.FAILED, EmailStatus.DROPPED]
    old = EmailDelivery.objects.filter(status__in=finished, send_after__lt=before)
    Notification.objects.filter(delivery__in=old).update(delivery=None)
    return old.delete()[0]


def purge_task_results(now: datetime) -> int:
    """Finished background task results (the worker queues the email task every minute; their arguments can
    name people's ids)."""
    before = now - timedelta(days=settings.TASK_RESULT_RETENTION_DAYS)
    return DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()[0]


RULES = [
    Rule("trash", _("Documents in the trash are deleted for good"), "TRASH_RETENTION_DAYS", "days"),
    Rule("exports", _("Prepared data downloads are deleted"), "DATA_EXPORT_HOURS", "hours"),
    Rule(
        "audit",
        _("Audit log entries are deleted (the chain stays verifiable)"),
        "AUDIT_RETENTION_DAYS",
        "days",
    ),
    Rule(
        "invitations",
        _("Invitations that were never used are deleted after they ended"),
        "INVITATION_RETENTION_DAYS",
        "days",
        purge_invitations,
    ),
    Rule(
        "notifications",
        _("Notifications already read are deleted"),
        "NOTIFICATION_RETENTION_DAYS",
        "days",
        purge_notifications,
    ),
    Rule(
        "email_log",
        _("The record of emails sent (address and subject) is deleted"),
        "EMAIL_LOG_RETENTION_DAYS",
        "days",
        purge_email_log,
    ),
    Rule(
        "task_results",
        _("Results of finished background tasks are deleted"),
        "TASK_RESULT_RETENTION_DAYS",
        "days",
        purge_task_results,
    ),
]


def apply_retention(now: datetime | None = None) -> dict[str, int]:
    """The rules this module applies itself; how many rows each deleted."""
    now = now or timezone.now()
    return {rule.key: rule.apply(now) for rule in RULES if rule.apply is not None}
