"""Conversations API: threads, messages and internal notes (staff only), read state, close and reopen.
The same access rules (access.py) and services (threads.py) as the pages."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kundportal.commerce.access import get_order_for_user
from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.documents.access import get_document_for_user, get_version_for_user
from kundportal.messaging import threads
from kundportal.messaging.access import get_thread_for_user, visible_messages
from kundportal.messaging.listing import thread_rows, with_unread
from kundportal.messaging.models import SUBJECT_MAX, Message, MessageAttachment, Thread
from kundportal.offers.access import get_offer_for_user
from kundportal.organisations.access import get_organisation_for_user, is_provider_staff

router = Router(tags=["messages"])


class ThreadOut(Schema):
    id: UUID
    organisation_id: UUID
    organisation_name: str
    subject: str
    document_id: UUID | None
    version: int | None = Field(description="The document version the conversation is about, if one")
    order_id: UUID | None
    offer_id: UUID | None
    created_by: str | None
    created_at: datetime
    last_message_at: datetime
    closed_at: datetime | None
    unread: int = Field(description="Messages in it you have not read")
    url: str

    @staticmethod
    def resolve_organisation_name(thread: Thread) -> str:
        return thread.organisation.name

    @staticmethod
    def resolve_version(thread: Thread) -> int | None:
        return thread.version.number if thread.version_id else None

    @staticmethod
    def resolve_created_by(thread: Thread) -> str | None:
        return thread.created_by.display_name if thread.created_by else None

    @staticmethod
    def resolve_unread(thread: Thread) -> int:
        return getattr(thread, "my_unread", 0)

    @staticmethod
    def resolve_url(thread: Thread) -> str:
        return threads.thread_url(thread)


class ThreadAttachmentOut(Schema):
    document_id: UUID
    version: int
    name: str
    size: int


class ThreadMessageOut(Schema):
    id: UUID
    author: str | None
    author_is_staff: bool
    body: str = Field(description="Markdown, as written")
    body_html: str = Field(description="The Markdown rendered and cleaned (links, lists, emphasis only)")
    internal: bool = Field(description="An internal note: provider staff only")
    created_at: datetime
    attachments: list[ThreadAttachmentOut]

    @staticmethod
    def resolve_author(message: Message) -> str | None:
        return message.author.display_name if message.author else None

    @staticmethod
    def resolve_author_is_staff(message: Message) -> bool:
        return bool(message.author and message.author.provider_role)

    @staticmethod
    def resolve_attachments(message: Message) -> list[dict[str, Any]]:
        return [
            {
                "document_id": attachment.document_id,
                "version": attachment.version.number,
                "name": attachment.document.name,
                "size": attachment.version.plaintext_size,
            }
            for attachment in message.attachments.all()
        ]


class ThreadFilter(Schema):
    q: str = Field(default="", max_length=200, description="Words in the subject or the messages")
    status: Literal["open", "closed", "all"] = "all"
    organisation: UUID | None = None
    unread: bool = False


class ThreadIn(InputSchema):
    organisation_id: UUID
    subject: str = Field(max_length=SUBJECT_MAX)
    body: str = Field(description="Markdown")
    document_id: UUID | None = None
    version: int | None = Field(default=None, description="A version number of the document")
    order_id: UUID | None = None
    offer_id: UUID | None = None


class ThreadMessageIn(InputSchema):
    body: str = Field(description="Markdown")


def _named(field: str, find: Any, *args: Any) -> Any:
    """An object named in a request body: one the user does not see is invalid input (422)."""
    try:
        return find(*args)
    except Http404:
        raise ValidationError({field: ["Not found."]}) from None


def _thread(request: HttpRequest, thread_id: UUID) -> Thread:
    thread = with_unread(
        Thread.objects.select_related("organisation", "version", "created_by"), request.user
    ).get(pk=thread_id)
    return thread


def _messages(request: HttpRequest, thread: Thread) -> QuerySet[Message]:
    return (
        visible_messages(request.user, thread)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", MessageAttachment.objects.select_related("document", "version"))
        )
    )


@router.get("/threads", response=list[ThreadOut], summary="Conversations you see, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_threads(request: HttpRequest, filters: Query[ThreadFilter]) -> QuerySet[Thread]:
    return thread_rows(
        request.user,
        q=filters.q,
        status=filters.status,
        unread=filters.unread,
        organisation=filters.organisation,
    )


@router.post("/threads", response={201: ThreadOut}, summary="Start a conversation with its first message")
def create_thread(request: HttpRequest, payload: ThreadIn) -> Status:
    user = request.user
    access = _named("organisation_id", get_organisation_for_user, user, payload.organisation_id)
    about: dict[str, Any] = {}
    if payload.document_id:
        about["document"], _folder = _named("document_id", get_document_for_user, user, payload.document_id)
        if payload.version is not None:
            about["version"], _document = _named(
                "version", get_version_for_user, user, payload.document_id, payload.version
            )
    if payload.order_id:
        about["order"] = _named("order_id", get_order_for_user, user, payload.order_id)
    if payload.offer_id:
        organisation_id = None if is_provider_staff(user) else payload.organisation_id
        found = _named(
            "offer_id", lambda: get_offer_for_user(user, payload.offer_id, organisation_id=organisation_id)
        )
        about["offer"] = found.offer
    thread = threads.start_thread(
        actor=user,
        organisation=access.organisation,
        subject=payload.subject,
        body=payload.body,
        request=request,
        **about,
    )
    return Status(201, _thread(request, thread.pk))


@router.get("/threads/{thread_id}", response=ThreadOut)
def get_thread(request: HttpRequest, thread_id: UUID) -> Thread:
    found = get_thread_for_user(request.user, thread_id)
    return _thread(request, found.thread.pk)


@router.get(
    "/threads/{thread_id}/messages",
    response=list[ThreadMessageOut],
    summary="The messages, oldest first (provider staff also get the internal notes, marked)",
)
@paginate(BoundedLimitOffsetPagination)
def list_thread_messages(request: HttpRequest, thread_id: UUID) -> QuerySet[Message]:
    found = get_thread_for_user(request.user, thread_id)
    return _messages(request, found.thread)


@router.post("/threads/{thread_id}/messages", response={201: ThreadMessageOut}, summary="Reply")
def post_thread_message(request: HttpRequest, thread_id: UUID, payload: ThreadMessageIn) -> Status:
    found = get_thread_for_user(request.user, thread_id, write=True)
    message = threads.post_message(
        actor=request.user, thread=found.thread, body=payload.body, request=request
    )
    return Status(201, _messages(request, found.thread).get(pk=message.pk))


@router.get(
    "/threads/{thread_id}/notes",
    response=list[ThreadMessageOut],
    summary="The internal notes (provider staff only)",
)
@paginate(BoundedLimitOffsetPagination)
def list_thread_notes(request: HttpRequest, thread_id: UUID) -> QuerySet[Message]:
    found = get_thread_for_user(request.user, thread_id)
    if not found.staff:
        raise Http404  # customers are not told that notes exist
    return _messages(request, found.thread).filter(internal=True)


@router.post(
    "/threads/{thread_id}/notes",
    response={201: ThreadMessageOut},
    summary="Add an internal note (provider staff only; customers never see it)",
)
def add_thread_note(request: HttpRequest, thread_id: UUID, payload: ThreadMessageIn) -> Status:
    found = get_thread_for_user(request.user, thread_id, write=True)
    if not found.staff:
        raise PermissionDenied
    message = threads.post_message(
        actor=request.user, thread=found.thread, body=payload.body, internal=True, request=request
    )
    return Status(201, _messages(request, found.thread).get(pk=message.pk))


@router.post("/threads/{thread_id}/read", response=ThreadOut, summary="Mark everything in it as read")
def read_thread(request: HttpRequest, thread_id: UUID) -> Thread:
    found = get_thread_for_user(request.user, thread_id)
    threads.mark_read(user=request.user, thread=found.thread)
    return _thread(request, found.thread.pk)


@router.post("/threads/{thread_id}/close", response=ThreadOut)
def close_thread(request: HttpRequest, thread_id: UUID) -> Thread:
    found = get_thread_for_user(request.user, thread_id, write=True)
    threads.close_thread(actor=request.user, thread=found.thread, request=request)
    return _thread(request, found.thread.pk)


@router.post("/threads/{thread_id}/reopen", response=ThreadOut)
def reopen_thread(request: HttpRequest, thread_id: UUID) -> Thread:
    found = get_thread_for_user(request.user, thread_id, write=True)
    threads.reopen_thread(actor=request.user, thread=found.thread, request=request)
    return _thread(request, found.thread.pk)
