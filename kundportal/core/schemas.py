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
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("Null characters are not allowed.")
        return value
