"""The provider's privacy pages (provider admins; anyone else is told nothing: 404): pending organisation
erasures, recent erasures (counts only), exports in progress, acting on behalf of people who cannot log in,
the records of processing, the privacy notice and the consent purposes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kundportal.accounts.models import User
from kundportal.organisations.access import parse_uuid, require_provider_admin
from kundportal.organisations.models import Organisation
from kundportal.privacy import erasure, exports, provider, retention
from kundportal.privacy.forms import (
    ConfiguredPurposeForm,
    ConfirmByTypingForm,
    FindForm,
    PrivacyNoticeForm,
)
from kundportal.privacy.models import (
    ConfiguredPurpose,
    DataExport,
    ErasureRecord,
    ErasureStatus,
    ExportStatus,
)

RECENT = 20
FOUND = 10


def _admin(request: HttpRequest) -> User:
    require_provider_admin(request.user)
    return request.user


def _find(form: FindForm) -> tuple[list[User], list[Organisation]]:
    if not form.is_valid():
        return [], []
    person = form.cleaned_data["person"].strip()
    name = form.cleaned_data["organisation"].strip()
    people = list(User.objects.filter(email__iexact=person)[:FOUND]) if person else []
    organisations = (
        list(Organisation.objects.filter(name__icontains=name).order_by("name")[:FOUND]) if name else []
    )
    return people, organisations


def _total(report: Any, part: str) -> int:
    counts = report.get(part) if isinstance(report, dict) else None
    return sum(n for n in counts.values() if isinstance(n, int)) if isinstance(counts, dict) else 0


def _with_totals(record: ErasureRecord) -> ErasureRecord:
    """Counts only: how many rows were erased and anonymised (the report never holds erased values)."""
    record.erased_total = _total(record.report, "erased")  # type: ignore[attr-defined]
    record.anonymised_total = _total(record.report, "anonymised")  # type: ignore[attr-defined]
    return record


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    find_form = FindForm(request.GET or None)
    people, organisations = _find(find_form)
    unfinished = DataExport.objects.filter(status__in=exports.UNFINISHED)
    context = {
        "pending": ErasureRecord.objects.filter(status=ErasureStatus.AWAITING_APPROVAL)
        .select_related("organisation")
        .order_by("created_at"),
        "recent": [
            _with_totals(record)
            for record in ErasureRecord.objects.exclude(status=ErasureStatus.AWAITING_APPROVAL).order_by(
                "-created_at"
            )[:RECENT]
        ],
        "running": unfinished.aggregate(
            queued=Count("pk", filter=Q(status=ExportStatus.QUEUED)),
            running=Count("pk", filter=Q(status=ExportStatus.RUNNING)),
        ),
        "mine": DataExport.objects.filter(requested_by=admin)
        .exclude(user=admin)
        .select_related("user")
        .order_by("-created_at")[:RECENT],
        "find_form": find_form,
        "people": people,
        "found_organisations": organisations,
        "searched": find_form.is_bound,
    }
    return render(request, "privacy/manage.html", context)


@login_required
@require_POST
def decide_erasure(request: HttpRequest, record_id: str) -> HttpResponse:
    admin = _admin(request)
    record = ErasureRecord.objects.filter(
        pk=parse_uuid(record_id), status=ErasureStatus.AWAITING_APPROVAL
    ).first()
    if record is None:
        raise Http404
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        messages.error(request, _("Choose to approve or to reject."))
        return redirect("privacy_manage")
    try:
        erasure.decide_organisation_erasure(
            actor=admin, record=record, approve=decision == "approve", request=request
        )
    except (erasure.ErasureRefused, ValidationError) as error:
        messages.error(request, str(error.messages[0] if isinstance(error, ValidationError) else error))
    else:
        messages.success(
            request,
            _("The organisation was erased.") if decision == "approve" else _("The request was rejected."),
        )
    return redirect("privacy_manage")


def _person(person_id: str) -> User:
    person = User.objects.filter(pk=parse_uuid(person_id)).first()
    if person is None:
        raise Http404
    return person


@login_required
@require_POST
def export_on_behalf(request: HttpRequest, person_id: str) -> HttpResponse:
    admin = _admin(request)
    person = _person(person_id)
    try:
        exports.request_export(actor=admin, user=person, request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("The export of %(person)s's data is being prepared. Only you can download it, from this page.")
            % {"person": person.email},
        )
    return redirect("privacy_manage")


@login_required
def erase_person_on_behalf(request: HttpRequest, person_id: str) -> HttpResponse:
    admin = _admin(request)
    person = _person(person_id)
    if person.pk == admin.pk:
        raise Http404  # their own account: the privacy page, with the password
    form = ConfirmByTypingForm(request.POST or None, expected=person.email)
    if request.method == "POST" and form.is_valid():
        try:
            erasure.erase_user(
                actor=admin, user=person, do_not_contact=form.cleaned_data["do_not_contact"], request=request
            )
        except erasure.ErasureRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("The person's account and personal data were erased."))
            return redirect("privacy_manage")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "privacy/manage_erase.html",
        {"form": form, "person": person, "expected": person.email},
        status=status,
    )


@login_required
def erase_organisation_on_behalf(request: HttpRequest, organisation_id: str) -> HttpResponse:
    admin = _admin(request)
    organisation = Organisation.objects.filter(pk=parse_uuid(organisation_id)).first()
    if organisation is None:
        raise Http404
    form = ConfirmByTypingForm(request.POST or None, expected=organisation.name)
    if request.method == "POST" and form.is_valid():
        try:
            record = erasure.erase_organisation(
                actor=admin,
                organisation=organisation,
                do_not_contact=form.cleaned_data["do_not_contact"],
                request=request,
            )
        except erasure.ErasureRefused as refused:
            form.add_error(None, str(refused))
        else:
            if record.status == ErasureStatus.AWAITING_APPROVAL:
                messages.info(request, _("The organisation has open orders: approve the erasure below."))
            else:
                messages.success(request, _("The organisation and its data were erased."))
            return redirect("privacy_manage")
    status = 400 if form.is_bound else 200
    context = {"form": form, "organisation": organisation, "expected": organisation.name}
    return render(request, "privacy/manage_erase.html", context, status=status)


@login_required
def records(request: HttpRequest) -> HttpResponse:
    _admin(request)
    context = {
        "records": provider.records_of_processing(),
        "purposes": provider.consent_purposes(),
        "retention_rules": [rule.describe() for rule in retention.RULES],
    }
    return render(request, "privacy/records.html", context)


@login_required
def notice_edit(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    latest = provider.latest_notice()
    if request.method == "POST":
        form = PrivacyNoticeForm(request.POST)
        if form.is_valid():
            provider.save_notice(actor=admin, texts=form.cleaned_data, request=request)
            messages.success(request, _("The privacy notice was saved as a new version."))
            return redirect("privacy_notice")
    else:
        initial = (
            {"text_en": latest.text_en, "text_sv": latest.text_sv, "text_de": latest.text_de}
            if latest
            else {}
        )
        form = PrivacyNoticeForm(initial=initial)
    status = 400 if form.is_bound else 200
    return render(request, "privacy/notice_edit.html", {"form": form, "latest": latest}, status=status)


@login_required
def purposes(request: HttpRequest) -> HttpResponse:
    admin = _admin(request)
    form = ConfiguredPurposeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            provider.save_purpose(actor=admin, data=form.cleaned_data, request=request)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The purpose was added. Customers see it on their privacy page."))
            return redirect("privacy_purposes")
    context = {
        "configured": ConfiguredPurpose.objects.order_by("key"),
        "builtin": list(provider.PURPOSES.values()),
        "form": form,
    }
    return render(request, "privacy/purposes.html", context, status=400 if form.is_bound else 200)


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _purpose(purpose_id: str) -> ConfiguredPurpose:
    purpose = ConfiguredPurpose.objects.filter(pk=parse_uuid(purpose_id)).first()
    if purpose is None:
        raise Http404
    return purpose


@login_required
def purpose_edit(request: HttpRequest, purpose_id: str) -> HttpResponse:
    admin = _admin(request)
    purpose = _purpose(purpose_id)
    initial = {name: getattr(purpose, name) for name in (*provider.TEXT_FIELDS, "key", "active")}
    form = ConfiguredPurposeForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            saved = provider.save_purpose(
                actor=admin, data=form.cleaned_data, purpose=purpose, request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if saved.version != purpose.version:
                messages.success(
                    request,
                    _("The wording changed: this is version %(version)s, and everyone is asked again.")
                    % {"version": saved.version},
                )
            else:
                messages.success(request, _("The purpose was saved."))
            return redirect("privacy_purposes")
    status = 400 if form.is_bound else 200
    return render(request, "privacy/purpose_edit.html", {"form": form, "purpose": purpose}, status=status)


@login_required
@require_POST
def purpose_delete(request: HttpRequest, purpose_id: str) -> HttpResponse:
    admin = _admin(request)
    purpose = _purpose(purpose_id)
    try:
        provider.delete_purpose(actor=admin, purpose=purpose, request=request)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The purpose was deleted."))
    return redirect("privacy_purposes")
