"""Telling people what happened: notifications stored per recipient, shown in the portal and emailed.

`notify()` is what every other app calls, inside the transaction of the change it reports, so a notification
exists exactly when the change does. Emailing follows from the recipient's preferences (messaging.delivery):
each notification is linked to its recipient's email batch in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.accounts.models import User
from kundportal.messaging import delivery
from kundportal.messaging.models import Category, Notification
from kundportal.organisations.access import is_provider_staff
from kundportal.organisations.models import Organisation


@transaction.atomic
def notify(
    *,
    recipients: Iterable[User],
    category: Category,
    organisation: Organisation | None,
    params: dict[str, Any],
    url: str,
    actor: User | None = None,
) -> list[Notification]:
    """One notification per recipient (never the actor themself); `params` are the JSON-safe facts that
    `describe()` turns into a sentence in the reader's language; `url` is a path inside the portal.

    Each notification joins its recipient's email batch (or none, if they turned the category off)."""
    people = {
        user.pk: user for user in recipients if user.is_active and (actor is None or user.pk != actor.pk)
    }
    if category == Category.MESSAGE and params.get("internal"):
        # Internal notes are for provider staff only, whoever the caller listed.
        people = {pk: user for pk, user in people.items() if is_provider_staff(user)}
    if not people:
        return []
    batches = delivery.batches_for(people.values(), category)
    return Notification.objects.bulk_create(
        Notification(
            recipient=user,
            organisation=organisation,
            category=category,
            params=params,
            url=url,
            actor=actor,
            delivery=batches.get(user.pk),
        )
        for user in people.values()
    )


def _quoted(value: object) -> str:
    return str(value or "")


def describe(notification: Notification) -> str:
    """One sentence in the active language, from the notification's facts: who did what, where."""
    params = notification.params or {}
    get = lambda key: _quoted(params.get(key))  # noqa: E731
    match notification.category:
        case Category.DOCUMENT:
            if int(params.get("version") or 1) <= 1:
                return _("New document “%(document)s” in %(folder)s") % {
                    "document": get("document"),
                    "folder": get("folder"),
                }
            return _("New version %(version)s of “%(document)s” in %(folder)s") % {
                "version": get("version"),
                "document": get("document"),
                "folder": get("folder"),
            }
        case Category.MESSAGE:
            if params.get("internal"):
                return _("%(author)s added an internal note in “%(thread)s”") % {
                    "author": get("author"),
                    "thread": get("subject"),
                }
            return _("%(author)s wrote in “%(thread)s”") % {"author": get("author"), "thread": get("subject")}
        case Category.OFFER_ACCEPTED:
            return _("%(organisation)s accepted your offer “%(offer)s”") % {
                "organisation": get("organisation"),
                "offer": get("offer"),
            }
        case Category.INVITATION_ACCEPTED:
            if params.get("organisation"):
                return _("%(person)s accepted the invitation to %(organisation)s") % {
                    "person": get("person"),
                    "organisation": get("organisation"),
                }
            return _("%(person)s accepted the invitation to join the provider's staff") % {
                "person": get("person")
            }
        case Category.JOB_FINISHED:
            if params.get("job") == "export":
                return _("Your export is ready")
            if params.get("ok"):
                return _("Your import of “%(file)s” was applied") % {"file": get("file")}
            return _("Your import of “%(file)s” could not be applied") % {"file": get("file")}
    return _("Something new happened in the portal")


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's notifications, newest first. Internal notes never reach customers (notify() sees to that;
    this filter says so again in the query, where a template cannot forget it)."""
    notifications = Notification.objects.filter(recipient=user)
    if not is_provider_staff(user):
        notifications = notifications.exclude(Q(category=Category.MESSAGE) & Q(params__internal=True))
    return notifications.order_by("-created_at", "-id")


def unread_count(user: Any) -> int:
    """One indexed count (the partial index on unread notifications)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(user: Any, ids: Iterable[Any] | None = None, *, now: datetime | None = None) -> int:
    """Mark the user's notifications read: all, or those of `ids` (ids of others' notifications are simply
    not found). Returns how many changed."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now or timezone.now())
