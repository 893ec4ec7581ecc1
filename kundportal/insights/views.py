"""The insights page (provider staff only; everyone else is not told it exists: 404), each chart as CSV, and
the provider admin's "Recompute now" with its progress."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.insights import exports
from kundportal.insights.dashboard import build_dashboard, computed_text
from kundportal.insights.recompute import last_run_failed, recompute_status, start_recompute
from kundportal.insights.snapshots import get_figures_for_user
from kundportal.organisations.access import is_provider_admin, require_provider_admin


@login_required
def insights_page(request: HttpRequest) -> HttpResponse:
    found = get_figures_for_user(request.user)
    admin = is_provider_admin(request.user)
    context = {
        "can_recompute": admin,
        "status": recompute_status() if admin else None,
        "failed": admin and last_run_failed(),
    }
    if found.figures is not None:
        language = get_language() or "en"
        context["dashboard"] = build_dashboard(
            found.figures, language=language, currency=request.GET.get("currency", "")
        )
        context["computed"] = computed_text(
            found.figures, own=found.own, live=found.live, duration_ms=found.duration_ms
        )
    return render(request, "insights/dashboard.html", context)


@login_required
def insights_csv(request: HttpRequest, chart: str) -> HttpResponse:
    found = get_figures_for_user(request.user)
    if found.figures is None:  # not computed yet: the page offers no export either
        raise Http404
    exports.record_export(actor=request.user, chart=chart, own=found.own, request=request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="insights-{chart}-{stamp}.csv"'
    csv.writer(response).writerows(exports.csv_rows(found.figures, chart, language=get_language() or "en"))
    return response


@login_required
@require_POST
def insights_recompute(request: HttpRequest) -> HttpResponse:
    if not start_recompute(actor=request.user):
        messages.info(request, _("The figures are being recomputed already."))
    elif recompute_status() is None:  # done already (a quick worker, or tasks run in the request)
        messages.success(request, _("The figures have been recomputed."))
    else:
        messages.info(
            request, _("The figures are being recomputed in the background; this page shows how far.")
        )
    return redirect("insights")


@login_required
def insights_status(request: HttpRequest) -> HttpResponse:
    """The progress of a recomputation, polled by the page (htmx) until it is done; then the page reloads."""
    require_provider_admin(request.user)
    status = recompute_status()
    if status is None:
        response = HttpResponse("")
        response["HX-Refresh"] = "true"
        return response
    return render(request, "insights/status.html", {"status": status})
