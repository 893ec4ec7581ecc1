"""Folder listings: sorted and filtered in the database on indexed columns, so 10,000 documents stay fast."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Lower, NullIf

from kundportal.documents.access import visible_documents
from kundportal.documents.models import Document, Folder

SORTS = {
    "name": ("name_key",),
    "-name": ("-name_key",),
    "date": ("updated_at", "name_key"),
    "-date": ("-updated_at", "name_key"),
    "size": ("size", "name_key"),
    "-size": ("-size", "name_key"),
    "uploader": ("uploader_key", "name_key"),
    "-uploader": ("-uploader_key", "name_key"),
}

# What the page shows in the uploader column (User.display_name), so the order matches what people read.
UPLOADER_KEY = Lower(Coalesce(NullIf(F("updated_by__full_name"), Value("")), F("updated_by__email")))


def folder_documents(user: Any, folder: Folder, *, sort: str = "name", query: str = "") -> QuerySet[Document]:
    documents = visible_documents(user).filter(folder=folder).select_related("latest", "updated_by")
    if sort.lstrip("-") == "uploader":
        # Only then: the alias joins the users table, also into the paginator's COUNT(*).
        documents = documents.alias(uploader_key=UPLOADER_KEY)
    documents = documents.order_by(*SORTS.get(sort, SORTS["name"]))
    if query.strip():
        term = query.strip()
        documents = documents.filter(
            Q(name__icontains=term)
            | Q(updated_by__email__icontains=term)
            | Q(updated_by__full_name__icontains=term)
        )
    return documents
