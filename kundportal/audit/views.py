from __future__ import annotations

import csv
from datetime import date, datetime, time

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from kundportal.audit.models import Action, AuditEvent
from kundportal.organisations.access import require_provider_admin
from kundportal.organisations.models import Organisation


def _date(value: str) -> date | None:
    """A YYYY-MM-DD filter value, or None for anything else (a malformed filter filters nothing)."""
    try:
        return parse_date(value)
    except ValueError:
        return None


def _filtered(request: HttpRequest) -> tuple[object, dict[str, str]]:
    events = AuditEvent.objects.select_related("organisation")
    params = {
        key: request.GET.get(key, "").strip() for key in ("action", "organisation", "who", "since", "until")
    }
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
    return events, params


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    events, params = _filtered(request)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": page, "params": params, "actions": Action.choices})


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def audit_csv(request: HttpRequest) -> HttpResponse:
    require_provider_admin(request.user)
    events, _params = _filtered(request)
    writer = csv.writer(_Echo())
    header = ["when", "action", "who", "organisation", "target_type", "target_id", "target", "ip"]
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
        ]
        for e in events.iterator(chunk_size=1000)
    )
    lines = (writer.writerow(row) for chunk in ([header], rows) for row in chunk)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
