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
    THREAD_STARTED = "messaging.thread_started", _("Conversation started")
    MESSAGE_POSTED = "messaging.message_posted", _("Message sent")
    NOTE_ADDED = "messaging.note_added", _("Internal note added")
    THREAD_CLOSED = "messaging.thread_closed", _("Conversation closed")
    THREAD_REOPENED = "messaging.thread_reopened", _("Conversation reopened")
    AUDIT_PURGED = "audit.purged", _("Old audit entries deleted")
    AUDIT_REDACTED = "audit.redacted", _("Audit entries redacted for an erasure")
    DATA_EXPORT_REQUESTED = "privacy.export_requested", _("Data export requested")
    DATA_EXPORT_DOWNLOADED = "privacy.export_downloaded", _("Data export downloaded")
    ORDER_VIEWED = "commerce.order_viewed", _("Order viewed by staff")
    PRIVACY_NOTICE_CHANGED = "privacy.notice_changed", _("Privacy notice changed")
    PURPOSE_CHANGED = "privacy.purpose_changed", _("Consent purpose changed")
    ERASURE_REQUESTED = "privacy.erasure_requested", _("Erasure requested (waiting for approval)")
    ERASURE_DONE = "privacy.erasure_done", _("Personal data erased")
    ERASURE_REJECTED = "privacy.erasure_rejected", _("Erasure request rejected")


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted through the application."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Refuses changes and deletions: only the chain's own code (audit.chain: sealing, redaction, retention)
    writes to existing rows, through `_write_sealed_fields` and `_delete_rows`."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit events cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")

    def _write_sealed_fields(self, **kwargs: Any) -> int:
        return super().update(**kwargs)

    def _delete_rows(self) -> int:
        return self._raw_delete(self.db)


class AuditEvent(models.Model):
    """One security or data event: append-only. Who, when, from where, what, and about which organisation.

    The actor's email is copied, so the entry keeps its meaning after the account is gone; the actor's and the
    organisation's ids stay too (no SET_NULL: they are part of the entry's hash).

    Tamper-evident (audit.chain): rows are written unsealed (seq NULL); the sealer numbers them and chains each
    to the one before: `hash` = SHA-256 over `prev_hash` and the entry's canonical form, which covers the
    personal fields (actor_label, target_label, ip, data) only through `personal_digest` = HMAC(salt, those
    fields). Redaction for an erasure blanks the personal fields and deletes the salt: the chain still
    verifies, and the digest can no longer confirm a guessed value.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=64, choices=Action.choices, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
        db_constraint=False,
    )
    actor_label = models.CharField(_("who"), max_length=254, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.DO_NOTHING,
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
    # The chain (set by the sealer, audit.chain.seal_pending).
    seq = models.BigIntegerField(_("entry"), null=True, blank=True, unique=True, editable=False)
    # A database default too: rows written by other paths (core.bulk.insert_rows with some fields) are valid.
    prev_hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    salt = models.CharField(max_length=32, blank=True, default="", db_default="", editable=False)
    personal_digest = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    redacted_at = models.DateTimeField(_("redacted"), null=True, blank=True, editable=False)

    objects: ClassVar[AuditEventQuerySet] = AuditEventQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["organisation", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["target_type", "target_id"]),
            # The sealer's queue: small (usually empty), so sealing costs O(new rows), not O(table).
            models.Index(fields=["at", "id"], condition=models.Q(seq__isnull=True), name="audit_unsealed"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit events cannot be deleted")


GENESIS = "0" * 64  # the previous hash of the very first entry


class AuditChain(models.Model):
    """The chain's single head row (pk 1): the last sealed entry and the anchor left by retention.

    The sealer and the purger lock this row (select_for_update) for their short transactions, so they never
    interleave; the audited writes themselves never wait for it (they insert unsealed rows)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)
    sealed_at = models.DateTimeField(null=True, blank=True)
    # Entries up to anchor_seq were deleted by retention; the next one chains to anchor_hash.
    anchor_seq = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default=GENESIS)
    anchor_at = models.DateTimeField(null=True, blank=True)
    anchor_before = models.DateTimeField(null=True, blank=True)
    purged = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain")

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:16]}"


class VerificationTrigger(models.TextChoices):
    COMMAND = "command", _("the command line")
    SCHEDULE = "schedule", _("the nightly check")
    PAGE = "page", _("a provider admin")


class AuditVerification(models.Model):
    """One run of the chain verification (audit.chain.verify_chain) and its outcome, for the audit page.

    `ok` is None while queued or running. A failed run names the first broken entry (problem_*)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_at = models.DateTimeField(default=timezone.now)
    trigger = models.CharField(max_length=16, choices=VerificationTrigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(null=True)
    checked = models.BigIntegerField(default=0)
    redacted = models.BigIntegerField(default=0)
    head_seq = models.BigIntegerField(default=0)
    head_hash = models.CharField(max_length=64, blank=True)
    anchor_seq = models.BigIntegerField(default=0)
    seconds = models.FloatField(default=0)
    problem = models.CharField(max_length=32, blank=True)  # audit.chain.Problem.kind
    problem_seq = models.BigIntegerField(null=True, blank=True)
    problem_event_id = models.UUIDField(null=True, blank=True)
    problem_at = models.DateTimeField(null=True, blank=True)
    problem_action = models.CharField(max_length=64, blank=True)
    problem_detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("audit verification")

    def __str__(self) -> str:
        return f"{self.requested_at:%Y-%m-%d %H:%M} {self.ok}"

    @property
    def running(self) -> bool:
        return self.finished_at is None
