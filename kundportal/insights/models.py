"""The insight figures as the background task last computed them, so that the dashboard reads one row instead of
aggregating 100,000 orders per request."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The whole provider: every customer. An account manager's is "manager:<user id>" (see insights.snapshots).
PROVIDER = "provider"


class InsightSnapshot(models.Model):
    """The figures of one scope (insights.figures.Figures as JSON), replaced whole by every computation.

    Derived data that nothing outside names, hence the plain numeric key rather than a UUIDModel's."""

    scope = models.CharField(_("scope"), max_length=64, unique=True)
    computed_at = models.DateTimeField(_("computed"))
    duration_ms = models.PositiveIntegerField(_("computation time (ms)"), default=0)
    data = models.JSONField(_("figures"), default=dict)
    # An account manager's: the SHA-256 of their organisations' ids when computed. The snapshot counts only
    # while they look after exactly these organisations.
    organisations_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("insight snapshot")
        verbose_name_plural = _("insight snapshots")

    def __str__(self) -> str:
        return f"{self.scope} {self.computed_at:%Y-%m-%d %H:%M}"
