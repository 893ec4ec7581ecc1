"""Files sent with messages: stored through the documents service (encrypted, versioned, in a folder of the
organisation), never as loose files, and linked to the message.

Where they go: the organisation's folder chosen for message attachments (from its folder template); without
one, a "Message attachments" folder is made. Files of internal notes go to an internal folder ("Internal
notes") that customers never see, in documents as in messages.

Multipart uploads are encrypted while the body arrives (documents.uploads): for the message routes the
upload handler asks `upload_folder_for_route` here where the files go, before the view runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kundportal.accounts.models import User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.documents import blobstore
from kundportal.documents.access import FolderAccessForUser
from kundportal.documents.models import DocumentVersion, Folder, FolderAccess
from kundportal.documents.services import upload_document_version
from kundportal.documents.uploads import EncryptedUpload
from kundportal.messaging.models import Message, MessageAttachment
from kundportal.organisations.access import (
    FolderPermission,
    OrganisationAccess,
    get_organisation_for_user,
)
from kundportal.organisations.models import Organisation

MAX_ATTACHMENTS = 10  # per message: more is a folder upload, not a message

ATTACHMENTS_FOLDER = gettext_noop("Message attachments")
INTERNAL_NOTES_FOLDER = gettext_noop("Internal notes")

# Customers must see what is sent to them: an upload-only folder would hide the provider's files from them.
CUSTOMER_ACCESS = (FolderAccess.READ_WRITE, FolderAccess.READ_ONLY)


@dataclass(frozen=True)
class IncomingFile:
    """A file from somewhere other than a multipart request (the CLI, tests): read when the message is sent."""

    name: str
    stream: IO[bytes]
    content_type: str = ""


def _flagged(organisation: Organisation, *, internal: bool) -> Folder | None:
    access = [FolderAccess.INTERNAL] if internal else list(CUSTOMER_ACCESS)
    return (
        Folder.objects.filter(organisation=organisation, message_attachments=True, access__in=access)
        .order_by("position", "name")
        .first()
    )


def attachment_folder(*, actor: User, organisation: Organisation, internal: bool) -> Folder:
    """The folder that receives the files of a message (of an internal note, with `internal`); made the
    first time it is needed."""
    if folder := _flagged(organisation, internal=internal):
        return folder
    with transaction.atomic():
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        if folder := _flagged(organisation, internal=internal):
            return folder
        access = FolderAccess.INTERNAL if internal else FolderAccess.READ_WRITE
        with translation.override(settings.LANGUAGE_CODE):
            base = _(INTERNAL_NOTES_FOLDER if internal else ATTACHMENTS_FOLDER)
        taken = {
            name: folder_access
            for name, folder_access in Folder.objects.filter(organisation=organisation).values_list(
                "name", "access"
            )
        }
        name, number = base, 1
        while name in taken:
            if taken[name] == access:  # a folder of that name and kind already: it becomes the one
                Folder.objects.filter(organisation=organisation, name=name).update(message_attachments=True)
                return Folder.objects.get(organisation=organisation, name=name)
            number += 1
            name = f"{base} ({number})"
        last = Folder.objects.filter(organisation=organisation).aggregate(last=Max("position"))["last"]
        folder = Folder.objects.create(
            organisation=organisation,
            name=name,
            access=access,
            position=0 if last is None else last + 1,
            message_attachments=True,
        )
        record_event(
            Action.FOLDER_CREATED, actor=actor, organisation=organisation, target=folder, access=folder.access
        )
    return folder


def writable(folder: Folder, access: OrganisationAccess) -> FolderAccessForUser:
    """The attachment folder as the documents service takes it. Whoever may write in the conversation may
    attach files to it, whatever customers may otherwise do in that folder (it may be read-only for them)."""
    return FolderAccessForUser(folder=folder, organisation=access, permission=FolderPermission(True, True))


def default_organisation(user: Any, organisation_id: str | None) -> OrganisationAccess:
    """The organisation a new conversation is for: the one named, or a customer's only one (404 if neither)."""
    if organisation_id:
        return get_organisation_for_user(user, organisation_id)
    only = list(Organisation.objects.visible_to(user).values_list("pk", flat=True)[:2])
    if len(only) != 1:
        raise Http404
    return get_organisation_for_user(user, only[0])


def upload_folder_for_route(request: Any, url_name: str, kwargs: dict[str, Any]) -> FolderAccessForUser:
    """For the upload handler: where the files of a message being posted to this route go (404 and 403
    as the view would answer)."""
    from kundportal.messaging.access import get_thread_for_user

    user = request.user
    if url_name == "thread_create":
        access = default_organisation(user, request.GET.get("organisation"))
        internal = False
    else:
        thread = get_thread_for_user(user, kwargs["thread_id"], write=True)
        access = thread.organisation
        internal = url_name == "thread_note"
    if not access.can_write or (internal and not access.staff):
        raise PermissionDenied
    folder = attachment_folder(actor=user, organisation=access.organisation, internal=internal)
    return writable(folder, access)


def discard(files: Iterable[Any]) -> None:
    """Objects already encrypted for a message that is not sent: removed now rather than by the sweep."""
    for upload in files:
        if isinstance(upload, EncryptedUpload):
            blobstore.delete(upload.writer.blob_name)


def check_files(files: Sequence[Any]) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"files": [_("Attach at most %(limit)d files to one message.") % {"limit": MAX_ATTACHMENTS}]}
        )


def store_attachments(
    *,
    actor: User,
    message: Message,
    access: OrganisationAccess,
    files: Sequence[EncryptedUpload | IncomingFile],
    request: HttpRequest | None = None,
) -> list[MessageAttachment]:
    """Store the files as documents in the attachment folder and link them to the message."""
    if not files:
        return []
    folder = attachment_folder(
        actor=actor, organisation=message.thread.organisation, internal=message.internal
    )
    versions: list[DocumentVersion] = []
    for upload in files:
        if isinstance(upload, EncryptedUpload):
            if upload.writer.folder.pk != folder.pk:  # encrypted for another folder: never misfiled
                raise ValidationError({"files": [_("The file could not be attached. Send it again.")]})
            versions.append(upload.writer.commit(note=_("Sent with a message"), request=request))
        else:
            versions.append(
                upload_document_version(
                    actor=actor,
                    folder=writable(folder, access),
                    name=upload.name,
                    stream=upload.stream,
                    content_type=upload.content_type,
                    note=_("Sent with a message"),
                    request=request,
                )
            )
    return MessageAttachment.objects.bulk_create(
        MessageAttachment(message=message, document_id=version.document_id, version=version)
        for version in versions
    )
