"""The purposes a customer can consent to, each with the wording they agree to and its version.

A new version of a wording asks everyone again: a consent counts only for the version it was given to.
Issue 7 (the privacy centre) adds purposes the provider configures; they join this registry.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Purpose:
    key: str
    version: int
    title: Promise
    wording: Promise


PERSONALISED_OFFERS = Purpose(
    key="personalised_offers",
    version=1,
    title=_("Personalised offers and recommendations"),
    wording=_(
        "Use what the portal knows about our purchases, interests and customer profile to pick offers and "
        "product recommendations for me. Without this, I see only offers meant for every customer. I can "
        "withdraw this at any time, and personalised offers stop at once."
    ),
)

MARKETING_EMAIL = Purpose(
    key="marketing_email",
    version=1,
    title=_("News and offers by email"),
    wording=_(
        "Send me news and offers by email, at most once a week. Every email has a link to stop them, and I "
        "can withdraw this at any time."
    ),
)

PURPOSES: dict[str, Purpose] = {purpose.key: purpose for purpose in (PERSONALISED_OFFERS, MARKETING_EMAIL)}
