from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    """What happened. New apps add their actions here; the stored value never changes once used."""

    LOGIN = "auth.login", _("Logged in")
    LOGIN_FAILED = "auth.login_failed", _("Login failed")
    LOGOUT = "auth.logout", _("Logged out")
    PASSWORD_CHANGED = "auth.password_changed", _("Password changed")
    PASSWORD_RESET = "auth.password_reset", _("Password reset")
    MFA_ADDED = "auth.mfa_added", _("Second factor added")
    MFA_REMOVED = "auth.mfa_removed", _("Second factor removed")
    SESSIONS_ENDED = "auth.sessions_ended", _("Other sessions ended")
    TOKEN_CREATED = "auth.token_created", _("API token created")
    TOKEN_REVOKED = "auth.token_revoked", _("API token revoked")
    ORGANISATION_CREATED = "org.created", _("Organisation created")
    ORGANISATION_SETTINGS = "org.settings_changed", _("Organisation settings changed")
    INVITATION_SENT = "org.invitation_sent", _("Invitation sent")
    INVITATION_ACCEPTED = "org.invitation_accepted", _("Invitation accepted")
    INVITATION_REVOKED = "org.invitation_revoked", _("Invitation revoked")
    ROLE_CHANGED = "org.role_changed", _("Role changed")
    MEMBER_REMOVED = "org.member_removed", _("Member removed")
    MANAGER_ASSIGNED = "org.manager_assigned", _("Account manager assigned")
    MANAGER_UNASSIGNED = "org.manager_unassigned", _("Account manager unassigned")
    PORTAL_SETTINGS = "portal.settings_changed", _("Portal settings changed")
    DOCUMENT_UPLOADED = "doc.uploaded", _("Document uploaded")
    DOCUMENT_DOWNLOADED = "doc.downloaded", _("Document downloaded")
    FOLDER_DOWNLOADED = "doc.folder_downloaded", _("Folder downloaded as a ZIP file")
    DOCUMENT_TRASHED = "doc.trashed", _("Document moved to the trash")
    DOCUMENT_RESTORED = "doc.restored", _("Document restored from the trash")
    DOCUMENT_PURGED = "doc.purged", _("Document deleted for good")
    VERSION_RESTORED = "doc.version_restored", _("Older version restored")
    VERSION_LABELLED = "doc.version_labelled", _("Version labelled")
    FOLDERS_APPLIED = "doc.template_applied", _("Folder template applied")
    FOLDER_TEMPLATE_CREATED = "doc.template_created", _("Folder template created")
    FOLDER_TEMPLATE_CHANGED = "doc.template_changed", _("Folder template changed")
    FOLDER_TEMPLATE_DELETED = "doc.template_deleted", _("Folder template deleted")
    FOLDER_CREATED = "doc.folder_created", _("Folder added")
    FOLDER_CHANGED = "doc.folder_changed", _("Folder renamed or its access changed")
    PROFILE_CHANGED = "customer.profile_changed", _("Customer profile changed")
    ADDRESS_CHANGED = "customer.address_changed", _("Address changed")
    PAYMENT_METHOD_CHANGED = "customer.payment_method_changed", _("Payment method changed")
    CHANGE_REQUESTED = "customer.change_requested", _("Change of a locked field requested")
    CHANGE_DECIDED = "customer.change_decided", _("Change request decided")
    CHANGE_WITHDRAWN = "customer.change_withdrawn", _("Change request withdrawn")
    INTERESTS_CHANGED = "customer.interests_changed", _("Interests changed")
    CUSTOMER_VIEWED = "customer.viewed", _("Customer data viewed by staff")
    CUSTOMERS_EXPORTED = "customer.exported", _("Customer list exported")
    PRODUCT_CHANGED = "commerce.product_changed", _("Product changed")
    ORDER_CREATED = "commerce.order_created", _("Order created")
    ORDER_STATUS_CHANGED = "commerce.order_status_changed", _("Order status changed")
    INVOICE_ISSUED = "commerce.invoice_issued", _("Invoice issued")
    REORDER_REQUESTED = "commerce.reorder_requested", _("Re-order requested")
    IMPORT_APPLIED = "import.applied", _("Import applied")
    CONSENT_GIVEN = "privacy.consent_given", _("Consent given")
    CONSENT_WITHDRAWN = "privacy.consent_withdrawn", _("Consent withdrawn")
    OFFER_CREATED = "offers.created", _("Offer created")
    OFFER_CHANGED = "offers.changed", _("Offer changed")
    OFFER_PUBLISHED = "offers.published", _("Offer published")
    OFFER_ENDED = "offers.ended", _("Offer ended")
    OFFER_ACCEPTED = "offers.accepted", _("Offer accepted")
    INSIGHTS_EXPORTED = "insights.exported", _("Insight figures exported")


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted through the application."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


class AuditEvent(models.Model):
    """One security or data event: append-only. Who, when, from where, what, and about which organisation.

    The actor's email is copied, so the entry keeps its meaning after the account is gone.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=64, choices=Action.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        db_constraint=False,
    )
    actor_label = models.CharField(_("who"), max_length=254, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        db_constraint=False,
    )
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(_("what"), max_length=254, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects: ClassVar[AuditEventQuerySet] = AuditEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]
        indexes = [models.Index(fields=["organisation", "-at"]), models.Index(fields=["actor", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")
