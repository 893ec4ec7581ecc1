"""Consents: what each user agreed to, for which purpose, with which wording, and when.

Append-only: every grant and every withdrawal is a new row; the current state of a (user, purpose) is its
latest row. Nothing here is ever updated in place, so the history is the evidence (GDPR Art. 7(1)).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kundportal.core.models import UUIDModel


class ConsentSource(models.TextChoices):
    PAGE = "page", _("Portal page")
    API = "api", _("API")
    STAFF = "staff", _("Provider staff on the customer's behalf")


class Consent(UUIDModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=60)  # a key of privacy.purposes.PURPOSES
    version = models.PositiveSmallIntegerField(_("wording version"))
    granted = models.BooleanField(_("granted"))
    # The wording exactly as the user saw it, in the language they saw it in.
    wording = models.TextField(_("wording"))
    language = models.CharField(_("language"), max_length=8)
    source = models.CharField(_("source"), max_length=8, choices=ConsentSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "purpose", "-created_at"], name="consent_latest")]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}: {'granted' if self.granted else 'withdrawn'}"


class ConfiguredPurpose(UUIDModel):
    """A purpose the provider adds to the registry (privacy.purposes): customers consent to it like the built-in
    ones. Changing the wording raises the version, which asks everyone again."""

    key = models.SlugField(_("key"), max_length=60, unique=True)
    version = models.PositiveSmallIntegerField(_("wording version"), default=1)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_de = models.CharField(_("title (German)"), max_length=200)
    wording_en = models.TextField(_("wording (English)"))
    wording_sv = models.TextField(_("wording (Swedish)"))
    wording_de = models.TextField(_("wording (German)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("consent purpose")
        verbose_name_plural = _("consent purposes")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class PrivacyNotice(UUIDModel):
    """The privacy notice the provider writes, in three languages; every save is a new version (kept)."""

    text_en = models.TextField(_("notice (English)"))
    text_sv = models.TextField(_("notice (Swedish)"))
    text_de = models.TextField(_("notice (German)"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")
        ordering = ["-created_at"]


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")


class DataExport(UUIDModel):
    """A "download my data" job: built by the worker into an encrypted ZIP (the documents' blob format, its own
    wrapped key), downloadable by its owner until it expires, then deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_exports")
    requested_by = models.ForeignKey(  # the user, or a provider admin acting on their behalf
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    blob_name = models.CharField(max_length=80, blank=True)
    kek_id = models.CharField(max_length=64, blank=True)
    wrapped_key = models.BinaryField(null=True, blank=True)
    size = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-created_at"]
        constraints = [
            # "Export requested twice" is one job: at most one unfinished export per person.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_running_export",
            )
        ]


class ErasureKind(models.TextChoices):
    USER = "user", _("Account")
    ORGANISATION = "organisation", _("Organisation")


class ErasureStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for the provider's approval")
    DONE = "done", _("Erased")
    REJECTED = "rejected", _("Rejected")


class ErasureRecord(UUIDModel):
    """That an erasure happened, without the erased data: what kind, when, on whose request, and counts."""

    kind = models.CharField(max_length=16, choices=ErasureKind.choices)
    status = models.CharField(max_length=24, choices=ErasureStatus.choices, default=ErasureStatus.DONE)
    # Kept only while waiting for approval (an organisation with open orders); cleared when done.
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_by_role = models.CharField(max_length=32)  # "the person", "customer admin", "provider admin"
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict)  # ErasureReport counts: never a value that was erased

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        ordering = ["-created_at"]


class DoNotContact(UUIDModel):
    """Someone who asked never to be contacted again: a keyed hash of their email address (HMAC with the
    portal's secret), so the list itself does not keep the address; invitations and imports check it."""

    email_hmac = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("do-not-contact entry")
        verbose_name_plural = _("do-not-contact list")
