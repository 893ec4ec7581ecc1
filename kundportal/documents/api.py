"""Documents API. Uploads: multipart (field `file`) or the raw body (PUT, for large files and scripts)."""

# No `from __future__ import annotations`: ninja reads the parameter annotations at import time.

from datetime import datetime
from typing import Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kundportal.core.pagination import BoundedLimitOffsetPagination
from kundportal.core.schemas import InputSchema
from kundportal.documents import folders as folder_services
from kundportal.documents import services
from kundportal.documents.access import (
    get_document_for_user,
    get_folder_for_user,
    get_version_for_user,
    visible_folders,
)
from kundportal.documents.downloads import version_response
from kundportal.documents.listing import folder_documents
from kundportal.documents.models import Document, DocumentVersion, Folder
from kundportal.documents.uploads import EncryptedUpload, refuse_oversized
from kundportal.documents.zips import folder_zip_response
from kundportal.organisations.access import (
    OrganisationAccess,
    folder_permission,
    get_organisation_for_user,
)

router = Router(tags=["documents"])


class FolderOut(Schema):
    id: UUID
    name: str
    access: str
    can_upload: bool = False


class VersionOut(Schema):
    number: int
    size: int
    sha256: str
    content_type: str
    note: str
    label: str
    uploaded_by: str | None
    created_at: datetime
    is_latest: bool


class DocumentOut(Schema):
    id: UUID
    folder_id: UUID
    name: str
    size: int
    updated_at: datetime
    version: int
    in_trash: bool

    @staticmethod
    def resolve_version(document: Document) -> int:
        return document.latest.number if document.latest else 0


class UploadOut(Schema):
    document_id: UUID
    version: int
    name: str
    size: int
    sha256: str


FolderAccessIn = Literal["read_write", "read_only", "upload_only", "internal"]


class FolderIn(InputSchema):
    name: str = Field(max_length=folder_services.MAX_NAME_LENGTH)
    access: FolderAccessIn = "read_write"


class FolderPatchIn(InputSchema):
    """A partial update: a field left out (or null) keeps its value."""

    name: str | None = Field(default=None, max_length=folder_services.MAX_NAME_LENGTH)
    access: FolderAccessIn | None = None


class LabelIn(InputSchema):
    label: str


class ListFilter(Schema):
    sort: Literal["name", "-name", "date", "-date", "size", "-size", "uploader", "-uploader"] = "name"
    q: str = ""


def _document(document: Document) -> dict[str, object]:
    return {
        "id": document.pk,
        "folder_id": document.folder_id,
        "name": document.name,
        "size": document.size,
        "updated_at": document.updated_at,
        "version": document.latest.number if document.latest else 0,
        "in_trash": document.in_trash,
    }


def _version(version: DocumentVersion, latest_id: UUID | None) -> dict[str, object]:
    return {
        "number": version.number,
        "size": version.plaintext_size,
        "sha256": version.sha256,
        "content_type": version.content_type,
        "note": version.note,
        "label": version.label,
        "uploaded_by": version.uploaded_by.email if version.uploaded_by else None,
        "created_at": version.created_at,
        "is_latest": version.pk == latest_id,
    }


def _uploaded(version: DocumentVersion) -> dict[str, object]:
    return {
        "document_id": version.document_id,
        "version": version.number,
        "name": version.document.name,
        "size": version.plaintext_size,
        "sha256": version.sha256,
    }


def _raise_upload_error(request: HttpRequest) -> None:
    """Errors found while the body was parsed (bad name, no permission, too large) surface here."""
    if (error := getattr(request, "kundportal_upload_error", None)) is not None:
        raise error


@router.get("/organisations/{organisation_id}/folders", response=list[FolderOut])
def list_folders(request: HttpRequest, organisation_id: UUID) -> list[dict[str, object]]:
    access = get_organisation_for_user(request.user, organisation_id)
    folders = visible_folders(request.user).filter(organisation=access.organisation)
    return [
        {
            "id": f.pk,
            "name": f.name,
            "access": f.access,
            "can_upload": permission.write,
        }
        for f in folders
        if (permission := folder_permission(access, f.access)) is not None
    ]


def _folder(access: OrganisationAccess, folder: Folder) -> dict[str, object]:
    permission = folder_permission(access, folder.access)
    return {
        "id": folder.pk,
        "name": folder.name,
        "access": folder.access,
        "can_upload": bool(permission and permission.write),
    }


@router.post(
    "/organisations/{organisation_id}/folders",
    response={201: FolderOut},
    summary="Add a folder to a customer (provider admins)",
)
def create_folder(request: HttpRequest, organisation_id: UUID, payload: FolderIn) -> Status:
    access = get_organisation_for_user(request.user, organisation_id)
    folder = folder_services.create_folder(
        actor=request.user,
        organisation=access.organisation,
        name=payload.name,
        access=payload.access,
        request=request,
    )
    return Status(201, _folder(access, folder))


@router.patch(
    "/folders/{folder_id}",
    response=FolderOut,
    summary="Rename a folder or change its access (provider admins); its documents stay in it",
)
def update_folder(request: HttpRequest, folder_id: UUID, payload: FolderPatchIn) -> dict[str, object]:
    target = get_folder_for_user(request.user, folder_id)
    folder = folder_services.update_folder(
        actor=request.user, folder=target.folder, name=payload.name, access=payload.access, request=request
    )
    return _folder(target.organisation, folder)


