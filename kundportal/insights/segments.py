"""RFM segments: the names customers are grouped under by how recently, how often and how much they buy.

Scores are quintiles 1-5 over the customers who bought anything (5 = most recent, most frequent, highest
revenue); insights.rfm computes them into commerce.PurchaseSummary. Customers without purchases have no
segment (blank)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


# The names in a context of their own: "New" and "Lost" mean other things elsewhere in the portal.
class Segment(models.TextChoices):
    CHAMPIONS = "champions", pgettext_lazy("customer segment", "Champions")
    LOYAL = "loyal", pgettext_lazy("customer segment", "Loyal")
    POTENTIAL = "potential", pgettext_lazy("customer segment", "Potential loyalists")
    NEW = "new", pgettext_lazy("customer segment", "New")
    AT_RISK = "at_risk", pgettext_lazy("customer segment", "At risk")
    HIBERNATING = "hibernating", pgettext_lazy("customer segment", "Hibernating")
    LOST = "lost", pgettext_lazy("customer segment", "Lost")


# What each segment means, for the legend under the chart (in the order of Segment).
MEANINGS = {
    Segment.CHAMPIONS: _("Bought recently and often."),
    Segment.LOYAL: _("Buy often; their last purchase is a little while ago."),
    Segment.POTENTIAL: _("Bought recently, but not often yet."),
    Segment.NEW: _("Bought recently, for the first time or nearly so."),
    Segment.AT_RISK: _("Used to buy often, but not for a long time."),
    Segment.HIBERNATING: _("Bought rarely, and not for a while."),
    Segment.LOST: _("Bought rarely, and last a long time ago."),
}


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
