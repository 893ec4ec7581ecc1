"""The privacy page: every purpose a user can consent to, where they stand, and each decision they made.
Giving and withdrawing go through privacy.services, as on the offers page and in the API."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.privacy.centre import consent_overview
from kundportal.privacy.forms import ConsentForm
from kundportal.privacy.models import ConsentSource
from kundportal.privacy.purposes import PURPOSES
from kundportal.privacy.services import record_consent


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/centre.html", {"overview": consent_overview(request.user)})


def _next(request: HttpRequest) -> str:
    """Back to where the button was (the offers page, the dashboard), else the privacy page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "privacy"


@login_required
@require_POST
def change_consent(request: HttpRequest, purpose: str) -> HttpResponse:
    chosen = PURPOSES.get(purpose)
    if chosen is None:
        raise Http404
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest()
    granted = form.cleaned_data["granted"]
    record_consent(
        actor=request.user,
        user=request.user,
        purpose=chosen,
        granted=granted,
        source=ConsentSource.PAGE,
        request=request,
    )
    if granted:
        messages.success(request, _("You agreed to: %(purpose)s.") % {"purpose": chosen.title})
    else:
        messages.success(
            request,
            _("You withdrew your consent to: %(purpose)s. This applies from now on.")
            % {"purpose": chosen.title},
        )
    return redirect(_next(request))
