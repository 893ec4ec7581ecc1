"""Notification pages: the list, the navigation badge (polled by htmx), marking read, email and folder settings,
and the watch toggle on a folder's page. Views parse, check access, call the services, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kundportal.documents.access import get_folder_for_user
from kundportal.messaging import notification_pages as pages
from kundportal.messaging import watches
from kundportal.messaging.notifications import mark_read, notifications_for
from kundportal.organisations.access import parse_uuid


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/notification_list.html", pages.list_context(request))


@require_GET
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The counts for the navigation. The page sends the counts it shows (`seen`): when nothing changed the
    answer is 204, which htmx does not swap, so screen readers hear the live region only when a count moves.
    After the session ended the answer is 401, which htmx does not swap either (a redirect to the login page
    would put that page into the navigation)."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    notifications, threads = pages.badge_counts(request.user)
    state = f"{notifications}.{threads}"
    seen = request.GET.get("seen", "")
    if seen == state:
        return HttpResponse(status=204)
    context = {"notifications": notifications, "threads": threads, "state": state, "announce": bool(seen)}
    return render(request, "messaging/notification_badge.html", context)


@login_required
def notification_open(request: HttpRequest, notification_id: str) -> HttpResponse:
    """Follow a notification from the list: it is read now."""
    notification = notifications_for(request.user).filter(pk=parse_uuid(notification_id)).first()
    if notification is None:
        raise Http404
    mark_read(request.user, [notification.pk])
    target = notification.url
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None) or not target.startswith("/"):
        target = reverse("notification_list")
    return redirect(target)


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark one notification (`id`) or all of them read."""
    back = _back(request)
    if "id" in request.POST:
        changed = mark_read(request.user, [parse_uuid(request.POST["id"])])
        if (
            not changed
            and not notifications_for(request.user).filter(pk=parse_uuid(request.POST["id"])).exists()
        ):
            raise Http404
        messages.success(request, _("Marked as read."))
    else:
        mark_read(request.user)
        messages.success(request, _("All notifications are marked as read."))
    return redirect(back)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("notification_list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("form") == "watches":
                pages.save_watches(request)
                messages.success(request, _("Your folders are saved."))
            else:
                pages.save_preferences(request)
                messages.success(request, _("Your email choices are saved."))
        except ValidationError as error:
            context = pages.settings_context(request, errors=error.messages)
            return render(request, "messaging/notification_settings.html", context, status=400)
        return redirect(request.get_full_path())
    return render(request, "messaging/notification_settings.html", pages.settings_context(request))


@login_required
@require_POST
def folder_watch(request: HttpRequest, folder_id: str) -> HttpResponse:
    """The toggle on a folder's page: anyone who can see the folder may watch it (it changes nothing for
    others, so viewers may too)."""
    folder = get_folder_for_user(request.user, folder_id)
    choice = request.POST.get("watching", "")
    if choice not in ("1", "0"):
        return HttpResponseBadRequest(_("Say whether to watch the folder."))
    watching = watches.set_watch(user=request.user, folder=folder, watching=choice == "1")
    if watching:
        messages.success(request, _("You now watch “%(folder)s”.") % {"folder": folder.folder.name})
    else:
        messages.success(request, _("You no longer watch “%(folder)s”.") % {"folder": folder.folder.name})
    return redirect("folder_detail", folder_id=folder.folder.pk)
