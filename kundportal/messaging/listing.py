"""Lists of threads as the pages and the API show them: the user's unread count with each thread, newest
first, in one query whatever the number of threads and messages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.db.models import IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from kundportal.messaging.access import visible_threads
from kundportal.messaging.models import Thread, ThreadInbox
from kundportal.messaging.threads import search_threads
from kundportal.organisations.access import is_provider_staff

OBJECT_THREADS = 10  # shown on a document's, order's or offer's page; the rest are in the list


def with_unread(threads: QuerySet[Thread], user: Any) -> QuerySet[Thread]:
    mine = ThreadInbox.objects.filter(thread=OuterRef("pk"), user=user).values("unread")[:1]
    return threads.annotate(my_unread=Coalesce(Subquery(mine), Value(0), output_field=IntegerField()))


def newest_first(threads: QuerySet[Thread], user: Any) -> QuerySet[Thread]:
    """Staff see notes as activity; customers see only what they can read, so their order ignores notes."""
    field = "-last_activity_at" if is_provider_staff(user) else "-last_message_at"
    return threads.order_by(field, "-created_at")


def thread_rows(
    user: Any,
    *,
    q: str = "",
    status: str = "open",
    unread: bool = False,
    organisation: UUID | None = None,
) -> QuerySet[Thread]:
    threads = search_threads(user, q) if q else visible_threads(user)
    if status == "open":
        threads = threads.filter(closed_at__isnull=True)
    elif status == "closed":
        threads = threads.filter(closed_at__isnull=False)
    if organisation is not None:
        threads = threads.filter(organisation_id=organisation)
    if unread:
        threads = threads.filter(inboxes__user=user, inboxes__unread__gt=0)
    threads = with_unread(threads, user).select_related(
        "organisation", "document", "version", "order", "offer", "created_by"
    )
    return newest_first(threads, user)


def unread_count(user: Any) -> int:
    """How many threads the user sees have something they have not read."""
    return visible_threads(user).filter(inboxes__user=user, inboxes__unread__gt=0).count()


def unread_threads(user: Any, *, limit: int = 5) -> list[Thread]:
    """The dashboard's short list: threads with something unread, newest first."""
    return list(thread_rows(user, status="all", unread=True)[:limit])


def threads_about(user: Any, **about: Any) -> list[Thread]:
    """The threads about one document, order or offer (`document=...`), for that object's page."""
    threads = with_unread(visible_threads(user).filter(**about), user).select_related("created_by")
    return list(newest_first(threads, user)[:OBJECT_THREADS])


def object_threads(user: Any, *, can_start: bool, start: dict[str, Any], **about: Any) -> dict[str, Any]:
    """What `messaging/_object_threads.html` needs on an object's page: its threads (one query) and the link
    that starts a conversation about it (`start` are the parameters of the new-thread page)."""
    return {
        "object_threads": threads_about(user, **about),
        "new_thread_url": reverse("thread_create") + "?" + urlencode(start),
        "can_start_thread": can_start,
    }
