"""Conversations, messages, notifications and the email outbox.

What is personal: what a person wrote (their messages), what the portal told them (their notifications, the
emails sent to their address), their reading state, preferences and folder watches. A conversation of a company
belongs to the company and to the provider's staff who take part in it.

Exported for a person: their messages (with the conversation's subject), the conversations they started, the
customer-visible messages of the private customers they belong to, their notifications, emails, preferences and
watches. Internal notes of the provider's staff are not exported (the portal never shows them to customers).

Erased for a person, in a conversation that stays for the other side: each message they wrote keeps its place
and time but loses its text and attachments (the page shows it as deleted; the attached files follow the
documents rule: a company's stay, as its documents). Their name and email are scrubbed from conversation
subjects, from other people's messages in their organisations' conversations, and from notifications and emails
that name them as the one who acted. Their own notifications, inboxes, preferences, watches, emails and a bounce
of their address are deleted. For an organisation: its conversations with all messages, and every notification
about it, are deleted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kundportal.privacy.registry import (
    ErasureReport,
    ExportWriter,
    Source,
    Subject,
    erase_in_two_parts,
    register,
)
from kundportal.privacy.subjects import (
    exported_organisations,
    identifiers,
    rows,
    scrub,
    scrub_json,
    text_mentions,
)


def export(subject: Subject, writer: ExportWriter) -> None:
    from kundportal.messaging.models import (
        EmailDelivery,
        FolderWatch,
        Message,
        Notification,
        NotificationPreference,
        Thread,
    )

    organisations = exported_organisations(subject)
    visible = Q(thread__organisation__in=organisations, internal=False)
    if subject.user is not None:
        visible |= Q(author=subject.user)
    writer.records(
        "messaging.messages",
        rows(
            Message.objects.filter(visible).order_by("thread", "created_at"),
            "created_at",
            "body",
            "thread",
            thread_subject=F("thread__subject"),
        ),
    )
    threads = Thread.objects.filter(organisation__in=organisations)
    if subject.user is not None:
        threads = Thread.objects.filter(Q(organisation__in=organisations) | Q(created_by=subject.user))
    writer.records("messaging.threads", rows(threads, "id", "subject", "created_at", "closed_at"))
    if subject.user is None:
        return
    user = subject.user
    writer.records(
        "messaging.notifications",
        rows(
            Notification.objects.filter(recipient=user), "category", "params", "url", "created_at", "read_at"
        ),
    )
    writer.records(
        "messaging.emails",
        rows(
            EmailDelivery.objects.filter(recipient=user), "to", "subject", "status", "sent_at", "created_at"
        ),
    )
    writer.records(
        "messaging.preferences",
        rows(NotificationPreference.objects.filter(user=user), "category", "delivery"),
    )
    writer.records(
        "messaging.folder_watches",
        rows(FolderWatch.objects.filter(user=user), "watching", folder_name=F("folder__name")),
    )


def _erase_organisation(organisation: Any, report: ErasureReport) -> None:
    from kundportal.messaging.models import Message, Notification, Thread

    report.count("messaging.messages", Message.objects.filter(thread__organisation=organisation).count())
    report.count("messaging.threads", Thread.objects.filter(organisation=organisation).delete()[0])
    report.count(
        "messaging.notifications", Notification.objects.filter(organisation=organisation).delete()[0]
    )


def _erase_person(user: Any, report: ErasureReport) -> None:
    from kundportal.messaging.models import (
        EmailBounce,
        EmailDelivery,
        FolderWatch,
        Message,
        MessageAttachment,
        Notification,
        NotificationPreference,
        Thread,
        ThreadInbox,
    )

    needles = identifiers(user)
    written = Message.objects.filter(author=user)
    report.count("messaging.attachments", MessageAttachment.objects.filter(message__in=written).delete()[0])
    report.count("messaging.messages", written.update(author=None, body="", body_html=""))
    organisations = user.memberships.values("organisation_id")
    for message in Message.objects.filter(thread__organisation__in=organisations).filter(
        text_mentions("body", needles) | text_mentions("body_html", needles)
    ):
        Message.objects.filter(pk=message.pk).update(
            body=scrub(message.body, needles), body_html=scrub(message.body_html, needles)
        )
        report.count("messaging.messages", 1, anonymised=True)
    for thread in Thread.objects.filter(text_mentions("subject", needles)):
        Thread.objects.filter(pk=thread.pk).update(subject=scrub(thread.subject, needles))
        report.count("messaging.threads", 1, anonymised=True)
    Thread.objects.filter(created_by=user).update(created_by=None)
    Thread.objects.filter(closed_by=user).update(closed_by=None)
    for notification in Notification.objects.filter(actor=user).exclude(recipient=user):
        Notification.objects.filter(pk=notification.pk).update(
            actor=None, params=scrub_json(notification.params, needles)
        )
        report.count("messaging.notifications", 1, anonymised=True)
    for delivery in EmailDelivery.objects.exclude(recipient=user).filter(text_mentions("subject", needles)):
        EmailDelivery.objects.filter(pk=delivery.pk).update(subject=scrub(delivery.subject, needles))
        report.count("messaging.emails", 1, anonymised=True)
    report.count("messaging.notifications", Notification.objects.filter(recipient=user).delete()[0])
    report.count("messaging.emails", EmailDelivery.objects.filter(recipient=user).delete()[0])
    report.count("messaging.inboxes", ThreadInbox.objects.filter(user=user).delete()[0])
    report.count("messaging.preferences", NotificationPreference.objects.filter(user=user).delete()[0])
    report.count("messaging.folder_watches", FolderWatch.objects.filter(user=user).delete()[0])
    EmailBounce.objects.filter(email__iexact=user.email).delete()


register(
    Source(
        key="messaging",
        models=(
            "messaging.thread",
            "messaging.message",
            "messaging.messageattachment",
            "messaging.threadinbox",
            "messaging.notification",
            "messaging.notificationpreference",
            "messaging.folderwatch",
            "messaging.emaildelivery",
            "messaging.emailbounce",
        ),
        export=export,
        erase=erase_in_two_parts(organisation=_erase_organisation, person=_erase_person),
        categories=_(
            "Messages and their attachments, notifications, emails sent (address and subject), notification "
            "preferences, watched folders"
        ),
        purpose=_("Conversations between the customer and the provider; telling people what happened"),
        retention=_(
            "Conversations while the customer relationship lasts; notifications and sent emails while the "
            "account exists"
        ),
        recipients=_("Provider staff; the customer's members; the email provider"),
        order=200,
    )
)
