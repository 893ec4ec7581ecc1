"""API: notifications, their count, marking them read, email preferences and watched folders. The same
services as the pages (notifications, preferences, watches) under the same access rules."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field, model_validator

from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Folder
from kundportal.messaging import preferences, watches
from kundportal.messaging.models import Delivery, Notification
from kundportal.messaging.notification_pages import badge_counts
from kundportal.messaging.notifications import describe, mark_read, notifications_for

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: UUID
    category: str = Field(
        description="document, message, offer_accepted, invitation_accepted or job_finished"
    )
    text: str = Field(description="What happened, in the reader's language")
    url: str = Field(description="Where to look, a path in the portal")
    organisation_id: UUID | None
    created_at: datetime
    read_at: datetime | None

    @staticmethod
    def resolve_text(notification: Notification) -> str:
        return describe(notification)


class NotificationFilter(Schema):
    unread: bool = Field(default=False, description="Only notifications not read yet")


class NotificationCountOut(Schema):
    notifications: int = Field(description="Unread notifications")
    threads: int = Field(description="Conversations with unread messages")


class NotificationReadIn(InputSchema):
    ids: list[UUID] | None = Field(default=None, max_length=500, description="The notifications to mark read")
    all: bool = Field(default=False, description="Mark every notification read")

    @model_validator(mode="after")
    def _one_of(self) -> "NotificationReadIn":
        if bool(self.ids) == self.all:
            raise ValueError("Give either `ids` or `all: true`.")
        return self


class NotificationReadOut(Schema):
    marked: int = Field(description="How many were unread and are read now")


class NotificationPreferencesSchema(Schema):
    document: Delivery | None = None
    message: Delivery | None = None
    offer_accepted: Delivery | None = None
    invitation_accepted: Delivery | None = None
    job_finished: Delivery | None = None


class NotificationPreferencesIn(InputSchema, NotificationPreferencesSchema):
    """Only the categories given change."""


class NotificationPreferencesOut(NotificationPreferencesSchema):
    """Every category with its delivery: immediately, daily or off."""


class WatchedFolderOut(Schema):
    id: UUID
    name: str
    organisation_id: UUID
    organisation_name: str

    @staticmethod
    def resolve_organisation_name(folder: Folder) -> str:
        return folder.organisation.name


class FolderWatchOut(Schema):
    folder_id: UUID
    watching: bool


@router.get("/notifications", response=list[NotificationOut], summary="Your notifications, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> QuerySet[Notification]:
    # The queryset itself: the paginator counts and slices it in SQL; `text` is described per row.
    notifications = notifications_for(request.user)
    if filters.unread:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


@router.get(
    "/notifications/count",
    response=NotificationCountOut,
    summary="Unread notifications and conversations",
    description="What the navigation badge shows. One query.",
)
def count_notifications(request: HttpRequest) -> dict[str, int]:
    notifications, threads = badge_counts(request.user)
    return {"notifications": notifications, "threads": threads}


@router.post("/notifications/read", response=NotificationReadOut, summary="Mark notifications read")
def read_notifications(request: HttpRequest, data: NotificationReadIn) -> dict[str, int]:
    # Ids of other people's notifications are simply not found: nothing of theirs changes.
    marked = mark_read(request.user, None if data.all else data.ids)
    return {"marked": marked}


@router.get(
    "/me/notification-preferences",
    response=NotificationPreferencesOut,
    summary="How each kind of notification is emailed to you",
)
def get_notification_preferences(request: HttpRequest) -> dict[str, str]:
    return preferences.preferences_for(request.user)


@router.put(
    "/me/notification-preferences",
    response=NotificationPreferencesOut,
    summary="Choose how each kind of notification is emailed to you",
    description="`immediately` (a few minutes' batch), `daily` (a summary at the digest time) or `off`. "
    "Categories left out keep their setting.",
)
def put_notification_preferences(request: HttpRequest, data: NotificationPreferencesIn) -> dict[str, str]:
    choices = {category: str(value) for category, value in data.model_dump().items() if value is not None}
    if not choices:
        raise ValidationError({"__all__": [_("Name at least one category.")]})
    return preferences.update_preferences(actor=request.user, choices=choices)


@router.get("/me/watched-folders", response=list[WatchedFolderOut], summary="The folders you watch")
@paginate(BoundedLimitOffsetPagination)
def list_watched_folders(request: HttpRequest) -> QuerySet[Folder]:
    return (
        watches.watched_folders(request.user)
        .select_related("organisation")
        .order_by("organisation__name", "name", "pk")
    )


@router.put("/folders/{uuid:folder_id}/watch", response=FolderWatchOut, summary="Watch a folder")
def watch_folder(request: HttpRequest, folder_id: UUID) -> dict[str, object]:
    folder = get_folder_for_user(request.user, folder_id)
    watching = watches.set_watch(user=request.user, folder=folder, watching=True)
    return {"folder_id": folder.folder.pk, "watching": watching}


@router.delete("/folders/{uuid:folder_id}/watch", response=FolderWatchOut, summary="Stop watching a folder")
def unwatch_folder(request: HttpRequest, folder_id: UUID) -> dict[str, object]:
    folder = get_folder_for_user(request.user, folder_id)
    watching = watches.set_watch(user=request.user, folder=folder, watching=False)
    return {"folder_id": folder.folder.pk, "watching": watching}
