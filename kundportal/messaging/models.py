"""Conversations between a customer organisation and the provider, and the notifications that tell people.

Threads belong to one organisation and may be about one document (or one of its versions), one order or one
offer. Messages are Markdown, rendered once to cleaned HTML when written. Internal notes are messages with
`internal=True`: every customer-facing query filters them out in the query itself (messaging.access).

Unread state lives in `ThreadInbox`, one row per participant and thread, updated when a message arrives, so
the unread count is one indexed query whatever the number of threads and messages.

Notifications are stored per recipient with the facts to describe them (category, parameters, link), and
rendered in the reader's language when shown or mailed. Email goes through an outbox (`EmailDelivery`): a
notification joins its recipient's open batch, and the batch is sent once, after the batching window, by the
worker, retried on temporary failures and never sent twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundportal.core.models import UUIDModel

SUBJECT_MAX = 200
MESSAGE_MAX = 20_000  # characters of Markdown: a long letter, not a document (attach those)


class Thread(UUIDModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="threads"
    )
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # What the conversation is about (at most one of document, order, offer; a version implies its document).
    document = models.ForeignKey(
        "documents.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="threads"
    )
    version = models.ForeignKey(
        "documents.DocumentVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="threads"
    )
    offer = models.ForeignKey(
        "offers.Offer", on_delete=models.SET_NULL, null=True, blank=True, related_name="threads"
    )
    # The newest message customers can see, and the newest of all (with internal notes): lists sort on them.
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)
    last_activity_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at"]
        indexes = [
            models.Index(fields=["organisation", "-last_message_at"], name="thread_by_organisation"),
            models.Index(fields=["-last_activity_at"], name="thread_recent"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Message(UUIDModel):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    body = models.TextField(_("message"), max_length=MESSAGE_MAX)
    body_html = models.TextField(editable=False)  # body rendered and cleaned once, when written
    internal = models.BooleanField(_("internal note"), default=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "internal", "created_at"], name="message_by_thread")]

    def __str__(self) -> str:
        return self.body[:60]


class MessageAttachment(UUIDModel):
    """A file sent with a message: a document version stored by the documents service, never a loose file."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey("documents.DocumentVersion", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]


class ThreadInbox(UUIDModel):
    """A participant's place in a thread: unread messages since they last read it, and whether they follow it."""

    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="inboxes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_inboxes"
    )
    unread = models.PositiveIntegerField(default=0)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["thread", "user"], name="unique_thread_inbox")]
        indexes = [
            # The navigation's unread count: the user's rows with something unread, nothing else read.
            models.Index(fields=["user", "thread"], condition=Q(unread__gt=0), name="inbox_unread"),
        ]


class Category(models.TextChoices):
    """What a notification is about; people choose per category how (and whether) they are emailed."""

    DOCUMENT = "document", _("New documents and versions in folders I watch")
    MESSAGE = "message", _("New messages")
    OFFER_ACCEPTED = "offer_accepted", _("Offers accepted by customers")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitations accepted")
    JOB_FINISHED = "job_finished", _("Exports and imports ready")


class Delivery(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately (a few minutes' batch)")
    DAILY = "daily", _("Daily digest")
    OFF = "off", _("Off")


class Notification(UUIDModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=32, choices=Category.choices)
    # The facts, not the sentence: rendered in the reader's language (messaging.notifications.describe).
    params = models.JSONField(default=dict)
    url = models.CharField(max_length=500)  # a path inside the portal; emails make it absolute
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    delivery = models.ForeignKey(
        "EmailDelivery", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_by_recipient"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
        ]


class NotificationPreference(UUIDModel):
    """How a user wants one category emailed; without a row, NOTIFICATION_DEFAULTS applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(max_length=32, choices=Category.choices)
    delivery = models.CharField(max_length=16, choices=Delivery.choices, default=Delivery.IMMEDIATELY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="unique_notification_preference")
        ]


class FolderWatch(UUIDModel):
    """A user's choice about one folder: watching it, or (for account managers, who watch by default) not."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="folder_watches"
    )
    folder = models.ForeignKey("documents.Folder", on_delete=models.CASCADE, related_name="watches")
    watching = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "folder"], name="unique_folder_watch")]


class EmailStatus(models.TextChoices):
    COLLECTING = "collecting", _("Collecting")  # notifications still join it until send_after
    SENDING = "sending", _("Sending")  # claimed by a worker
    RETRY = "retry", _("Waiting to retry")
    SENT = "sent", _("Sent")
    BOUNCED = "bounced", _("Refused by the recipient's server")
    FAILED = "failed", _("Failed")
    DROPPED = "dropped", _("Not sent")  # nothing left to say (all read, or preferences turned off)


class EmailDelivery(UUIDModel):
    """One email to one person: a batch of notifications, sent once after `send_after`."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_deliveries"
    )
    digest = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=EmailStatus.choices, default=EmailStatus.COLLECTING)
    send_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    to = models.EmailField(blank=True)  # the address it went to, kept when sent
    subject = models.CharField(max_length=300, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    message_id = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("emails")
        indexes = [models.Index(fields=["status", "send_after"], name="email_due")]
        constraints = [
            # One open batch per person and kind: a new notification joins it instead of starting another.
            models.UniqueConstraint(
                fields=["recipient", "digest"],
                condition=Q(status="collecting"),
                name="one_collecting_email",
            )
        ]


class EmailBounce(UUIDModel):
    """An address the recipient's server refused permanently: no more email to it until it changes."""

    email = models.EmailField(unique=True)
    reason = models.CharField(max_length=500)
