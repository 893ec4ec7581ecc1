"""How an offer's price reads to a customer, for the templates (and the API, which shows the same text)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from kundportal.commerce.formats import money

register = template.Library()


def price_text(offer: Any) -> str:
    """ "SEK 1,234.50" or "20% off" as the reader's language writes them, or "" for neither."""
    if offer.price is not None and offer.currency:
        return money(offer.price, offer.currency)
    if offer.discount_percent:
        return _("%(percent)d%% off") % {"percent": offer.discount_percent}
    return ""


@register.filter
def offer_price(offer: Any) -> str:
    """{{ offer|offer_price }}"""
    return price_text(offer)
