"""Who may import: provider admins only. Everyone else is not told that imports exist (404)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404

from kundportal.imports.models import ImportBatch
from kundportal.organisations.access import parse_uuid, require_provider_admin

__all__ = ["get_batch_for_user", "require_provider_admin"]


def get_batch_for_user(user: Any, batch_id: UUID | str) -> ImportBatch:
    batch = (
        ImportBatch.objects.visible_to(user)
        .select_related("created_by")
        .filter(pk=parse_uuid(batch_id))
        .first()
    )
    if batch is None:
        raise Http404
    return batch
