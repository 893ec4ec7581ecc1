"""API of the privacy centre: the current user's consents, "download my data" jobs, who accessed their data,
and erasure of their account or organisation. The same services as the privacy pages."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Field

from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.organisations.access import get_organisation_for_user, is_provider_admin
from kundportal.organisations.models import CustomerRole
from kundportal.privacy import erasure, exports
from kundportal.privacy.accesses import Access, accesses_for
from kundportal.privacy.centre import ConsentState, HistoryEntry, consent_overview
from kundportal.privacy.forms import Throttled, check_reauthentication
from kundportal.privacy.models import ConsentSource, DataExport, ErasureRecord, ErasureStatus
from kundportal.privacy.purposes import find_purpose
from kundportal.privacy.services import record_consent

router = Router(tags=["privacy"])


class MyConsentOut(Schema):
    purpose: str
    title: str
    wording: str = Field(description="The current wording, in the request's language")
    version: int = Field(description="The current wording's version; a consent counts for it only")
    granted: bool = Field(description="Granted to the current wording")
    decided_at: datetime | None = Field(description="The user's latest decision about this purpose")
    decided_version: int | None = Field(description="The wording version of that decision")


class MyConsentIn(InputSchema):
    granted: bool


class MyConsentRecordOut(Schema):
    purpose: str
    granted: bool
    version: int
    wording: str = Field(description="The wording exactly as the user saw it")
    language: str
    source: str
    at: datetime


def _state(state: ConsentState) -> dict[str, object]:
    latest = state.latest
    return {
        "purpose": state.purpose.key,
        "title": str(state.purpose.title),
        "wording": str(state.purpose.wording),
        "version": state.purpose.version,
        "granted": state.granted,
        "decided_at": latest.created_at if latest else None,
        "decided_version": latest.version if latest else None,
    }


def _record(entry: HistoryEntry) -> dict[str, object]:
    consent = entry.consent
    return {
        "purpose": consent.purpose,
        "granted": consent.granted,
        "version": consent.version,
        "wording": consent.wording,
        "language": consent.language,
        "source": consent.source,
        "at": consent.created_at,
    }


@router.get("/me/consents", response=list[MyConsentOut], summary="Your consents, one per purpose")
def list_my_consents(request: HttpRequest) -> list[dict[str, object]]:
    return [_state(state) for state in consent_overview(request.user).states]


@router.get(
    "/me/consents/history",
    response=list[MyConsentRecordOut],
    summary="Every consent you gave or withdrew, newest first",
)
def my_consent_history(request: HttpRequest) -> list[dict[str, object]]:
    return [_record(entry) for entry in consent_overview(request.user).history]


@router.put(
    "/me/consents/{purpose}",
    response=MyConsentOut,
    summary="Give or withdraw your consent to a purpose",
    description="Recorded with the wording in the request's language (Accept-Language) and its version. "
    "Withdrawing takes effect at once. Saying the same thing twice records nothing new.",
)
def put_my_consent(request: HttpRequest, purpose: str, data: MyConsentIn) -> dict[str, object]:
    chosen = find_purpose(purpose)
    if chosen is None:
        raise Http404
    record_consent(
        actor=request.user,
        user=request.user,
        purpose=chosen,
        granted=data.granted,
        source=ConsentSource.API,
        request=request,
    )
    state = next(s for s in consent_overview(request.user).states if s.purpose.key == chosen.key)
    return _state(state)


class _Mapped:
    """A queryset whose page (the paginator slices it) is turned into response rows."""

    def __init__(self, queryset: Any, row: Callable[[Any], dict[str, object]]) -> None:
        self.queryset = queryset
        self.row = row

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, window: slice) -> list[dict[str, object]]:
        return [self.row(item) for item in self.queryset[window]]


# ---------------------------------------------------------------------------------------------------------
# Download my data


class MyExportOut(Schema):
    id: UUID
    status: str = Field(description="queued, running, ready, failed, cancelled or expired")
    progress: int = Field(description="Percent done while running; 100 when ready")
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None = Field(description="The download works until then; then the ZIP is deleted")
    downloaded_at: datetime | None
    size: int = Field(description="The ZIP's size in bytes, when ready")
    download_url: str | None = Field(description="While ready: the ZIP (for you only)")


def _export(export: DataExport) -> dict[str, object]:
    export = exports.as_seen(export)
    return {
        "id": export.pk,
        "status": export.status,
        "progress": export.progress,
        "created_at": export.created_at,
        "finished_at": export.finished_at,
        "expires_at": export.expires_at,
        "downloaded_at": export.downloaded_at,
        "size": export.size,
        "download_url": reverse("api:download_my_export", args=[export.pk])
        if exports.is_downloadable(export)
        else None,
    }


@router.post(
    "/me/exports",
    response={202: MyExportOut},
    summary="Ask for a ZIP of all your data",
    description="Built in the background; poll the job for its progress. Asking again while one is unfinished "
    "returns that one.",
)
def request_my_export(request: HttpRequest) -> Status:
    export = exports.request_export(actor=request.user, user=request.user, request=request)
    return Status(202, _export(export))


@router.get("/me/exports", response=list[MyExportOut], summary="The data exports you asked for, newest first")
@paginate(BoundedLimitOffsetPagination)
def list_my_exports(request: HttpRequest) -> object:
    return _Mapped(DataExport.objects.filter(requested_by=request.user).order_by("-created_at"), _export)


@router.get(
    "/me/exports/{export_id}", response=MyExportOut, summary="One data export: its state and progress"
)
def get_my_export(request: HttpRequest, export_id: UUID) -> dict[str, object]:
    return _export(exports.get_export_for_user(request.user, export_id))


class MyExportGoneOut(Schema):
    detail: str


@router.get(
    "/me/exports/{export_id}/download",
    response={200: bytes, 410: MyExportGoneOut},
    url_name="download_my_export",
    summary="The ZIP (while ready; 410 once expired)",
)
def download_my_export(request: HttpRequest, export_id: UUID) -> HttpResponse | Status:
    from kundportal.privacy.views import export_response

    export = exports.get_export_for_user(request.user, export_id)
    if exports.is_expired(export):
        return Status(410, {"detail": "This download has expired and was deleted. Ask for a new one."})
    if not exports.is_downloadable(export):
        raise Http404
    return export_response(request, export)


# ---------------------------------------------------------------------------------------------------------
# Who accessed my data


class MyAccessOut(Schema):
    at: datetime
    who: str = Field(description="The provider staff member")
    action: str = Field(description="What they did, in the request's language")
    what: str = Field(description="The document, order or customer it was about")
    organisation: str


@router.get(
    "/me/accesses",
    response=list[MyAccessOut],
    summary="Provider staff's views and downloads of your data, newest first",
)
@paginate(BoundedLimitOffsetPagination)
def list_my_accesses(request: HttpRequest) -> object:
    return _Mapped(accesses_for(request.user), lambda event: Access.of(event).__dict__)


# ---------------------------------------------------------------------------------------------------------
# Erasure


class PrivacyErasureIn(InputSchema):
    password: str = Field(description="Your password, asked again")
    do_not_contact: bool = Field(
        False,
        description="Keep a one-way fingerprint of the email address so that "
        "nobody invites or imports it again",
    )


class PrivacyErasureOut(Schema):
    erasure_id: UUID
    status: str = Field(description="done, or awaiting_approval (an organisation with open orders)")


class PrivacyErasureRefusedOut(Schema):
    detail: str


def _reauthenticate(request: HttpRequest, password: str) -> None:
    try:
        ok = check_reauthentication(request, request.user, password)
    except Throttled as throttled:
        raise ValidationError({"password": throttled.messages}) from None
    if not ok:
        raise ValidationError({"password": [_("The password is not correct.")]})


def _erasure_out(record: ErasureRecord) -> dict[str, object]:
    return {"erasure_id": record.pk, "status": record.status}


# DELETE /me is routed by accounts.api, beside GET and PATCH /me (one path belongs to one router).
ERASE_ME_RESPONSES = {200: PrivacyErasureOut, 202: PrivacyErasureOut, 409: PrivacyErasureRefusedOut}
ERASE_ME_DESCRIPTION = (
    "Orders and invoices stay, anonymised, as the law requires. 409 when refused (e.g. you are the last admin "
    "of an organisation with other people); 422 with a wrong password; 202 when it waits for the provider's "
    "approval (a private customer with open orders)."
)


def erase_me(request: HttpRequest, data: PrivacyErasureIn) -> Status:
    _reauthenticate(request, data.password)
    try:
        record = erasure.erase_user(
            actor=request.user, user=request.user, do_not_contact=data.do_not_contact, request=request
        )
    except erasure.ErasureRefused as refused:
        return Status(409, {"detail": str(refused)})
    return Status(202 if record.status == ErasureStatus.AWAITING_APPROVAL else 200, _erasure_out(record))


@router.post(
    "/organisations/{organisation_id}/erasure",
    response={200: PrivacyErasureOut, 202: PrivacyErasureOut, 409: PrivacyErasureRefusedOut},
    summary="Erase an organisation (its customer admins)",
    description="200 when done; 202 when it waits for the provider's approval (open orders); 409 when refused.",
)
def erase_organisation(request: HttpRequest, organisation_id: UUID, data: PrivacyErasureIn) -> Status:
    access = get_organisation_for_user(request.user, organisation_id)
    if access.customer_role != CustomerRole.ADMIN and not is_provider_admin(request.user):
        raise PermissionDenied
    _reauthenticate(request, data.password)
    try:
        record = erasure.erase_organisation(
            actor=request.user,
            organisation=access.organisation,
            do_not_contact=data.do_not_contact,
            request=request,
        )
    except erasure.ErasureRefused as refused:
        return Status(409, {"detail": str(refused)})
    return Status(202 if record.status == ErasureStatus.AWAITING_APPROVAL else 200, _erasure_out(record))
