"""Pagination for API lists."""

from __future__ import annotations

from ninja import Field
from ninja.pagination import LimitOffsetPagination

# The databases take LIMIT/OFFSET as signed 64-bit integers; a larger offset is a database error (a 500).
MAX_OFFSET = 2**63 - 1


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """Ninja's limit/offset pages, with the offset bounded so that an absurd one is a 422, not a 500."""

    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=MAX_OFFSET)
