"""Use cases of conversations: start one, post a message or an internal note, read, close, reopen, search.

Pages and API call these; who may see a thread was decided before (messaging.access), what the actor may
do in it is checked here again. Each message, in one transaction: the message and its attachments, the
thread's times, the unread counts of everyone else taking part (internal notes: staff only), their
notifications, and an audit row that records that something was written, never what.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.accounts.models import User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce.models import Order
from kundportal.core.validators import refuse_card_numbers
from kundportal.customers.validators import clean_text
from kundportal.documents.models import Document, DocumentVersion
from kundportal.messaging import attachments
from kundportal.messaging.access import participants, staff_participants, visible_threads
from kundportal.messaging.markup import render_markdown
from kundportal.messaging.models import MESSAGE_MAX, SUBJECT_MAX, Category, Message, Thread, ThreadInbox
from kundportal.messaging.notifications import notify
from kundportal.offers.models import Offer
from kundportal.organisations.access import OrganisationAccess, is_provider_staff, organisation_access
from kundportal.organisations.models import Organisation

# Control characters other than line breaks and tabs: nothing a person types means them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SEARCH_MAX = 200


def clean_subject(value: Any) -> str:
    try:
        return clean_text(value, max_length=SUBJECT_MAX, required=True)
    except ValidationError as error:
        raise ValidationError({"subject": error.messages}) from None


def clean_body(value: Any) -> str:
    """The Markdown as stored: any text a person writes (raw HTML is shown as text, not refused), bounded."""
    text = "" if value is None else str(value).replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError({"body": [_("Write a message.")]}, code="required")
    if len(text) > MESSAGE_MAX:
        raise ValidationError(
            {
                "body": [
                    _(
                        "A message can be at most %(limit)d characters long (this one has %(count)d). "
                        "Send longer texts as an attached file."
                    )
                    % {"limit": MESSAGE_MAX, "count": len(text)}
                ]
            },
            code="max_length",
        )
    if _CONTROL.search(text):
        raise ValidationError({"body": [_("Remove the control characters from this text.")]}, code="control")
    try:
        refuse_card_numbers(text)
    except ValidationError as error:
        raise ValidationError({"body": error.messages}) from None
    return text


def thread_url(thread: Thread) -> str:
    return reverse("thread_detail", kwargs={"thread_id": thread.pk})


def _check_subject_matter(
    organisation: Organisation,
    document: Document | None,
    version: DocumentVersion | None,
    order: Order | None,
    offer: Offer | None,
) -> Document | None:
    """At most one thing the conversation is about, and it belongs to the organisation (callers found it
    through the access functions, so the actor sees it)."""
    if version is not None:
        if document is not None and version.document_id != document.pk:
            raise ValidationError(_("The version belongs to another document."))
        document = version.document
    if sum(thing is not None for thing in (document, order, offer)) > 1:
        raise ValidationError(_("A conversation is about one document, order or offer at most."))
    if document is not None and document.organisation_id != organisation.pk:
        raise ValidationError(_("The document belongs to another customer."))
    if order is not None and order.organisation_id != organisation.pk:
        raise ValidationError(_("The order belongs to another customer."))
    return document


def _write_access(actor: User, organisation: Organisation, *, internal: bool = False) -> OrganisationAccess:
    access = organisation_access(actor, organisation)
    if not access.can_write or (internal and not access.staff):
        raise PermissionDenied
    return access


def _deliver(*, actor: User, thread: Thread, message: Message, request: HttpRequest | None) -> None:
    """Unread counts, notifications and the audit row of a new message (inside its transaction)."""
    people = staff_participants(thread) if message.internal else participants(thread)
    others = [person for person in people if person.pk != actor.pk]
    _count_unread(thread, others)
    mark_read(user=actor, thread=thread)
    notify(
        recipients=others,
        category=Category.MESSAGE,
        organisation=thread.organisation,
        params={
            "thread": str(thread.pk),
            "subject": thread.subject,
            "author": actor.display_name,
            "internal": message.internal,
        },
        url=thread_url(thread),
        actor=actor,
    )


def _count_unread(thread: Thread, people: Sequence[User]) -> None:
    """One more unread message for each of `people`: their rows are raised, missing rows made (three
    statements, whatever the number of people)."""
    ids = {person.pk for person in people}
    if not ids:
        return
    have = set(ThreadInbox.objects.filter(thread=thread, user_id__in=ids).values_list("user_id", flat=True))
    ThreadInbox.objects.filter(thread=thread, user_id__in=have).update(unread=F("unread") + 1)
    ThreadInbox.objects.bulk_create(
        [ThreadInbox(thread=thread, user_id=pk, unread=1) for pk in ids - have], ignore_conflicts=True
    )


def _new_message(
    *,
    actor: User,
    thread: Thread,
    access: OrganisationAccess,
    body: str,
    internal: bool,
    files: Sequence[Any],
    request: HttpRequest | None,
) -> Message:
    message = Message.objects.create(
        thread=thread, author=actor, body=body, body_html=render_markdown(body), internal=internal
    )
    message.thread = thread
    message.stored_attachments = attachments.store_attachments(  # type: ignore[attr-defined]
        actor=actor, message=message, access=access, files=files, request=request
    )
    return message


def start_thread(
    *,
    actor: User,
    organisation: Organisation,
    subject: str,
    body: str,
    document: Document | None = None,
    version: DocumentVersion | None = None,
    order: Order | None = None,
    offer: Offer | None = None,
    files: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> Thread:
    """A new conversation with its first message, for everyone in the organisation who may see what it is
    about, and its account managers."""
    try:
        access = _write_access(actor, organisation)
        errors: dict[str, list[str]] = {}
        try:
            subject = clean_subject(subject)
        except ValidationError as error:
            errors.update(error.message_dict)
        try:
            body = clean_body(body)
        except ValidationError as error:
            errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)
        attachments.check_files(files)
        document = _check_subject_matter(organisation, document, version, order, offer)
        with transaction.atomic():
            now = timezone.now()
            thread = Thread.objects.create(
                organisation=organisation,
                subject=subject,
                created_by=actor,
                document=document,
                version=version,
                order=order,
                offer=offer,
                last_message_at=now,
                last_activity_at=now,
            )
            message = _new_message(
                actor=actor,
                thread=thread,
                access=access,
                body=body,
                internal=False,
                files=files,
                request=request,
            )
            record_event(
                Action.THREAD_STARTED,
                actor=actor,
                organisation=organisation,
                target=thread,
                request=request,
                message=str(message.pk),
                attachments=len(files),
            )
            _deliver(actor=actor, thread=thread, message=message, request=request)
    except BaseException:
        attachments.discard(files)
        raise
    return thread


def post_message(
    *,
    actor: User,
    thread: Thread,
    body: str,
    files: Sequence[Any] = (),
    internal: bool = False,
    request: HttpRequest | None = None,
) -> Message:
    """A reply (or, from provider staff, an internal note) in a conversation. A reply to a closed
    conversation reopens it; a note does not."""
    try:
        access = _write_access(actor, thread.organisation, internal=internal)
        body = clean_body(body)
        attachments.check_files(files)
        with transaction.atomic():
            thread = Thread.objects.select_for_update().select_related("organisation").get(pk=thread.pk)
            message = _new_message(
                actor=actor,
                thread=thread,
                access=access,
                body=body,
                internal=internal,
                files=files,
                request=request,
            )
            fields = ["last_activity_at"]
            thread.last_activity_at = message.created_at
            if not internal:
                thread.last_message_at = message.created_at
                fields.append("last_message_at")
                if thread.is_closed:
                    thread.closed_at = thread.closed_by = None
                    fields += ["closed_at", "closed_by"]
                    record_event(
                        Action.THREAD_REOPENED,
                        actor=actor,
                        organisation=thread.organisation,
                        target=thread,
                        request=request,
                        by_reply=True,
                    )
            thread.save(update_fields=fields)
            record_event(
                Action.NOTE_ADDED if internal else Action.MESSAGE_POSTED,
                actor=actor,
                organisation=thread.organisation,
                target=thread,
                request=request,
                message=str(message.pk),
                attachments=len(files),
            )
            _deliver(actor=actor, thread=thread, message=message, request=request)
    except BaseException:
        attachments.discard(files)
        raise
    return message


def mark_read(*, user: User, thread: Thread) -> None:
    """Everything in the thread is read by `user` (one statement when they took part before)."""
    now = timezone.now()
    if not ThreadInbox.objects.filter(thread=thread, user=user).update(unread=0, last_read_at=now):
        ThreadInbox.objects.bulk_create(
            [ThreadInbox(thread=thread, user=user, unread=0, last_read_at=now)],
            update_conflicts=True,
            unique_fields=["thread", "user"],
            update_fields=["unread", "last_read_at"],
        )


@transaction.atomic
def close_thread(*, actor: User, thread: Thread, request: HttpRequest | None = None) -> Thread:
    """Done for now: the conversation stays readable, and a reply reopens it."""
    _write_access(actor, thread.organisation)
    if thread.closed_at is None:
        thread.closed_at = timezone.now()
        thread.closed_by = actor
        thread.save(update_fields=["closed_at", "closed_by"])
        record_event(
            Action.THREAD_CLOSED,
            actor=actor,
            organisation=thread.organisation,
            target=thread,
            request=request,
        )
    return thread


@transaction.atomic
def reopen_thread(*, actor: User, thread: Thread, request: HttpRequest | None = None) -> Thread:
    _write_access(actor, thread.organisation)
    if thread.closed_at is not None:
        thread.closed_at = None
        thread.closed_by = None
        thread.save(update_fields=["closed_at", "closed_by"])
        record_event(
            Action.THREAD_REOPENED,
            actor=actor,
            organisation=thread.organisation,
            target=thread,
            request=request,
        )
    return thread


def search_threads(user: Any, q: str) -> QuerySet[Thread]:
    """Threads whose subject or messages contain `q`. Customers' search reads only what they may read:
    internal notes are left out in the query."""
    threads = visible_threads(user)
    q = (q or "").strip()[:SEARCH_MAX]
    if not q:
        return threads
    messages = Message.objects.filter(thread=OuterRef("pk"), body__icontains=q)
    if not is_provider_staff(user):
        messages = messages.filter(internal=False)
    return threads.filter(Q(subject__icontains=q) | Exists(messages))
