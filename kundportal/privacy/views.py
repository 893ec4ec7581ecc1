"""The privacy centre: consents, download my data, who accessed my data, delete my account or organisation;
and the public privacy notice. Every action goes through the same services as the API (privacy.services,
privacy.exports, privacy.erasure)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kundportal.accounts.models import User
from kundportal.documents.downloads import protect
from kundportal.organisations.access import get_organisation_for_user
from kundportal.organisations.models import CustomerRole, Membership
from kundportal.privacy import erasure, exports
from kundportal.privacy.accesses import Access, accesses_for
from kundportal.privacy.centre import consent_overview
from kundportal.privacy.forms import ConsentForm, EraseAccountForm
from kundportal.privacy.models import ConsentSource, DataExport, ErasureRecord, ErasureStatus
from kundportal.privacy.provider import notice_for_reader
from kundportal.privacy.purposes import find_purpose
from kundportal.privacy.services import record_consent

ACCESSES_PER_PAGE = 20


def _admin_memberships(user: User) -> list[Membership]:
    return list(
        Membership.objects.filter(user=user, role=CustomerRole.ADMIN)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def _centre_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    user = request.user
    page = Paginator(accesses_for(user), ACCESSES_PER_PAGE).get_page(request.GET.get("page"))
    memberships = _admin_memberships(user)
    pending = {
        record.organisation_id: record
        for record in ErasureRecord.objects.filter(
            organisation_id__in=[m.organisation_id for m in memberships],
            status=ErasureStatus.AWAITING_APPROVAL,
        )
    }
    organisation_form = forms.pop("organisation_form", None)
    organisation_form_for = forms.pop("organisation_form_for", None)
    return {
        "overview": consent_overview(user),
        "export": exports.latest_export(user),
        "accesses": [Access.of(event) for event in page],
        "page": page,
        "paging_query": "",
        "erase_form": forms.pop("erase_form", None) or EraseAccountForm(user=user, request=request),
        "organisations": [
            {
                "organisation": membership.organisation,
                "pending": pending.get(membership.organisation_id),
                "form": organisation_form
                if organisation_form_for == membership.organisation_id
                else EraseAccountForm(user=user, request=request, prefix=f"org-{membership.organisation_id}"),
            }
            for membership in memberships
        ],
    }


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "privacy/centre.html", _centre_context(request))


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
    chosen = find_purpose(purpose)
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


# ---------------------------------------------------------------------------------------------------------
# Download my data


@login_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    try:
        exports.request_export(actor=request.user, user=request.user, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _(
                "We are preparing your data. This page shows the progress, and we notify you when it is ready."
            ),
        )
    return redirect(exports.privacy_url())


@login_required
@require_GET
def export_status(request: HttpRequest, export_id: str) -> HttpResponse:
    """The export's card, polled by htmx while the job runs."""
    export = exports.as_seen(exports.get_export_for_user(request.user, export_id))
    return render(request, "privacy/_export.html", {"export": export})


def export_download(request: HttpRequest, export_id: str) -> HttpResponse:
    """The ZIP, for the person who asked for it only, while it is ready and not expired; decrypted while it
    is sent. An expired one is answered 410 with a page that says so."""
    if not request.user.is_authenticated:
        raise Http404
    export = exports.get_export_for_user(request.user, export_id)
    if exports.is_expired(export):
        return render(request, "privacy/export_gone.html", {"export": export}, status=410)
    if not exports.is_downloadable(export):
        raise Http404
    return export_response(request, export)


def export_response(request: HttpRequest, export: DataExport) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.read_export(export), content_type="application/zip")
    response["Content-Length"] = str(export.size)
    protect(response, exports.download_filename(export))
    exports.record_export_download(actor=request.user, export=export, request=request)
    return response


# ---------------------------------------------------------------------------------------------------------
# Delete my account, delete the organisation


@login_required
@require_POST
def erase_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = EraseAccountForm(request.POST, user=user, request=request)
    if form.is_valid():
        try:
            record = erasure.erase_user(
                actor=user, user=user, do_not_contact=form.cleaned_data["do_not_contact"], request=request
            )
        except erasure.ErasureRefused as refused:
            form.add_error(None, str(refused))
        else:
            if record.status == ErasureStatus.AWAITING_APPROVAL:
                messages.info(
                    request,
                    _(
                        "Your account belongs to a customer with open orders, so the provider must approve the "
                        "deletion. We let you know when it is decided."
                    ),
                )
                return redirect("privacy")
            logout(request)
            return redirect("privacy_erased")
    return render(request, "privacy/centre.html", _centre_context(request, erase_form=form), status=400)


@login_required
@require_POST
def erase_organisation(request: HttpRequest, organisation_id: str) -> HttpResponse:
    user = request.user
    access = get_organisation_for_user(user, organisation_id)
    if access.customer_role != CustomerRole.ADMIN:
        raise PermissionDenied
    organisation = access.organisation
    form = EraseAccountForm(request.POST, user=user, request=request, prefix=f"org-{organisation.pk}")
    if form.is_valid():
        try:
            record = erasure.erase_organisation(
                actor=user,
                organisation=organisation,
                do_not_contact=form.cleaned_data["do_not_contact"],
                request=request,
            )
        except erasure.ErasureRefused as refused:
            form.add_error(None, str(refused))
        else:
            if record.status == ErasureStatus.AWAITING_APPROVAL:
                messages.info(
                    request,
                    _(
                        "%(organisation)s has open orders, so the provider must approve the deletion. We "
                        "let you know when it is decided."
                    )
                    % {"organisation": organisation.name},
                )
                return redirect("privacy")
            if not User.objects.filter(pk=user.pk, is_active=True).exists():
                logout(request)
                return redirect("privacy_erased")
            messages.success(request, _("The organisation and its data were deleted."))
            return redirect("privacy")
    context = _centre_context(request, organisation_form=form, organisation_form_for=organisation.pk)
    return render(request, "privacy/centre.html", context, status=400)


@require_GET
def erased(request: HttpRequest) -> HttpResponse:
    """The confirmation after an erasure (the person is logged out by then)."""
    return render(request, "privacy/erased.html")


@require_GET
def notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice, for anyone (also logged out), in the reader's language."""
    return render(request, "privacy/notice.html", {"notice": notice_for_reader()})
