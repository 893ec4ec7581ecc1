"""Telling people what happened: notifications stored per recipient, shown in the portal and emailed.

`notify()` is what every other app calls, inside the transaction of the change it reports, so a notification
exists exactly when the change does. Emailing follows from the recipient's preferences (messaging.delivery).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kundportal.accounts.models import User
from kundportal.messaging.models import Category, Notification
from kundportal.organisations.models import Organisation


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
    `describe()` turns into a sentence in the reader's language; `url` is a path inside the portal."""
    people = {user.pk: user for user in recipients if user.is_active and (actor is None or user.pk != actor.pk)}
    return Notification.objects.bulk_create(
        Notification(
            recipient=user, organisation=organisation, category=category, params=params, url=url, actor=actor
        )
        for user in people.values()
    )
