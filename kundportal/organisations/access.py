"""The tenancy policy: who sees which organisation, and who may do what inside it.

Every query for tenant data starts from `Organisation.objects.visible_to(user)`; every lookup by id goes through
a `get_*_for_user` function here or in the owning app. Not visible and not existing look the same (404).
Visible but not allowed (a viewer trying to write) is 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404

from kundportal.accounts.models import ProviderRole
from kundportal.organisations.models import (
    CustomerRole,
    Invitation,
    Membership,
    Organisation,
    StaffAssignment,
)

if TYPE_CHECKING:
    from kundportal.accounts.models import User


def is_provider_admin(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.provider_role == ProviderRole.ADMIN
    )


def is_provider_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.provider_role)


def visible_organisations(queryset: QuerySet[Organisation], user: Any) -> QuerySet[Organisation]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if user.provider_role == ProviderRole.ADMIN:
        return queryset
    # Subqueries rather than joins: a join on memberships here would be reused by any later
    # Count("memberships") and count only the user's own row.
    if user.provider_role == ProviderRole.ACCOUNT_MANAGER:
        return queryset.filter(pk__in=StaffAssignment.objects.filter(user=user).values("organisation_id"))
    return queryset.filter(pk__in=Membership.objects.filter(user=user).values("organisation_id"))


@dataclass(frozen=True)
class OrganisationAccess:
    """What one user may do in one organisation they can see."""

    organisation: Organisation
    customer_role: str | None  # the user's role as a member, if they are one
    staff: bool  # provider admin, or an account manager assigned to it

    @property
    def can_write(self) -> bool:
        """Contribute content (upload, message). Viewers only read."""
        return self.staff or self.customer_role in (CustomerRole.ADMIN, CustomerRole.MEMBER)

    @property
    def can_manage_members(self) -> bool:
        return self.staff or self.customer_role == CustomerRole.ADMIN

    @property
    def role_label(self) -> str:
        if self.customer_role:
            return str(CustomerRole(self.customer_role).label)
        return str(ProviderRole.ACCOUNT_MANAGER.label)


@dataclass(frozen=True)
class FolderPermission:
    """What a user may do in one folder: the one place that decides it for pages, API and CLI alike."""

    read: bool  # list and download every document in it
    write: bool  # upload new documents and versions, restore, label, move to trash
    own_only: bool = False  # upload-only folders: customers see what they uploaded themselves


def folder_permission(access: OrganisationAccess, folder_access: str) -> FolderPermission | None:
    """None means the folder does not exist for this user (internal folders for customers)."""
    if access.staff:
        return FolderPermission(read=True, write=True)
    contributor = access.customer_role in (CustomerRole.ADMIN, CustomerRole.MEMBER)
    match folder_access:
        case "internal":
            return None
        case "read_only":
            return FolderPermission(read=True, write=False)
        case "upload_only":
            return FolderPermission(read=False, write=contributor, own_only=True)
        case _:
            return FolderPermission(read=True, write=contributor)


def organisation_access(user: User, organisation: Organisation) -> OrganisationAccess:
    """The access of a user to an organisation already known to be visible to them."""
    staff = is_provider_staff(user)
    role = None
    if not staff:
        role = (
            Membership.objects.filter(organisation=organisation, user=user)
            .values_list("role", flat=True)
            .first()
        )
    return OrganisationAccess(organisation=organisation, customer_role=role, staff=staff)


def parse_uuid(value: UUID | str) -> UUID:
    """An id from a URL or API path; a malformed one is simply not found."""
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (ValueError, ValidationError):
        raise Http404 from None


def get_organisation_for_user(
    user: User, organisation_id: UUID | str, *, manage: bool = False
) -> OrganisationAccess:
    """The organisation with its access for `user`: 404 if they cannot see it, 403 if `manage` and they may not."""
    organisation = Organisation.objects.visible_to(user).filter(pk=parse_uuid(organisation_id)).first()
    if organisation is None:
        raise Http404
    access = organisation_access(user, organisation)
    if manage and not access.can_manage_members:
        raise PermissionDenied
    return access


def get_membership_for_user(user: User, membership_id: UUID | str, *, manage: bool = False) -> Membership:
    membership = (
        Membership.objects.visible_to(user)
        .select_related("organisation", "user")
        .filter(pk=parse_uuid(membership_id))
        .first()
    )
    if membership is None:
        raise Http404
    if manage and not organisation_access(user, membership.organisation).can_manage_members:
        raise PermissionDenied
    return membership


def get_invitation_for_user(user: User, invitation_id: UUID | str, *, manage: bool = False) -> Invitation:
    invitation = (
        Invitation.objects.visible_to(user)
        .select_related("organisation")
        .filter(pk=parse_uuid(invitation_id))
        .first()
    )
    if invitation is None:
        raise Http404
    if manage:
        allowed = (
            organisation_access(user, invitation.organisation).can_manage_members
            if invitation.organisation
            else is_provider_admin(user)
        )
        if not allowed:
            raise PermissionDenied
    return invitation


def require_provider_admin(user: User) -> None:
    """Staff-wide settings: provider admins only. Others are not told such pages exist."""
    if not is_provider_admin(user):
        raise Http404


def require_provider_staff(user: User) -> None:
    if not is_provider_staff(user):
        raise Http404
