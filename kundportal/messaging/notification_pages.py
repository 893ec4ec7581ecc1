"""What the notification pages show, and reading their forms (kept out of the views so those stay short)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import IntegerField, Subquery
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.accounts.models import User
from kundportal.documents.access import visible_folders
from kundportal.documents.models import Folder
from kundportal.messaging import preferences, watches
from kundportal.messaging.access import visible_threads
from kundportal.messaging.models import Category, Delivery, Notification
from kundportal.messaging.notifications import describe, notifications_for
from kundportal.organisations.access import is_provider_admin, is_provider_staff
from kundportal.organisations.models import Organisation

NOTIFICATIONS_PER_PAGE = 30
ORGANISATIONS_PER_PAGE = 10


class _Count(Subquery):
    """COUNT(*) of a queryset as a scalar subquery, so several counts come back in one query."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()


def badge_counts(user: Any) -> tuple[int, int]:
    """Unread notifications and unread conversations the user can still see: one query."""
    notifications = Notification.objects.filter(recipient=user, read_at__isnull=True).values("pk")
    threads = visible_threads(user).filter(inboxes__user=user, inboxes__unread__gt=0).values("pk")
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(unread_notifications=_Count(notifications), unread_threads=_Count(threads))
        .values_list("unread_notifications", "unread_threads")
        .first()
    )
    return row if row is not None else (0, 0)


# ---------------------------------------------------------------------------------------------------------
# The list


@dataclass(frozen=True)
class Row:
    notification: Notification
    text: str

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


@dataclass
class Day:
    day: date
    rows: list[Row] = field(default_factory=list)


def list_context(request: HttpRequest) -> dict[str, object]:
    user = request.user
    only_unread = request.GET.get("unread") == "1"
    notifications = notifications_for(user)
    if only_unread:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    days = [
        Day(day, [Row(n, describe(n)) for n in items])
        for day, items in groupby(page.object_list, key=lambda n: timezone.localdate(n.created_at))
    ]
    today = timezone.localdate()
    return {
        "page": page,
        "days": days,
        "today": today,
        "yesterday": date.fromordinal(today.toordinal() - 1),
        "only_unread": only_unread,
        "paging_query": urlencode({"unread": "1"} if only_unread else {}),
        "any_unread": any(row.unread for group in days for row in group.rows) or only_unread,
    }


# ---------------------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True)
class CategoryChoice:
    value: str
    label: str
    chosen: str


@dataclass
class OrganisationFolders:
    organisation: Organisation
    folders: list[tuple[Folder, bool]]


def settings_context(request: HttpRequest, *, errors: list[str] | None = None) -> dict[str, object]:
    user = request.user
    chosen = preferences.preferences_for(user)
    query = request.GET.get("q", "").strip()[:100]
    organisations = Organisation.objects.visible_to(user).order_by("name", "pk")
    if query:
        organisations = organisations.filter(name__icontains=query)
    page = Paginator(organisations, ORGANISATIONS_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
    folders = list(visible_folders(user).filter(organisation__in=shown).order_by("name", "pk"))
    watched = set(
        watches.watched_folders(user).filter(pk__in=[f.pk for f in folders]).values_list("pk", flat=True)
    )
    groups = [
        OrganisationFolders(org, [(f, f.pk in watched) for f in folders if f.organisation_id == org.pk])
        for org in shown
    ]
    return {
        "categories": [CategoryChoice(value, str(label), chosen[value]) for value, label in Category.choices],
        "deliveries": Delivery.choices,
        "page": page,
        "groups": groups,
        "query": query,
        "searchable": query or page.paginator.count > ORGANISATIONS_PER_PAGE,
        "paging_query": urlencode({"q": query} if query else {}),
        "manager": is_provider_staff(user) and not is_provider_admin(user),
        "errors": errors or [],
    }


def save_preferences(request: HttpRequest) -> None:
    choices = {category: request.POST[category] for category in Category.values if category in request.POST}
    if not choices:
        raise ValidationError(_("Choose how you want to be emailed."))
    preferences.update_preferences(actor=request.user, choices=choices)


def _ids(values: list[str]) -> set[UUID]:
    try:
        return {UUID(value) for value in values}
    except ValueError:
        raise ValidationError(
            _("The list of folders was not understood. Reload the page and try again.")
        ) from None


def save_watches(request: HttpRequest) -> None:
    shown = _ids(request.POST.getlist("shown"))
    checked = _ids(request.POST.getlist("watch"))
    if not shown:
        raise ValidationError(_("There were no folders to save."))
    if not checked <= shown:
        raise ValidationError(_("The list of folders was not understood. Reload the page and try again."))
    folders = list(visible_folders(request.user).filter(pk__in=shown))
    if len(folders) != len(shown):
        raise Http404  # a folder the user cannot see: not found, like everywhere else
    watches.update_watches(user=request.user, folders=folders, watching=checked)
