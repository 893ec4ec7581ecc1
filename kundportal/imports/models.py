"""An uploaded import file between its preview and its apply.

The file itself is kept only as long as the admin needs to decide (IMPORT_BATCH_HOURS, 24 h): compressed and
encrypted like every sensitive column (core.crypto.fields, AAD imports_importbatch|content|<id>), never as
plaintext on disk. Applying, discarding or expiring a batch empties `content_encrypted`; the row stays as the
record of what was imported, when and by whom, with its counts.
"""

from __future__ import annotations

import base64
import zlib
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundportal.core.crypto.fields import decrypt_value, encrypt_value, field_aad
from kundportal.core.models import UUIDModel

BATCH_LIFETIME = timedelta(hours=24)


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    PRODUCTS = "products", _("Products")
    ORDERS = "orders", _("Orders")


class BatchStatus(models.TextChoices):
    READY = "ready", _("Ready to apply")
    INVALID = "invalid", _("Has errors")
    QUEUED = "queued", _("Applying")  # large files: in the background (imports.tasks)
    FAILED = "failed", _("Failed, nothing applied")
    APPLIED = "applied", _("Applied")
    DISCARDED = "discarded", _("Discarded")


class ImportBatchQuerySet(models.QuerySet["ImportBatch"]):
    def visible_to(self, user: object) -> ImportBatchQuerySet:
        from kundportal.organisations.access import is_provider_admin

        return self if is_provider_admin(user) else self.none()

    def expired(self) -> ImportBatchQuerySet:
        return self.filter(expires_at__lte=timezone.now()).exclude(content_encrypted="")


class ImportBatch(UUIDModel):
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=BatchStatus.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(_("file"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    encoding = models.CharField(max_length=16, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    # zlib-compressed UTF-8 text, base64, encrypted: see the module docstring.
    content_encrypted = models.TextField(blank=True, editable=False)
    # The validation report as shown on the preview page (imports.report.Report.as_dict()).
    report = models.JSONField(default=dict)
    expires_at = models.DateTimeField(_("expires"))
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    objects: ClassVar[ImportBatchQuerySet] = ImportBatchQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"

    @staticmethod
    def default_expiry() -> Any:
        return timezone.now() + BATCH_LIFETIME

    def _aad(self) -> bytes:
        return field_aad("imports_importbatch", "content", self.pk)

    def store_text(self, text: str) -> None:
        packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")
        self.content_encrypted = encrypt_value(packed, aad=self._aad())

    def load_text(self) -> str:
        packed = decrypt_value(self.content_encrypted, aad=self._aad())
        return zlib.decompress(base64.b64decode(packed)).decode("utf-8")

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def can_apply(self) -> bool:
        return (
            self.status in (BatchStatus.READY, BatchStatus.FAILED)
            and bool(self.content_encrypted)
            and not self.is_expired
        )

    @property
    def rows(self) -> int:
        return int(self.report.get("counts", {}).get("rows", 0))

    def forget_content(self) -> None:
        self.content_encrypted = ""
