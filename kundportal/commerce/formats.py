"""Money and quantities as the reader's language writes them (Django's localisation), with the currency code:
"SEK 1,234.50" in English, "1 234,50 SEK" in Swedish, "1.234,50 SEK" in German."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import pgettext


def money(amount: Decimal | int | None, currency: str) -> str:
    if amount is None:
        return ""
    return pgettext("money", "%(currency)s %(amount)s") % {
        "currency": currency,
        "amount": number_format(Decimal(amount), 2, use_l10n=True, force_grouping=True),
    }


def quantity_text(quantity: Decimal | int | None) -> str:
    """A quantity without the trailing zeros its column stores: 2, 1.5, 0.125."""
    if quantity is None:
        return ""
    text = f"{Decimal(quantity):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    decimals = len(text.partition(".")[2])
    return number_format(Decimal(text), decimals, use_l10n=True, force_grouping=True)
