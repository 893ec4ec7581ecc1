from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundportal.accounts.models import ProviderRole
from kundportal.core.models import UUIDModel


class OrganisationKind(models.TextChoices):
    COMPANY = "company", _("Company")
    PRIVATE = "private", _("Private customer")


class CustomerRole(models.TextChoices):
    ADMIN = "admin", _("Admin")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer")


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def visible_to(self, user: object) -> OrganisationQuerySet:
        from kundportal.organisations.access import visible_organisations

        return visible_organisations(self, user)


class Organisation(UUIDModel):
    """A customer of the provider (a company or a private person): the tenant everything else belongs to."""

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=16, choices=OrganisationKind.choices, default=OrganisationKind.COMPANY
    )
    require_mfa = models.BooleanField(
        _("require multi-factor authentication"),
        default=False,
        help_text=_("Members must set up a second factor before they can use the portal."),
    )
    account_managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="StaffAssignment",
        related_name="managed_organisations",
        blank=True,
        verbose_name=_("account managers"),
    )

    objects: ClassVar[OrganisationQuerySet] = OrganisationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        # Lists page through customers by name: the first 50 come from the index, not from sorting them all.
        indexes = [models.Index(fields=["name", "id"], name="organisation_by_name")]

    def __str__(self) -> str:
        return self.name


class StaffAssignment(UUIDModel):
    """An account manager looks after an organisation: they see it and manage its people."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="staff_assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_assignments"
    )

    class Meta:
        verbose_name = _("account manager assignment")
        verbose_name_plural = _("account manager assignments")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="unique_staff_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation}"


class MembershipQuerySet(models.QuerySet["Membership"]):
    def visible_to(self, user: object) -> MembershipQuerySet:
        return self.filter(organisation__in=Organisation.objects.visible_to(user))


class Membership(UUIDModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("role"), max_length=16, choices=CustomerRole.choices, default=CustomerRole.MEMBER
    )

    objects: ClassVar[MembershipQuerySet] = MembershipQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organisation})"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def visible_to(self, user: object) -> InvitationQuerySet:
        from kundportal.organisations.access import is_provider_admin

        mine = self.filter(organisation__in=Organisation.objects.visible_to(user))
        if is_provider_admin(user):
            return mine | self.filter(organisation__isnull=True)
        return mine

    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(UUIDModel):
    """An invitation by email: to a customer organisation with a role, or (without one) to the provider's staff.

    The link carries a random token; only its SHA-256 is stored. It works once and expires.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations", null=True, blank=True
    )
    email = models.EmailField(_("email address"))
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=CustomerRole.choices, blank=True)
    provider_role = models.CharField(
        _("provider role"), max_length=16, choices=ProviderRole.choices, blank=True
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects: ClassVar[InvitationQuerySet] = InvitationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(organisation__isnull=False) & ~models.Q(role=""))
                | (models.Q(organisation__isnull=True) & ~models.Q(provider_role="")),
                name="invitation_has_a_role",
            )
        ]

    def __str__(self) -> str:
        return self.email

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def new_token(cls) -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, cls.hash(token)

    @staticmethod
    def default_expiry() -> datetime:
        return timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    def mark_accepted(self) -> None:
        if not self.is_pending:
            raise InvitationNotUsable
        self.accepted_at = timezone.now()
        self.save(update_fields=["accepted_at"])


class InvitationNotUsable(Exception):
    """The invitation was used, revoked or has expired."""
