"""The provider's recommendations page: what the last recompute found, and a button for a new one with its
progress. Provider admins only; everyone else is not told the page exists (404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.organisations.access import require_provider_admin
from kundportal.recommendations import progress, services


@login_required
def recommendations_page(request: HttpRequest) -> HttpResponse:
    overview = services.recommendations_overview(actor=request.user)
    return render(request, "recommendations/staff.html", {"overview": overview, "phases": progress.PHASES})


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    if services.start_recompute(actor=request.user):
        messages.success(request, _("The recommendations are being recomputed."))
    else:
        messages.info(request, _("A recompute is running already."))
    return redirect("recommendations_staff")


@login_required
def recompute_status(request: HttpRequest) -> JsonResponse:
    """What the page's progress bar polls while a recompute runs."""
    require_provider_admin(request.user)
    return JsonResponse(progress.read_progress())
