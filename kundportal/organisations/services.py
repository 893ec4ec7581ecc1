"""Use cases for organisations, their people and invitations. Pages, API and CLI all call these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kundportal.accounts.models import ProviderRole, User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.messaging.models import Category
from kundportal.messaging.notifications import notify
from kundportal.organisations.access import OrganisationAccess, is_provider_admin, is_provider_staff
from kundportal.organisations.models import (
    CustomerRole,
    Invitation,
    InvitationNotUsable,
    Membership,
    Organisation,
    OrganisationKind,
    StaffAssignment,
)

if TYPE_CHECKING:
    from kundportal.documents.models import FolderTemplate


@transaction.atomic
def create_organisation(
    *,
    actor: User,
    name: str,
    kind: str = OrganisationKind.COMPANY,
    require_mfa: bool = False,
    folder_template: FolderTemplate | None = None,
    request: HttpRequest | None = None,
) -> Organisation:
    """A new customer, with the folders of `folder_template` (the default template when None)."""
    if not is_provider_staff(actor):
        raise PermissionDenied
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter a name.")})
    if kind not in OrganisationKind.values:
        raise ValidationError({"kind": _("Choose a company or a private customer.")})
    organisation = Organisation.objects.create(name=name, kind=kind, require_mfa=require_mfa)
    from kundportal.documents.folders import apply_template, default_template

    apply_template(
        organisation=organisation,
        template=folder_template or default_template(),
        actor=actor,
        request=request,
    )
    if actor.provider_role == ProviderRole.ACCOUNT_MANAGER:
        # Whoever creates a customer looks after it until an admin says otherwise.
        StaffAssignment.objects.create(organisation=organisation, user=actor)
    record_event(
        Action.ORGANISATION_CREATED,
        actor=actor,
        organisation=organisation,
        target=organisation,
        request=request,
    )
    return organisation


@transaction.atomic
def update_organisation(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    require_mfa: bool,
    request: HttpRequest | None = None,
) -> Organisation:
    if not is_provider_staff(actor):
        raise PermissionDenied
    changes = {}
    if name.strip() and name.strip() != organisation.name:
        changes["name"] = [organisation.name, name.strip()]
        organisation.name = name.strip()
    if require_mfa != organisation.require_mfa:
        changes["require_mfa"] = [organisation.require_mfa, require_mfa]
        organisation.require_mfa = require_mfa
    if changes:
        organisation.save(update_fields=["name", "require_mfa"])
        record_event(
            Action.ORGANISATION_SETTINGS,
            actor=actor,
            organisation=organisation,
            target=organisation,
            request=request,
            changes=changes,
        )
    return organisation


def _send_invitation_email(invitation: Invitation, token: str) -> None:
    link = settings.BASE_URL + reverse("invitation_accept", kwargs={"token": token})
    with translation.override(invitation.language):
        context = {
            "invitation": invitation,
            "link": link,
            "portal_name": settings.PORTAL_NAME,
            "inviter": invitation.invited_by.display_name if invitation.invited_by else settings.PORTAL_NAME,
            "days": settings.INVITATION_MAX_AGE_DAYS,
        }
        subject = render_to_string("organisations/email/invitation_subject.txt", context).strip()
        text = render_to_string("organisations/email/invitation_message.txt", context)
        html = render_to_string("organisations/email/invitation_message.html", context)
    message = EmailMultiAlternatives(subject, text, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()


def _create_invitation(
    *, actor: User, email: str, request: HttpRequest | None, **fields: object
) -> Invitation:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid email address.")}) from None
    from kundportal.privacy.erasure import is_do_not_contact  # privacy builds on organisations

    if is_do_not_contact(email):
        raise ValidationError(
            {
                "email": _(
                    "This person asked not to be contacted again (do-not-contact list): they cannot be invited."
                )
            }
        )
    token, token_hash = Invitation.new_token()
    organisation = fields.get("organisation")
    pending = Invitation.objects.pending().filter(email=email, organisation=organisation)
    # A new invitation replaces an unused one to the same place, so only the newest link works.
    pending.update(revoked_at=timezone.now())
    invitation = Invitation.objects.create(
        email=email,
        token_hash=token_hash,
        invited_by=actor,
        expires_at=Invitation.default_expiry(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        **fields,
    )
    record_event(
        Action.INVITATION_SENT,
        actor=actor,
        organisation=organisation,
        target=invitation,
        request=request,
        email=email,
        role=invitation.role or invitation.provider_role,
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation, token))
    return invitation


@transaction.atomic
def invite_member(
    *,
    actor: User,
    access: OrganisationAccess,
    email: str,
    role: str,
    full_name: str = "",
    request: HttpRequest | None = None,
) -> Invitation:
    if not access.can_manage_members:
        raise PermissionDenied
    if role not in CustomerRole.values:
        raise ValidationError({"role": _("Choose admin, member or viewer.")})
    email = email.strip().lower()
    if Membership.objects.filter(organisation=access.organisation, user__email=email).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    if User.objects.filter(email=email).exclude(provider_role="").exists():
        raise ValidationError({"email": _("This address belongs to provider staff.")})
    return _create_invitation(
        actor=actor,
        email=email,
        request=request,
        organisation=access.organisation,
        role=role,
        full_name=full_name,
    )


@transaction.atomic
def invite_staff(
    *, actor: User, email: str, provider_role: str, full_name: str = "", request: HttpRequest | None = None
) -> Invitation:
    if not is_provider_admin(actor):
        raise PermissionDenied
    if provider_role not in (ProviderRole.ADMIN, ProviderRole.ACCOUNT_MANAGER):
        raise ValidationError({"provider_role": _("Choose provider admin or account manager.")})
    email = email.strip().lower()
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": _("An account with this address exists already.")})
    return _create_invitation(
        actor=actor,
        email=email,
        request=request,
        organisation=None,
        provider_role=provider_role,
        full_name=full_name,
    )


def find_invitation(token: str) -> Invitation | None:
    """The invitation a link's token belongs to, pending or not (the page explains why an old one fails)."""
    return (
        Invitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=Invitation.hash(token))
        .first()
    )


