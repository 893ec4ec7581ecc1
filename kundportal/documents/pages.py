"""What the HTML pages need beyond access checks and services: folder summaries, sortable table headers, the
folder page itself (the upload route renders it again with errors), and answering an upload.

Views in views.py stay short by calling these; nothing here decides who may do what (access.py does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kundportal.documents import blobstore
from kundportal.documents.access import (
    FolderAccessForUser,
    get_folder_for_user,
    visible_documents,
    visible_folders,
)
from kundportal.documents.listing import SORTS, folder_documents
from kundportal.documents.models import Document, DocumentVersion, Folder
from kundportal.documents.services import UploadTooLarge
from kundportal.documents.uploads import EncryptedUpload, refuse_oversized
from kundportal.messaging.watches import is_watching
from kundportal.organisations.access import FolderPermission, OrganisationAccess, folder_permission

DOCUMENTS_PER_PAGE = 50

# The errors an upload can end with, and the status each answers with.
UPLOAD_ERRORS = (Http404, PermissionDenied, ValidationError, UploadTooLarge)


# ---------------------------------------------------------------------------------------------------------
# The organisation's folders


@dataclass(frozen=True)
class FolderSummary:
    folder: Folder
    permission: FolderPermission
    document_count: int
    last_change: datetime | None


def folder_summaries(user: Any, access: OrganisationAccess) -> list[FolderSummary]:
    """Every folder of the organisation the user sees, with what they see in it: one query, any folder size."""
    documents = visible_documents(user).filter(folder=OuterRef("pk")).order_by()
    folders = (
        visible_folders(user)
        .filter(organisation=access.organisation)
        .annotate(
            document_count=Coalesce(
                Subquery(documents.values("folder").annotate(n=Count("pk")).values("n")[:1]), 0
            ),
            last_change=Subquery(documents.order_by("-updated_at").values("updated_at")[:1]),
        )
    )
    summaries = []
    for folder in folders:
        permission = folder_permission(access, folder.access)
        if permission is not None:
            summaries.append(FolderSummary(folder, permission, folder.document_count, folder.last_change))
    return summaries


# ---------------------------------------------------------------------------------------------------------
# The folder page


@dataclass(frozen=True)
class SortColumn:
    key: str
    label: str
    href: str
    aria_sort: str  # "ascending", "descending" or "" when the table is not sorted by this column


# Dates and sizes are most useful newest and largest first; names and uploaders from A.
COLUMNS = [
    ("name", gettext_lazy("Name"), "name"),
    ("date", gettext_lazy("Changed"), "-date"),
    ("size", gettext_lazy("Size"), "-size"),
    ("uploader", gettext_lazy("Uploaded by"), "uploader"),
]


def sort_columns(sort: str, query: str) -> list[SortColumn]:
    columns = []
    for key, label, first in COLUMNS:
        if sort.lstrip("-") == key:
            aria_sort = "descending" if sort.startswith("-") else "ascending"
            following = key if sort.startswith("-") else f"-{key}"
        else:
            aria_sort, following = "", first
        href = "?" + urlencode({"sort": following, **({"q": query} if query else {})})
        columns.append(SortColumn(key, str(label), href, aria_sort))
    return columns


def _page_of(documents: QuerySet[Document], number: str | None) -> Page:
    """One page of a folder listing. The sort and the skipped rows (OFFSET) see only ids, not every column of
    the document, its latest version and its uploader; the page's documents are then read by primary key."""
    page: Page = Paginator(documents.values_list("pk", flat=True), DOCUMENTS_PER_PAGE).get_page(number)
    ids = list(page.object_list)
    found = Document.objects.select_related("latest", "updated_by").in_bulk(ids)
    page.object_list = [found[pk] for pk in ids]
    return page


