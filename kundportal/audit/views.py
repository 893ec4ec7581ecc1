from __future__ import annotations

import csv
import uuid
from datetime import date, datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.audit.models import Action, AuditEvent
from kundportal.audit.verification import PROBLEM_TEXT, STALE_AFTER, latest_verification, start_verification
from kundportal.organisations.access import require_provider_admin
from kundportal.organisations.models import Organisation

FILTERS = ("action", "organisation", "who", "since", "until", "user", "organisation_id")


def _date(value: str) -> date | None:
    """A YYYY-MM-DD filter value, or None for anything else (a malformed filter filters nothing)."""
    try:
        return parse_date(value)
    except ValueError:
        return None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _filtered(request: HttpRequest) -> tuple[QuerySet[AuditEvent], dict[str, str], list[str]]:
    """The events the filters select, the filters as given, and what could not be used: a malformed date or
    action filters nothing (as before), a malformed user or organisation id selects nothing (a link to one
    person's events must never show everyone's)."""
    events = AuditEvent.objects.select_related("organisation")
    params = {key: request.GET.get(key, "").strip() for key in FILTERS}
    errors = []
    if params["action"] in Action.values:
        events = events.filter(action=params["action"])
    if params["organisation"]:
        events = events.filter(
            organisation__in=Organisation.objects.filter(name__icontains=params["organisation"])
        )
    if params["who"]:
        events = events.filter(actor_label__icontains=params["who"])
    if since := _date(params["since"]):
        events = events.filter(at__gte=timezone.make_aware(datetime.combine(since, time.min)))
    if until := _date(params["until"]):
        events = events.filter(at__lte=timezone.make_aware(datetime.combine(until, time.max)))
    if params["user"]:
        if person := _uuid(params["user"]):
            user_type = get_user_model()._meta.label_lower
            events = events.filter(Q(actor_id=person) | Q(target_type=user_type, target_id=str(person)))
        else:
            errors.append(_("The person filter is not a valid id: no events are shown."))
            events = events.none()
    if params["organisation_id"]:
        if organisation_id := _uuid(params["organisation_id"]):
            events = events.filter(organisation_id=organisation_id)
        else:
            errors.append(_("The organisation filter is not a valid id: no events are shown."))
            events = events.none()
    return events, params, errors


def _chain_status() -> dict[str, Any]:
    latest = latest_verification()
    stale = latest is not None and latest.running and latest.requested_at < timezone.now() - STALE_AFTER
    status: dict[str, Any] = {
        "verification": latest,
        "running": latest is not None and latest.running and not stale,
        "stale": stale,
    }
    if latest is not None and latest.problem:
        status["problem_text"] = PROBLEM_TEXT.get(latest.problem, latest.problem)
        actions = dict(Action.choices)
        status["problem_action"] = actions.get(latest.problem_action, latest.problem_action)
    return status


def _filter_labels(params: dict[str, str]) -> dict[str, str]:
    """The person and organisation a link filters by, by name (one query each, whatever the page shows)."""
    labels = {}
    if person := _uuid(params["user"]):
        found = get_user_model().objects.filter(pk=person).values_list("email", flat=True).first()
        labels["user"] = found or str(person)
    if organisation_id := _uuid(params["organisation_id"]):
        found = Organisation.objects.filter(pk=organisation_id).values_list("name", flat=True).first()
        labels["organisation_id"] = found or str(organisation_id)
    return labels


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    events, params, errors = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "params": params,
        "errors": errors,
        "labels": _filter_labels(params),
        "actions": Action.choices,
        **_chain_status(),
    }
    return render(request, "audit/log.html", context)


@login_required
def audit_chain_status(request: HttpRequest) -> HttpResponse:
    """The chain status card, polled by the page (htmx) while a verification runs."""
    require_provider_admin(request.user)
    return render(request, "audit/chain_status.html", _chain_status())


@login_required
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    if start_verification(actor=request.user) is None:
        messages.info(request, _("The audit log is being verified already."))
    elif (latest := latest_verification()) is not None and not latest.running:
        messages.success(request, _("The audit log has been verified; the result is shown below."))
    else:
        messages.info(
            request, _("The audit log is being verified in the background; this page shows the result.")
        )
    return redirect("audit_log")


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_csv(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    events, _params, _errors = _filtered(request)
    writer = csv.writer(_Echo())
    header = [
        "when",
        "action",
        "who",
        "organisation",
        "target_type",
        "target_id",
        "target",
        "ip",
        "seq",
        "hash",
    ]
    rows = (
        [
            e.at.isoformat(),
            e.action,
            e.actor_label,
            e.organisation.name if e.organisation else "",
            e.target_type,
            e.target_id,
            e.target_label,
            e.ip or "",
            e.seq if e.seq is not None else "",
            e.hash[:16],
        ]
        for e in events.iterator(chunk_size=1000)
    )
    lines = (writer.writerow(row) for chunk in ([header], rows) for row in chunk)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
