"""The purposes a customer can consent to, each with the wording they agree to and its version.

A new version of a wording asks everyone again: a consent counts only for the version it was given to.
The provider adds purposes of their own (ConfiguredPurpose, the purposes page): `all_purposes()` and
`find_purpose()` include the active ones; `PURPOSES` holds the built-in ones only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from kundportal.privacy.models import ConfiguredPurpose, PrivacyNotice


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


def localised(row: ConfiguredPurpose | PrivacyNotice, field: str) -> str:
    """`row.<field>_<language>` in the reader's language (sv, de), else the English one."""
    language = (translation.get_language() or "en")[:2]
    return getattr(row, f"{field}_{language}", "") or getattr(row, f"{field}_en")


def _configured(configured: ConfiguredPurpose) -> Purpose:
    """A configured purpose as a Purpose: its title and wording follow the reader's language, like the
    built-in ones (lazy strings, resolved when shown or recorded)."""
    return Purpose(
        key=configured.key,
        version=configured.version,
        title=lazy(lambda: localised(configured, "title"), str)(),
        wording=lazy(lambda: localised(configured, "wording"), str)(),
    )


def all_purposes(*, include_inactive: bool = False) -> dict[str, Purpose]:
    """The built-in purposes, then the ones the provider configured (active ones only, unless asked for the
    inactive ones too, e.g. to name a purpose in the history). One query."""
    configured = (
        ConfiguredPurpose.objects.all() if include_inactive else ConfiguredPurpose.objects.filter(active=True)
    )
    purposes = dict(PURPOSES)
    for row in configured.order_by("key"):
        purposes.setdefault(row.key, _configured(row))
    return purposes


def find_purpose(key: str) -> Purpose | None:
    """A purpose a person can consent to now: built in, or configured and active."""
    if key in PURPOSES:
        return PURPOSES[key]
    row = ConfiguredPurpose.objects.filter(key=key, active=True).first()
    return _configured(row) if row is not None else None
