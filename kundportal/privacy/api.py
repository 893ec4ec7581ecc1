"""API: the current user's consents. The same services as the privacy page (privacy.services)."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from pydantic import Field

from kundportal.core.schemas import InputSchema
from kundportal.privacy.centre import ConsentState, HistoryEntry, consent_overview
from kundportal.privacy.models import ConsentSource
from kundportal.privacy.purposes import PURPOSES
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
    chosen = PURPOSES.get(purpose)
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
