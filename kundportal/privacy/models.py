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
