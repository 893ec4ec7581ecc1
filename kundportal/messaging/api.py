"""API routes of the messaging app: to be built (issue 6)."""

from ninja import Router

router = Router(tags=["messages"])
