"""A conversation as plain text, as its reader sees it: customers' exports never hold internal notes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kundportal.messaging.access import ThreadAccess, visible_messages


def export_lines(user: Any, found: ThreadAccess) -> Iterator[str]:
    thread = found.thread
    yield f"{thread.subject}\n"
    yield _("Customer: %(name)s") % {"name": thread.organisation.name} + "\n"
    if thread.is_closed:
        yield _("Closed on %(date)s") % {"date": _when(thread.closed_at)} + "\n"
    yield "\n"
    shown = visible_messages(user, thread).select_related("author").prefetch_related("attachments__document")
    for message in shown.iterator(chunk_size=500):
        author = message.author.display_name if message.author else _("(deleted user)")
        heading = f"— {author}, {_when(message.created_at)}"
        if message.internal:
            heading += " · " + _("Internal note — customers cannot see this")
        body = message.body or _("This message was deleted when its author's account was erased.")
        yield heading + "\n\n" + body + "\n"
        for attachment in message.attachments.all():
            yield _("Attached: %(name)s") % {"name": attachment.document.name} + "\n"
        yield "\n"


def _when(moment: Any) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
