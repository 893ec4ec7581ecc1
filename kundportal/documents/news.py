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
    """The latest versions of the documents others changed most recently (since `since`, if given).

    Read from documents, newest first on their indexed `updated_at`, rather than from every version of every
    visible document: SQLite would otherwise walk each document's versions and sort them all."""
    documents = (
        visible_documents(user)
        .exclude(updated_by=user)
        .select_related("latest__uploaded_by", "folder", "organisation")
        .order_by("-updated_at")
    )
    if since:
        documents = documents.filter(updated_at__gt=since)
    versions = []
    for document in documents[:limit]:
        version = document.latest
        version.document = document
        versions.append(version)
    return versions


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
