"""Which folders and documents a user sees, built on the tenancy policy in organisations/access.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from kundportal.documents.models import Document, DocumentVersion, Folder, FolderAccess, FolderTemplate
from kundportal.organisations.access import (
    FolderPermission,
    OrganisationAccess,
    folder_permission,
    is_provider_admin,
    is_provider_staff,
    organisation_access,
    parse_uuid,
)
from kundportal.organisations.models import Organisation


def visible_folders(user: Any) -> QuerySet[Folder]:
    folders = Folder.objects.filter(organisation__in=Organisation.objects.visible_to(user))
    if not is_provider_staff(user):
        # Internal folders do not exist for customers: filtered here, in the query, never in a template.
        folders = folders.exclude(access=FolderAccess.INTERNAL)
    return folders


def visible_documents(user: Any, *, include_trash: bool = False) -> QuerySet[Document]:
    documents = Document.objects.filter(folder__in=visible_folders(user), latest__isnull=False)
    if not include_trash:
        documents = documents.filter(deleted_at__isnull=True)
    if not is_provider_staff(user):
        own = DocumentVersion.objects.filter(document=OuterRef("pk"), uploaded_by=user)
        documents = documents.filter(~Q(folder__access=FolderAccess.UPLOAD_ONLY) | Exists(own))
    return documents


@dataclass(frozen=True)
class FolderAccessForUser:
    folder: Folder
    organisation: OrganisationAccess
    permission: FolderPermission


def get_folder_for_user(user: Any, folder_id: UUID | str, *, write: bool = False) -> FolderAccessForUser:
    folder = visible_folders(user).select_related("organisation").filter(pk=parse_uuid(folder_id)).first()
    if folder is None:
        raise Http404
    access = organisation_access(user, folder.organisation)
    permission = folder_permission(access, folder.access)
    if permission is None:
        raise Http404
    if write and not permission.write:
        raise PermissionDenied
    return FolderAccessForUser(folder=folder, organisation=access, permission=permission)


def get_document_for_user(
    user: Any, document_id: UUID | str, *, write: bool = False, include_trash: bool = False
) -> tuple[Document, FolderAccessForUser]:
    document = (
        visible_documents(user, include_trash=include_trash)
        .select_related("folder", "folder__organisation", "latest", "latest__uploaded_by")
        .filter(pk=parse_uuid(document_id))
        .first()
    )
    if document is None:
        raise Http404
    folder_access = get_folder_for_user(user, document.folder_id)
    if write and not folder_access.permission.write:
        raise PermissionDenied
    return document, folder_access


def get_version_for_user(user: Any, document_id: UUID | str, number: int) -> tuple[DocumentVersion, Document]:
    document, _access = get_document_for_user(user, document_id)
    version = document.versions.select_related("uploaded_by").filter(number=number).first()
    if version is None:
        raise Http404
    version.document = document
    return version, document


def visible_folder_templates(user: Any) -> QuerySet[FolderTemplate]:
    """Provider staff see the templates (account managers pick one for a new customer); customers never do."""
    if not is_provider_staff(user):
        return FolderTemplate.objects.none()
    return FolderTemplate.objects.all()


def get_folder_template_for_user(
    user: Any, template_id: UUID | str, *, manage: bool = False
) -> FolderTemplate:
    """404 for customers, who are not told templates exist; 403 if `manage` and the user is not a provider admin."""
    template = visible_folder_templates(user).filter(pk=parse_uuid(template_id)).first()
    if template is None:
        raise Http404
    if manage and not is_provider_admin(user):
        raise PermissionDenied
    return template


def find_folder_template(
    user: Any, template_id: UUID, *, field: str = "folder_template_id"
) -> FolderTemplate:
    """A template named in a request body (staff creating a customer): an unknown one is invalid input (422).
    Customers may not create customers at all (403), whichever template they name."""
    if not is_provider_staff(user):
        raise PermissionDenied
    template = visible_folder_templates(user).filter(pk=template_id).first()
    if template is None:
        raise ValidationError({field: [_("Choose one of the folder templates.")]})
    return template
