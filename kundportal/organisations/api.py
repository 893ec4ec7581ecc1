# No `from __future__ import annotations` here: @paginate wraps the view in a function of ninja's own module,
# so string annotations such as `UUID` would be resolved there and fail (every paginated call was a 500).
from datetime import datetime
from typing import Literal
from uuid import UUID

from django.db.models import Count
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.documents.access import find_folder_template
from kundportal.organisations import services
from kundportal.organisations.access import (
    get_invitation_for_user,
    get_membership_for_user,
    get_organisation_for_user,
)
from kundportal.organisations.models import Membership, Organisation

router = Router(tags=["organisations"])


class OrganisationOut(Schema):
    id: UUID
    name: str
    kind: str
    require_mfa: bool
    created_at: datetime
    member_count: int = 0


class OrganisationIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["company", "private"] = "company"
    require_mfa: bool = False
    folder_template_id: UUID | None = Field(
        default=None, description="The folder template the customer starts with; left out: the default one."
    )


class MemberOut(Schema):
    id: UUID
    user_id: UUID
    email: str
    full_name: str
    role: str
    created_at: datetime


class RoleIn(InputSchema):
    role: Literal["admin", "member", "viewer"]


class InvitationIn(InputSchema):
    email: str = Field(max_length=254, json_schema_extra={"format": "email"})
    role: Literal["admin", "member", "viewer"] = "member"
    full_name: str = Field(default="", max_length=150)


class InvitationOut(Schema):
    id: UUID
    email: str
    role: str
    status: str
    created_at: datetime
    expires_at: datetime


def _member(m: Membership) -> dict[str, object]:
    return {
        "id": m.pk,
        "user_id": m.user_id,
        "email": m.user.email,
        "full_name": m.user.full_name,
        "role": m.role,
        "created_at": m.created_at,
    }


@router.get("/organisations", response=list[OrganisationOut], summary="Organisations you can see")
@paginate(BoundedLimitOffsetPagination)
def list_organisations(request: HttpRequest) -> object:
    return (
        Organisation.objects.visible_to(request.user)
        .annotate(member_count=Count("memberships"))
        .order_by("name")
    )


@router.post(
    "/organisations", response={201: OrganisationOut}, summary="Create a customer organisation (staff)"
)
def create_organisation(request: HttpRequest, payload: OrganisationIn) -> Status:
    fields = payload.model_dump(exclude={"folder_template_id"})
    if payload.folder_template_id is not None:
        fields["folder_template"] = find_folder_template(request.user, payload.folder_template_id)
    organisation = services.create_organisation(actor=request.user, request=request, **fields)
    return Status(201, organisation)


@router.get("/organisations/{organisation_id}", response=OrganisationOut)
def get_organisation(request: HttpRequest, organisation_id: UUID) -> Organisation:
    access = get_organisation_for_user(request.user, organisation_id)
    organisation = access.organisation
    organisation.member_count = organisation.memberships.count()  # type: ignore[attr-defined]
    return organisation


@router.get("/organisations/{organisation_id}/members", response=list[MemberOut])
@paginate(BoundedLimitOffsetPagination)
def list_members(request: HttpRequest, organisation_id: UUID) -> object:
    access = get_organisation_for_user(request.user, organisation_id)
    members = (
        Membership.objects.filter(organisation=access.organisation)
        .select_related("user")
        .order_by("user__email")
    )
    return [_member(m) for m in members]


@router.patch("/members/{membership_id}", response=MemberOut, summary="Change a member's role")
def change_role(request: HttpRequest, membership_id: UUID, payload: RoleIn) -> dict[str, object]:
    membership = get_membership_for_user(request.user, membership_id, manage=True)
    return _member(
        services.change_member_role(
            actor=request.user, membership=membership, role=payload.role, request=request
        )
    )


@router.delete("/members/{membership_id}", response={204: None}, summary="Remove a member")
def remove_member(request: HttpRequest, membership_id: UUID) -> Status:
    membership = get_membership_for_user(request.user, membership_id, manage=True)
    services.remove_member(actor=request.user, membership=membership, request=request)
    return Status(204, None)


@router.get("/organisations/{organisation_id}/invitations", response=list[InvitationOut])
def list_invitations(request: HttpRequest, organisation_id: UUID) -> object:
    access = get_organisation_for_user(request.user, organisation_id, manage=True)
    return access.organisation.invitations.pending()


@router.post(
    "/organisations/{organisation_id}/invitations",
    response={201: InvitationOut},
    summary="Invite someone by email",
)
def invite(request: HttpRequest, organisation_id: UUID, payload: InvitationIn) -> Status:
    access = get_organisation_for_user(request.user, organisation_id, manage=True)
    return Status(
        201,
        services.invite_member(actor=request.user, access=access, request=request, **payload.model_dump()),
    )


@router.delete("/invitations/{invitation_id}", response={204: None}, summary="Withdraw an invitation")
def revoke_invitation(request: HttpRequest, invitation_id: UUID) -> Status:
    invitation = get_invitation_for_user(request.user, invitation_id, manage=True)
    services.revoke_invitation(actor=request.user, invitation=invitation, request=request)
    return Status(204, None)
