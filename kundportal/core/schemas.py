"""Base classes for API schemas."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import field_validator


class InputSchema(Schema):
    """Every API input: text containing NUL characters is refused with a 422 (PostgreSQL cannot store them,
    and no real name or address contains one); HTML forms refuse them through Django's own validator."""

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        if _contains_nul(value):
            raise ValueError("Null characters are not allowed.")
        return value


def _contains_nul(value: Any) -> bool:
    """Also inside lists and dicts: a list of slugs or ids reaches the database as much as a single string."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_contains_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_contains_nul(key) or _contains_nul(item) for key, item in value.items())
    return False
