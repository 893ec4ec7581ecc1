"""Who watches which folders, and so hears about new documents and versions in them.

Customers watch the folders they choose. Account managers watch every folder of the organisations they look
after, unless they said otherwise (a FolderWatch row with watching=False). Provider admins watch only what
they choose. Nobody is ever told about a document they could not open: watchers are filtered with the same
rules as documents.access (internal folders never reach customers; in upload-only folders customers see only
documents they uploaded themselves).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from kundportal.accounts.models import ProviderRole, User
from kundportal.documents.access import FolderAccessForUser, visible_folders
from kundportal.documents.models import Document, DocumentVersion, Folder, FolderAccess
from kundportal.messaging.models import Category, FolderWatch
from kundportal.organisations.access import is_provider_admin, is_provider_staff
from kundportal.organisations.models import Membership, StaffAssignment


def watched_folders(user: Any) -> QuerySet[Folder]:
    """The folders `user` watches among those they can see."""
    folders = visible_folders(user)
    if is_provider_staff(user) and not is_provider_admin(user):
        declined = FolderWatch.objects.filter(user=user, watching=False).values("folder_id")
        return folders.exclude(pk__in=declined)
    chosen = FolderWatch.objects.filter(user=user, watching=True).values("folder_id")
    return folders.filter(pk__in=chosen)


def watched_folder_ids(user: Any) -> set[Any]:
    return set(watched_folders(user).values_list("pk", flat=True))


def is_watching(user: Any, folder: Folder) -> bool:
    """For the folder page, where the folder is already known to be visible: one query."""
    row = FolderWatch.objects.filter(user=user, folder=folder).values_list("watching", flat=True).first()
    if row is not None:
        return row
    return bool(is_provider_staff(user) and not is_provider_admin(user))


def watchers(folder: Folder, *, document: Document | None = None) -> QuerySet[User]:
    """Active people who watch `folder` and may see `document` in it (or, without one, the whole folder)."""
    organisation_id = folder.organisation_id
    chose = FolderWatch.objects.filter(folder=folder, watching=True).values("user_id")
    declined = FolderWatch.objects.filter(folder=folder, watching=False).values("user_id")
    assigned = StaffAssignment.objects.filter(organisation_id=organisation_id).values("user_id")
    managers = Q(provider_role=ProviderRole.ACCOUNT_MANAGER, pk__in=assigned) & ~Q(pk__in=declined)
    admins = Q(provider_role=ProviderRole.ADMIN, pk__in=chose)
    who = managers | admins
    if folder.access != FolderAccess.INTERNAL:
        members = Membership.objects.filter(organisation_id=organisation_id).values("user_id")
        customers = Q(provider_role="", pk__in=chose) & Q(pk__in=members)
        if folder.access == FolderAccess.UPLOAD_ONLY:
            # Customers see only what they uploaded here: a new version of their own document, nothing else.
            if document is None:
                customers = Q(pk__in=[])
            else:
                uploaders = DocumentVersion.objects.filter(document=document).values("uploaded_by_id")
                customers &= Q(pk__in=uploaders)
        who |= customers
    return User.objects.filter(who, is_active=True)


@transaction.atomic
def set_watch(*, user: User, folder: FolderAccessForUser, watching: bool) -> bool:
    """Watch or stop watching a folder the user can see (looked up with get_folder_for_user). Reading is
    enough: watching changes nothing for anyone else. Returns whether the user now watches it."""
    FolderWatch.objects.update_or_create(user=user, folder=folder.folder, defaults={"watching": watching})
    return watching


@transaction.atomic
def update_watches(*, user: User, folders: Iterable[Folder], watching: Iterable[Any]) -> None:
    """The settings page's checkboxes: of `folders` (visible to the user, looked up by the caller), watch
    those whose id is in `watching` and not the others."""
    chosen = {str(pk) for pk in watching}
    FolderWatch.objects.bulk_create(
        [FolderWatch(user=user, folder=folder, watching=str(folder.pk) in chosen) for folder in folders],
        update_conflicts=True,
        unique_fields=["user", "folder"],
        update_fields=["watching"],
    )


def notify_watchers(*, document: Document, version: DocumentVersion, actor: User | None) -> None:
    """A new document or version (uploads and restores alike): its folder's watchers who may see it hear of
    it, never the uploader. Called inside the upload's transaction. Each file of a bulk upload is its own
    notification; the email batching puts them into one email."""
    from kundportal.messaging.notifications import notify

    folder = document.folder
    notify(
        recipients=watchers(folder, document=document),
        category=Category.DOCUMENT,
        organisation=folder.organisation,
        params={
            "document": document.name,
            "version": version.number,
            "folder": folder.name,
            "organisation": folder.organisation.name,
        },
        url=reverse("document_detail", args=[document.pk]),
        actor=actor,
    )