def folder_page(
    request: HttpRequest,
    folder: FolderAccessForUser,
    *,
    upload_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    sort = request.GET.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    query = request.GET.get("q", "").strip()[:200]
    documents = folder_documents(request.user, folder.folder, sort=sort, query=query)
    page = _page_of(documents, request.GET.get("page"))
    context = {
        "folder": folder.folder,
        "permission": folder.permission,
        "access": folder.organisation,
        "organisation": folder.organisation.organisation,
        "page": page,
        "sort": sort,
        "query": query,
        "paging_query": urlencode({"sort": sort, **({"q": query} if query else {})}),
        "columns": sort_columns(sort, query),
        "upload_errors": upload_errors or [],
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
        "watching": is_watching(request.user, folder.folder),
    }
    return render(request, "documents/folder.html", context, status=status)


# ---------------------------------------------------------------------------------------------------------
# The document page


def document_context(
    document: Document, folder: FolderAccessForUser, number: str | None
) -> dict[str, object]:
    """The document with its history; `number` (from ?version=) picks an older version to show."""
    versions = list(document.versions.select_related("uploaded_by"))
    shown = document.latest
    if number is not None:
        shown = next((v for v in versions if str(v.number) == number), None)
        if shown is None:
            raise Http404
    return {
        "document": document,
        "folder": folder.folder,
        "permission": folder.permission,
        "access": folder.organisation,
        "organisation": folder.organisation.organisation,
        "versions": versions,
        "shown": shown,
        "latest": document.latest,
        "retention_days": settings.TRASH_RETENTION_DAYS,
        "max_upload_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024),
    }


# ---------------------------------------------------------------------------------------------------------
# The trash


@dataclass(frozen=True)
class TrashedDocument:
    document: Document
    can_restore: bool
    purge_after: datetime


def trash_page(request: HttpRequest, access: OrganisationAccess) -> HttpResponse:
    documents = (
        visible_documents(request.user, include_trash=True)
        .filter(organisation=access.organisation, deleted_at__isnull=False)
        .select_related("folder", "deleted_by", "latest")
        .order_by("-deleted_at", "name_key")
    )
    page: Page[Document] = Paginator(documents, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    retention = timedelta(days=settings.TRASH_RETENTION_DAYS)
    rows = []
    for document in page.object_list:
        permission = folder_permission(access, document.folder.access)
        purge_after = document.deleted_at + retention  # type: ignore[operator]
        rows.append(TrashedDocument(document, bool(permission and permission.write), purge_after))
    context = {
        "access": access,
        "organisation": access.organisation,
        "page": page,
        "rows": rows,
        "retention_days": settings.TRASH_RETENTION_DAYS,
    }
    return render(request, "documents/trash.html", context)


# ---------------------------------------------------------------------------------------------------------
# Uploads


def wants_json(request: HttpRequest) -> bool:
    return request.headers.get(
        "X-Requested-With"
    ) == "XMLHttpRequest" or "application/json" in request.headers.get("Accept", "")


def receive_uploads(
    request: HttpRequest, folder_id: Any
) -> tuple[FolderAccessForUser, list[DocumentVersion]]:
    """Commit the files the upload handler encrypted while the body arrived, or raise what went wrong.

    One failed file fails the request and keeps nothing from it: the parser stops at the first problem, so
    the files after it never arrived, and a half-kept request is harder to explain than an empty one.
    """
    folder = get_folder_for_user(request.user, folder_id, write=True)
    refuse_oversized(request, multipart=True)
    request.kundportal_upload_folder = folder  # type: ignore[attr-defined]
    uploads = [upload for upload in request.FILES.getlist("file") if isinstance(upload, EncryptedUpload)]
    error = getattr(request, "kundportal_upload_error", None)
    if error is None and not uploads:
        error = ValidationError(_("Choose one or more files to upload."))
    if error is not None:
        for upload in uploads:  # complete objects that will never be versions: remove them now
            blobstore.delete(upload.writer.blob_name)
        raise error
    note = request.POST.get("note", "")
    return folder, [upload.writer.commit(note=note, request=request) for upload in uploads]


def upload_error_message(error: Exception) -> tuple[int, str]:
    if isinstance(error, Http404):
        return 404, _("This folder does not exist, or it is not shared with you.")
    if isinstance(error, PermissionDenied):
        return 403, _("You may look into this folder, but not upload into it.")
    if isinstance(error, UploadTooLarge):
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        return 413, _("The file is larger than the limit of %(limit)d MB.") % {"limit": limit}
    assert isinstance(error, ValidationError)
    return 400, " ".join(error.messages)


def upload_failed(request: HttpRequest, folder_id: Any, error: Exception) -> HttpResponse:
    """JSON for the script; for the plain form, the folder page again with the error next to the field."""
    status, message = upload_error_message(error)
    if wants_json(request):
        return JsonResponse({"error": message}, status=status)
    if status in (403, 404):
        raise error
    folder = get_folder_for_user(request.user, folder_id, write=True)
    return folder_page(request, folder, upload_errors=[message], status=status)


def uploaded_json(version: DocumentVersion) -> dict[str, object]:
    return {
        "document_id": str(version.document_id),
        "version": version.number,
        "name": version.document.name,
        "url": reverse("document_detail", args=[version.document_id]),
    }


def upload_message(version: DocumentVersion) -> str:
    if version.number == 1:
        return _("“%(name)s” was uploaded.") % {"name": version.document.name}
    return _("“%(name)s” was uploaded as version %(number)d.") % {
        "name": version.document.name,
        "number": version.number,
    }


def after_upload(request: HttpRequest, folder: FolderAccessForUser) -> str:
    """Where the plain form goes back to: the page it was sent from (a document's page), else the folder."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=True):
        return target
    return reverse("folder_detail", args=[folder.folder.pk])
