from __future__ import annotations

import unicodedata

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundportal.core.models import UUIDModel


class FolderAccess(models.TextChoices):
    """What customers may do in a folder. Provider staff may always read and write."""

    READ_WRITE = "read_write", _("Customers read and upload")
    READ_ONLY = "read_only", _("Customers only read")
    UPLOAD_ONLY = "upload_only", _("Customers upload, and see only what they uploaded")
    INTERNAL = "internal", _("Provider only (invisible to customers)")


class FolderTemplate(UUIDModel):
    """An agreed folder structure, applied to new customers (the default one) or to existing ones on demand."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_default = models.BooleanField(_("use for new customers"), default=False)
    # Where it was applied (when the customer was created, or later): its folders are copies, so this is
    # history for the template list, not a link that changes anything.
    organisations = models.ManyToManyField(
        "organisations.Organisation",
        related_name="folder_templates",
        blank=True,
        verbose_name=_("applied to"),
    )

    class Meta:
        verbose_name = _("folder template")
        verbose_name_plural = _("folder templates")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_template"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FolderTemplateEntry(UUIDModel):
    template = models.ForeignKey(FolderTemplate, on_delete=models.CASCADE, related_name="entries")
    name = models.CharField(_("folder name"), max_length=100)
    access = models.CharField(
        _("access"), max_length=16, choices=FolderAccess.choices, default=FolderAccess.READ_WRITE
    )
    position = models.PositiveSmallIntegerField(default=0)
    message_attachments = models.BooleanField(
        _("files sent with messages go here"),
        default=False,
        help_text=_('At most one folder per template; without one, a "Message attachments" folder is made.'),
    )

    class Meta:
        verbose_name = _("template folder")
        verbose_name_plural = _("template folders")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["template", "name"], name="unique_template_entry")]

    def __str__(self) -> str:
        return self.name


class Folder(UUIDModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="folders"
    )
    name = models.CharField(_("name"), max_length=100)
    access = models.CharField(
        _("access"), max_length=16, choices=FolderAccess.choices, default=FolderAccess.READ_WRITE
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Where files sent with messages are stored for this organisation (copied from its template).
    message_attachments = models.BooleanField(_("files sent with messages go here"), default=False)

    class Meta:
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="unique_folder_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_internal(self) -> bool:
        return self.access == FolderAccess.INTERNAL


def name_key(name: str) -> str:
    """Two names that look the same to a person are the same document: NFC, case-folded."""
    return unicodedata.normalize("NFC", name).casefold()


class Document(UUIDModel):
    """A named file in a folder, with its versions. Hidden until its first version is complete (latest set)."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    folder = models.ForeignKey(Folder, on_delete=models.PROTECT, related_name="documents")
    name = models.CharField(_("name"), max_length=255)
    name_key = models.CharField(max_length=255, editable=False)
    latest = models.ForeignKey(
        "DocumentVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Copied from the latest version so that folder listings sort and filter on one indexed table.
    size = models.BigIntegerField(_("size"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["name_key"]
        constraints = [
            # One live document per name in a folder: the same name again is a new version, never a twin.
            models.UniqueConstraint(
                fields=["folder", "name_key"],
                condition=Q(deleted_at__isnull=True),
                name="unique_live_document_name",
            )
        ]
        indexes = [
            models.Index(fields=["folder", "name_key"]),
            models.Index(fields=["folder", "-updated_at"]),
            models.Index(fields=["folder", "size"]),
            models.Index(fields=["organisation", "-updated_at"]),
            # Covers the listing's COUNT(*) (live documents of a folder) without reading the table.
            models.Index(fields=["folder", "deleted_at", "latest", "id"], name="document_live_by_folder"),
            # The dashboard's "what is new": the most recently changed documents across organisations.
            models.Index(fields=["-updated_at"], name="document_recent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


class DocumentVersion(UUIDModel):
    """One immutable version: an encrypted object in storage named by a random UUID, and how to decrypt it."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    blob_name = models.CharField(max_length=80, unique=True, editable=False)
    kek_id = models.CharField(max_length=64, editable=False)
    wrapped_key = models.BinaryField(editable=False)
    plaintext_size = models.BigIntegerField(_("size"))
    ciphertext_size = models.BigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    content_type = models.CharField(max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    label = models.CharField(_("label"), max_length=60, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    restored_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="unique_version_number"),
            models.UniqueConstraint(
                fields=["uploaded_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"

    @property
    def is_latest(self) -> bool:
        return self.document.latest_id == self.pk
