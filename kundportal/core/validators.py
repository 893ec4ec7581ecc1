"""Validators every app can use on free text that people type or paste."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = ["CARD_NUMBER_MESSAGE", "contains_card_number", "luhn_valid", "refuse_card_numbers"]

CARD_NUMBER_MESSAGE = _(
    "This looks like a payment card number. Never enter card numbers here: "
    "cards are added only through the payment provider."
)

# Runs of digit groups separated by one space, dash or dot, as card numbers are written or pasted
# ("4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111").
_DIGIT_RUN = re.compile(r"\d+(?:[ \-.\u00a0]\d+)*")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _candidates(groups: list[str]) -> list[str]:
    """Every run of whole consecutive groups with 13 to 19 digits: "Storgatan 12 4111 1111 1111 1111" holds
    the card number even though the street number sits right before it."""
    found = []
    for start in range(len(groups)):
        digits = ""
        for group in groups[start:]:
            digits += group
            if len(digits) > 19:
                break
            if len(digits) >= 13:
                found.append(digits)
    return found


def contains_card_number(text: str) -> bool:
    """True if `text` holds a 13 to 19 digit number that passes the Luhn check (a possible payment card)."""
    if not text or sum(char.isdigit() for char in text) < 13:
        return False
    for run in _DIGIT_RUN.finditer(text):
        groups = re.split(r"[ \-.\u00a0]", run.group())
        if any(luhn_valid(candidate) for candidate in _candidates(groups)):
            return True
    return False


def refuse_card_numbers(text: str) -> None:
    """Raises ValidationError (code "card_number") if `text` holds what may be a payment card number.

    A full card number must never be stored anywhere (PCI DSS): not in a name, a street, a note or a log.
    """
    if isinstance(text, str) and contains_card_number(text):
        raise ValidationError(CARD_NUMBER_MESSAGE, code="card_number")