@router.get("/folders/{folder_id}/documents", response=list[DocumentOut])
@paginate(BoundedLimitOffsetPagination)
def list_documents(request: HttpRequest, folder_id: UUID, filters: Query[ListFilter]) -> QuerySet[Document]:
    # The queryset itself: the paginator slices it in SQL (LIMIT/OFFSET) and counts with COUNT(*).
    folder = get_folder_for_user(request.user, folder_id)
    return folder_documents(request.user, folder.folder, sort=filters.sort, query=filters.q)


@router.get(
    "/folders/{folder_id}/zip",
    response={200: bytes},
    summary="The latest version of every document in the folder, as one ZIP file (streamed, with Content-Length)",
)
def folder_zip(request: HttpRequest, folder_id: UUID) -> HttpResponse:
    return folder_zip_response(request, get_folder_for_user(request.user, folder_id))


@router.post(
    "/folders/{folder_id}/documents",
    response={201: UploadOut},
    summary="Upload a file (multipart field `file`); the same name adds a version",
)
def upload_document(request: HttpRequest, folder_id: UUID) -> Status:
    folder = get_folder_for_user(request.user, folder_id, write=True)
    refuse_oversized(request, multipart=True)
    request.kundportal_upload_folder = folder
    key = request.headers.get("Idempotency-Key", "")[:100]
    if existing := services.find_idempotent_version(request.user, key):
        return Status(201, _uploaded(existing))
    upload = request.FILES.get("file")
    _raise_upload_error(request)
    if not isinstance(upload, EncryptedUpload):
        raise ValidationError({"file": ["Send the file in the multipart field `file`."]})
    version = upload.writer.commit(note=request.POST.get("note", ""), idempotency_key=key, request=request)
    return Status(201, _uploaded(version))


@router.put(
    "/folders/{folder_id}/documents/{name}",
    response={201: UploadOut},
    summary="Upload a file as the raw request body; the same name adds a version",
)
def upload_raw(request: HttpRequest, folder_id: UUID, name: str, note: str = "") -> Status:
    folder = get_folder_for_user(request.user, folder_id, write=True)
    refuse_oversized(request, multipart=False)
    version = services.upload_document_version(
        actor=request.user,
        folder=folder,
        name=name,
        stream=request,
        note=note,
        content_type=request.content_type or "",
        idempotency_key=request.headers.get("Idempotency-Key", "")[:100],
        request=request,
    )
    return Status(201, _uploaded(version))


@router.get("/documents/{document_id}", response=DocumentOut)
def get_document(request: HttpRequest, document_id: UUID) -> dict[str, object]:
    document, _folder = get_document_for_user(request.user, document_id, include_trash=True)
    return _document(document)


@router.get("/documents/{document_id}/versions", response=list[VersionOut])
def list_versions(request: HttpRequest, document_id: UUID) -> list[dict[str, object]]:
    document, _folder = get_document_for_user(request.user, document_id)
    versions = document.versions.select_related("uploaded_by")
    return [_version(v, document.latest_id) for v in versions]


@router.get(
    "/documents/{document_id}/content",
    response={200: bytes, 206: bytes},
    summary="The latest version's bytes (Range requests work)",
)
def latest_content(request: HttpRequest, document_id: UUID) -> HttpResponse:
    document, _folder = get_document_for_user(request.user, document_id)
    version = document.latest
    version.document = document
    return version_response(request, version)


@router.get("/documents/{document_id}/versions/{number}/content", response={200: bytes, 206: bytes})
def version_content(request: HttpRequest, document_id: UUID, number: int) -> HttpResponse:
    version, _document = get_version_for_user(request.user, document_id, number)
    return version_response(request, version)


@router.patch("/documents/{document_id}/versions/{number}", response=VersionOut, summary="Label a version")
def label_version(
    request: HttpRequest, document_id: UUID, number: int, payload: LabelIn
) -> dict[str, object]:
    version, document = get_version_for_user(request.user, document_id, number)
    folder = get_folder_for_user(request.user, document.folder_id)
    services.label_version(
        actor=request.user, folder=folder, version=version, label=payload.label, request=request
    )
    return _version(version, document.latest_id)


@router.post(
    "/documents/{document_id}/versions/{number}/restore",
    response={201: UploadOut},
    summary="Make an older version the latest again (as a new version)",
)
def restore_version(request: HttpRequest, document_id: UUID, number: int) -> Status:
    version, document = get_version_for_user(request.user, document_id, number)
    folder = get_folder_for_user(request.user, document.folder_id, write=True)
    return Status(
        201,
        _uploaded(
            services.restore_version(actor=request.user, folder=folder, version=version, request=request)
        ),
    )


@router.delete("/documents/{document_id}", response={204: None}, summary="Move a document to the trash")
def trash_document(request: HttpRequest, document_id: UUID) -> Status:
    document, folder = get_document_for_user(request.user, document_id, write=True)
    services.trash_document(actor=request.user, folder=folder, document=document, request=request)
    return Status(204, None)


@router.post(
    "/documents/{document_id}/restore", response=DocumentOut, summary="Take a document out of the trash"
)
def restore_document(request: HttpRequest, document_id: UUID) -> dict[str, object]:
    document, folder = get_document_for_user(request.user, document_id, write=True, include_trash=True)
    services.restore_document(actor=request.user, folder=folder, document=document, request=request)
    document.refresh_from_db()
    return _document(document)
