from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import get_language

from kundportal.commerce import formats

register = template.Library()


@register.simple_tag
def money(amount: Decimal | None, currency: str) -> str:
    """{% money order.total order.currency %}"""
    return formats.money(amount, currency)


@register.filter
def quantity(value: Decimal | None) -> str:
    return formats.quantity_text(value)


@register.filter
def in_language(interest: Any) -> str:
    """An interest category's name in the reader's language."""
    return interest.name_in(get_language() or "en")
