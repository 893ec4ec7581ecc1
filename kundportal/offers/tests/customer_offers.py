"""Helpers for the tests of what customers see of offers (test_customer_*.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from kundportal.offers.models import Offer
from kundportal.offers.targeting import Target
from kundportal.privacy.purposes import PERSONALISED_OFFERS
from kundportal.privacy.services import record_consent


def make_offer(title: str = "Spring offer", *, target: Target | None = None, **fields: Any) -> Offer:
    """A published offer, live from yesterday for a month, for `target` (every customer by default)."""
    target = target or Target()
    today = timezone.localdate()
    values: dict[str, Any] = {
        "body": f"{title}: text",
        "status": "published",
        "starts_on": today - timedelta(days=1),
        "ends_on": today + timedelta(days=30),
        "published_at": timezone.now(),
        "target": target.as_json(),
        "personal": target.personal,
    }
    values.update(fields)
    return Offer.objects.create(title=title, **values)


def consent(user: Any, granted: bool = True) -> None:
    record_consent(actor=user, user=user, purpose=PERSONALISED_OFFERS, granted=granted)


def offers_url(rest: str = "") -> str:
    return f"/offers/{rest}"
