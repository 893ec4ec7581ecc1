from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from kundportal.accounts import services
from kundportal.accounts.access import get_api_token_for_user
from kundportal.accounts.models import User
from kundportal.core.schemas import InputSchema
from kundportal.organisations.models import Membership
from kundportal.privacy.api import ERASE_ME_DESCRIPTION, ERASE_ME_RESPONSES, PrivacyErasureIn, erase_me

router = Router(tags=["accounts"])


class MembershipOut(Schema):
    organisation_id: UUID
    organisation_name: str
    role: str


class MeOut(Schema):
    id: UUID
    email: str
    full_name: str
    language: str
    provider_role: str
    memberships: list[MembershipOut]


class TokenOut(Schema):
    id: UUID
    name: str
    hint: str
    created_at: datetime
    last_used_at: datetime | None


class TokenIn(InputSchema):
    # Stripped before the length check, so a name of blanks is refused rather than stored empty.
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class TokenCreated(TokenOut):
    token: str


class ProfileIn(InputSchema):
    """A partial update: a field left out (or null) keeps its value."""

    full_name: str | None = Field(default=None, max_length=150)
    language: str | None = Field(default=None, pattern="^(en|sv|de)$")


def _me(user: User) -> dict[str, object]:
    memberships = (
        Membership.objects.filter(user=user).select_related("organisation").order_by("organisation__name")
    )
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "language": user.language,
        "provider_role": user.provider_role,
        "memberships": [
            {"organisation_id": m.organisation_id, "organisation_name": m.organisation.name, "role": m.role}
            for m in memberships
        ],
    }


@router.get("/me", response=MeOut, summary="The current user and their memberships")
def me(request: HttpRequest) -> dict[str, object]:
    return _me(request.user)


@router.patch("/me", response=MeOut, summary="Change your name or language")
def update_me(request: HttpRequest, payload: ProfileIn) -> dict[str, object]:
    user = request.user
    services.update_profile(
        actor=user,
        full_name=user.full_name if payload.full_name is None else payload.full_name,
        language=user.language if payload.language is None else payload.language,
    )
    return _me(user)


@router.delete(
    "/me",
    response=ERASE_ME_RESPONSES,
    summary="Delete your account and your personal data",
    description=ERASE_ME_DESCRIPTION,
)
def delete_me(request: HttpRequest, data: PrivacyErasureIn) -> Status:
    """The privacy centre's erasure (privacy.api.erase_me), routed here beside GET and PATCH /me."""
    return erase_me(request, data)


@router.get("/tokens", response=list[TokenOut], summary="Your active API tokens")
def list_tokens(request: HttpRequest) -> object:
    return request.user.api_tokens.active()


@router.post("/tokens", response={201: TokenCreated}, summary="Create an API token (shown once)")
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    token, secret = services.create_api_token(actor=request.user, name=payload.name, request=request)
    return Status(201, {**TokenOut.model_validate(token).model_dump(), "token": secret})


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of your API tokens")
def revoke_token(request: HttpRequest, token_id: UUID) -> Status:
    token = get_api_token_for_user(request.user, token_id)
    services.revoke_api_token(actor=request.user, token=token, request=request)
    return Status(204, None)
