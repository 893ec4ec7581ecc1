"""What is new in documents for one user since their previous visit: versions other people added to documents
the user may see. Driven by the index on DocumentVersion.created_at, so it stays cheap however much is stored."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from django.db.models import Count, Q, QuerySet

from kundportal.accounts.models import User
from kundportal.documents.access import visible_documents
from kundportal.documents.models import DocumentVersion


def _new_versions(user: User, since: datetime | None) -> QuerySet[DocumentVersion]:
    versions = DocumentVersion.objects.filter(document__in=visible_documents(user)).exclude(uploaded_by=user)
    return versions.filter(created_at__gt=since) if since else versions


def recent_versions(user: User, since: datetime | None, *, limit: int = 8) -> list[DocumentVersion]:
    """The newest versions by others since `since` (the newest at all on a first visit)."""
    return list(
        _new_versions(user, since)
        .select_related("document__folder", "document__organisation", "uploaded_by")
        .order_by("-created_at")[:limit]
    )


def news_by_organisation(
    user: User, since: datetime | None, organisation_ids: Iterable[UUID]
) -> dict[UUID, tuple[int, int]]:
    """Per organisation: (new documents, new versions of existing documents) since `since`, in one query."""
    if since is None:
        return {}
    rows = (
        _new_versions(user, since)
        .filter(document__organisation_id__in=list(organisation_ids))
        .values("document__organisation_id")
        .annotate(documents=Count("pk", filter=Q(number=1)), versions=Count("pk", filter=Q(number__gt=1)))
        .order_by()
    )
    return {row["document__organisation_id"]: (row["documents"], row["versions"]) for row in rows}