@transaction.atomic
def accept_invitation(
    *,
    token: str,
    user: User | None = None,
    full_name: str = "",
    password: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Use an invitation: as the logged-in `user` whose email it names, or by creating the account with `password`.

    The row is locked so two clicks on the same link cannot both succeed.
    """
    invitation = Invitation.objects.select_for_update().filter(token_hash=Invitation.hash(token)).first()
    if invitation is None or not invitation.is_pending:
        raise InvitationNotUsable
    if user is None:
        if User.objects.filter(email=invitation.email).exists():
            raise PermissionDenied  # the person has an account: they must log in to accept
        candidate = User(
            email=invitation.email,
            full_name=full_name.strip() or invitation.full_name,
            language=invitation.language,
        )
        validate_password(password, user=candidate)
        candidate.set_password(password)
        if invitation.provider_role:
            candidate.provider_role = invitation.provider_role
        candidate.save()
        user = candidate
    elif user.email != invitation.email:
        raise PermissionDenied
    if invitation.organisation_id:
        if user.provider_role:
            raise PermissionDenied
        Membership.objects.get_or_create(
            organisation_id=invitation.organisation_id, user=user, defaults={"role": invitation.role}
        )
    invitation.mark_accepted()
    record_event(
        Action.INVITATION_ACCEPTED,
        actor=user,
        organisation=invitation.organisation,
        target=invitation,
        request=request,
    )
    _notify_invitation_accepted(invitation, user)
    return user


def _notify_invitation_accepted(invitation: Invitation, user: User) -> None:
    """The inviter and the organisation's account managers hear that the person has arrived."""
    organisation = invitation.organisation
    recipients = [invitation.invited_by] if invitation.invited_by else []
    if organisation is not None:
        recipients += list(organisation.account_managers.all())
        url = reverse("organisation_detail", kwargs={"organisation_id": organisation.pk})
    else:
        url = reverse("staff_list")
    notify(
        recipients=recipients,
        category=Category.INVITATION_ACCEPTED,
        organisation=organisation,
        params={"person": user.display_name, "organisation": organisation.name if organisation else ""},
        url=url,
        actor=user,
    )


@transaction.atomic
def revoke_invitation(*, actor: User, invitation: Invitation, request: HttpRequest | None = None) -> None:
    if invitation.is_pending:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        record_event(
            Action.INVITATION_REVOKED,
            actor=actor,
            organisation=invitation.organisation,
            target=invitation,
            request=request,
        )


def _check_keeps_an_admin(actor: User, membership: Membership, new_role: str | None) -> None:
    """A customer cannot leave their organisation without an admin; provider staff can always step in."""
    if is_provider_staff(actor) or membership.role != CustomerRole.ADMIN or new_role == CustomerRole.ADMIN:
        return
    admins = Membership.objects.filter(organisation=membership.organisation, role=CustomerRole.ADMIN)
    if not admins.exclude(pk=membership.pk).exists():
        raise ValidationError(_("An organisation needs at least one admin. Make someone else admin first."))


@transaction.atomic
def change_member_role(
    *, actor: User, membership: Membership, role: str, request: HttpRequest | None = None
) -> Membership:
    if role not in CustomerRole.values:
        raise ValidationError({"role": _("Choose admin, member or viewer.")})
    _check_keeps_an_admin(actor, membership, role)
    if role != membership.role:
        old = membership.role
        membership.role = role
        membership.save(update_fields=["role"])
        record_event(
            Action.ROLE_CHANGED,
            actor=actor,
            organisation=membership.organisation,
            target=membership,
            request=request,
            email=membership.user.email,
            old=old,
            new=role,
        )
    return membership


@transaction.atomic
def remove_member(*, actor: User, membership: Membership, request: HttpRequest | None = None) -> None:
    _check_keeps_an_admin(actor, membership, None)
    record_event(
        Action.MEMBER_REMOVED,
        actor=actor,
        organisation=membership.organisation,
        target=membership,
        request=request,
        email=membership.user.email,
        role=membership.role,
    )
    membership.delete()


@transaction.atomic
def assign_account_manager(
    *, actor: User, organisation: Organisation, manager: User, request: HttpRequest | None = None
) -> None:
    if not is_provider_admin(actor):
        raise PermissionDenied
    if manager.provider_role != ProviderRole.ACCOUNT_MANAGER or not manager.is_active:
        raise ValidationError({"manager": _("Choose an active account manager.")})
    _assignment, created = StaffAssignment.objects.get_or_create(organisation=organisation, user=manager)
    if created:
        record_event(
            Action.MANAGER_ASSIGNED, actor=actor, organisation=organisation, target=manager, request=request
        )


@transaction.atomic
def unassign_account_manager(
    *, actor: User, organisation: Organisation, manager: User, request: HttpRequest | None = None
) -> None:
    if not is_provider_admin(actor):
        raise PermissionDenied
    deleted, _rows = StaffAssignment.objects.filter(organisation=organisation, user=manager).delete()
    if deleted:
        record_event(
            Action.MANAGER_UNASSIGNED, actor=actor, organisation=organisation, target=manager, request=request
        )
