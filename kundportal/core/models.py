from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import models
from django.utils.translation import gettext_lazy as _


class UUIDModel(models.Model):
    """Every object the outside world can name has a random UUID, so ids reveal neither counts nor order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True


class PortalSettings(models.Model):
    """The provider's portal-wide settings: one row, edited by provider admins."""

    CACHE_KEY = "portal-settings:v1"

    require_staff_mfa = models.BooleanField(
        _("require multi-factor authentication for all staff"),
        default=False,
        help_text=_("Staff without a second factor are sent to set one up before they can continue."),
    )
    collect_birth_date = models.BooleanField(
        _("ask private customers for their birth date"),
        default=False,
        help_text=_("Optional for the customer, never required; shown to staff as an age."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("portal settings")
        verbose_name_plural = _("portal settings")

    def __str__(self) -> str:
        return str(_("Portal settings"))

    def save(self, *args: object, **kwargs: object) -> None:
        self.pk = 1
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        cache.delete(self.CACHE_KEY)

    @classmethod
    def load(cls) -> PortalSettings:
        cached = cache.get(cls.CACHE_KEY)
        if cached is None:
            cached, _created = cls.objects.get_or_create(pk=1)
            cache.set(cls.CACHE_KEY, cached, 300)
        return cached
