"""RFM segments: the names customers are grouped under by how recently, how often and how much they buy.

Scores are quintiles 1-5 over the customers who bought anything (5 = most recent, most frequent, highest
revenue); insights.rfm computes them into commerce.PurchaseSummary. Customers without purchases have no
segment (blank)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Segment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL = "potential", _("Potential loyalists")
    NEW = "new", _("New")
    AT_RISK = "at_risk", _("At risk")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


def segment_for(recency: int, frequency: int) -> Segment:
    """The segment of recency and frequency scores (1-5); monetary refines nothing here but is shown."""
    if recency >= 4 and frequency >= 4:
        return Segment.CHAMPIONS
    if recency >= 4 and frequency == 1:
        return Segment.NEW
    if recency >= 3 and frequency >= 4:
        return Segment.LOYAL
    if recency >= 3:
        return Segment.POTENTIAL
    if frequency >= 3:
        return Segment.AT_RISK
    if recency == 2:
        return Segment.HIBERNATING
    return Segment.LOST
