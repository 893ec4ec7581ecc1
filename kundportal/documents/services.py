"""Use cases for documents: upload a version, read one back, restore, label, trash. Pages, API and CLI share them.

The order of an upload is what makes "nothing acknowledged is lost, nothing half-written is visible" true:
the encrypted object is written and made durable first, under a random name; only then is the version row
committed, in one transaction with the document's pointer to its latest version. A crash in between leaves an
orphan object (removed by the sweep), never a version without its bytes.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.accounts.models import User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.core.crypto.blob import (
    BlobContext,
    BlobEncryptor,
    BlobIntegrityError,
    ciphertext_size,
    decrypt_range,
    new_data_key,
)
from kundportal.core.crypto.keys import get_keyring
from kundportal.documents import blobstore
from kundportal.documents.access import FolderAccessForUser
from kundportal.documents.models import Document, DocumentVersion, Folder, name_key
from kundportal.documents.names import clean_document_name
from kundportal.messaging.watches import notify_watchers

log = logging.getLogger("kundportal.documents")

READ_SIZE = 1024 * 1024  # request bodies and old versions are read in 1 MiB pieces


class UploadTooLarge(Exception):
    """The file is larger than KUNDPORTAL_MAX_UPLOAD_MB."""


def _key_context(context: BlobContext) -> bytes:
    return b"dek|" + context.info()


class _Rebind(Exception):
    """The upload must belong to another document than the one its object was encrypted for: another upload
    created the document under this name first (this one becomes its next version), or the document went to
    the trash meanwhile (this one starts a new live document)."""

    def __init__(self, document_id: uuid.UUID) -> None:
        self.document_id = document_id


def _live_document(folder: Folder, key: str) -> Document | None:
    return Document.objects.filter(folder=folder, name_key=key, deleted_at__isnull=True).first()


class VersionWriter:
    """Encrypts one upload into storage as it arrives; `commit()` then makes it the document's latest version.

    Used by the multipart upload handler (bytes arrive in the request parser), the raw-body API and the
    services below (bytes come from a stream). A document that does not exist yet gets its row only at
    commit, in the same transaction as its first version: an upload that fails or is cancelled leaves
    nothing behind in the database, and no other action has to step around half-made rows.
    """

    def __init__(
        self, *, actor: User, folder: FolderAccessForUser, name: str, content_type: str = ""
    ) -> None:
        if not folder.permission.write:
            raise PermissionDenied
        self.actor = actor
        self.folder = folder.folder
        self.name = clean_document_name(name)
        self.name_key = name_key(self.name)
        self.content_type = content_type[:150]
        existing = _live_document(self.folder, self.name_key)
        self.document_id = existing.pk if existing else uuid.uuid4()
        self.size = 0
        self.closed = False
        self._start_blob()

    def _start_blob(self) -> None:
        self.version_id = uuid.uuid4()
        self.context = BlobContext(
            organisation_id=self.folder.organisation_id,
            document_id=self.document_id,
            version_id=self.version_id,
        )
        self.data_key = new_data_key()
        self.blob_name = blobstore.new_blob_name()
        self.encryptor = BlobEncryptor(self.data_key, self.context)
        self.sink = blobstore.open_sink(self.blob_name)
        self.sink.write(self.encryptor.header())

    def write(self, data: bytes | memoryview) -> None:
        self.size += len(data)
        if self.size > settings.MAX_UPLOAD_BYTES:
            self.abort()
            raise UploadTooLarge
        for piece in self.encryptor.update(data):
            self.sink.write(piece)

    def close(self) -> None:
        """Finish the object and make it durable (it still is no version until commit)."""
        self.sink.write(self.encryptor.finalize())
        self.sink.commit()
        self.closed = True

    def abort(self) -> None:
        if not self.closed:
            self.sink.abort()
            self.closed = True

    def _rebind(self, document_id: uuid.UUID) -> None:
        """Encrypt the finished object again for `document`: the context binds every chunk to its document,
        so joining a document that another upload created a moment ago means one more pass over the bytes."""
        old_name, old_key, old_context = self.blob_name, self.data_key, self.context
        plaintext_size = self.encryptor.plaintext_size
        self.document_id = document_id
        self._start_blob()
        self.closed = False
        try:
            for piece in decrypt_range(
                lambda offset, length: blobstore.read_range(old_name, offset, length),
                data_key=old_key,
                context=old_context,
                plaintext_size=plaintext_size,
            ):
                for encrypted in self.encryptor.update(piece):
                    self.sink.write(encrypted)
            self.close()
        except BaseException:
            self.abort()
            raise
        finally:
            blobstore.delete(old_name)

    def _document_for_commit(self) -> Document:
        """The document this version belongs to, locked; created now if it is new."""
        document = Document.objects.select_for_update().filter(pk=self.document_id).first()
        if document is not None and document.deleted_at is None:
            return document
        if document is not None:  # trashed while this upload was arriving: the upload stays in sight
            other = _live_document(self.folder, self.name_key)
            raise _Rebind(other.pk if other else uuid.uuid4())
        try:
            with transaction.atomic():
                return Document.objects.create(
                    id=self.document_id,
                    organisation_id=self.folder.organisation_id,
                    folder=self.folder,
                    name=self.name,
                    name_key=self.name_key,
                )
        except IntegrityError:
            other = _live_document(self.folder, self.name_key)
            if other is None:
                raise
            raise _Rebind(other.pk) from None

    def commit(
        self,
        *,
        note: str = "",
        idempotency_key: str = "",
        restored_from: DocumentVersion | None = None,
        request: HttpRequest | None = None,
    ) -> DocumentVersion:
        try:
            for _attempt in range(3):
                try:
                    return self._commit(note, idempotency_key, restored_from, request)
                except _Rebind as rebind:
                    self._rebind(rebind.document_id)
            raise IntegrityError("the document name kept changing hands")
        except BaseException:
            blobstore.delete(self.blob_name)
            raise

    def _commit(
        self,
        note: str,
        idempotency_key: str,
        restored_from: DocumentVersion | None,
        request: HttpRequest | None,
    ) -> DocumentVersion:
        kek_id, wrapped = get_keyring().wrap(self.data_key, context=_key_context(self.context))
        with transaction.atomic():
            document = self._document_for_commit()
            last = document.versions.order_by("-number").values_list("number", flat=True).first() or 0
            version = DocumentVersion.objects.create(
                id=self.version_id,
                document=document,
                number=last + 1,
                blob_name=self.blob_name,
                kek_id=kek_id,
                wrapped_key=wrapped,
                plaintext_size=self.encryptor.plaintext_size,
                ciphertext_size=ciphertext_size(self.encryptor.plaintext_size),
                sha256=self.encryptor.sha256,
                content_type=self.content_type,
                note=note.strip()[:500],
                uploaded_by=self.actor,
                restored_from=restored_from,
                idempotency_key=idempotency_key,
            )
            document.latest = version
            document.size = version.plaintext_size
            document.updated_at = version.created_at
            document.updated_by = self.actor
            document.save(update_fields=["latest", "size", "updated_at", "updated_by"])
            record_event(
                Action.VERSION_RESTORED if restored_from else Action.DOCUMENT_UPLOADED,
                actor=self.actor,
                organisation_id=document.organisation_id,
                target=document,
                request=request,
                version=version.number,
                size=version.plaintext_size,
            )
            document.folder = self.folder
            notify_watchers(document=document, version=version, actor=self.actor)
        version.document = document
        return version


def find_idempotent_version(actor: User, idempotency_key: str) -> DocumentVersion | None:
    if not idempotency_key:
        return None
    return (
        DocumentVersion.objects.select_related("document")
        .filter(uploaded_by=actor, idempotency_key=idempotency_key)
        .first()
    )


def upload_document_version(
    *,
    actor: User,
    folder: FolderAccessForUser,
    name: str,
    stream: IO[bytes],
    note: str = "",
    content_type: str = "",
    idempotency_key: str = "",
    request: HttpRequest | None = None,
) -> DocumentVersion:
    """Store `stream` as the next version of the document called `name` in the folder (a new document if
    there is none). A retry with the same idempotency key returns the version the first attempt made."""
    if existing := find_idempotent_version(actor, idempotency_key):
        return existing
    writer = VersionWriter(actor=actor, folder=folder, name=name, content_type=content_type)
    try:
        while data := stream.read(READ_SIZE):
            writer.write(data)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    try:
        return writer.commit(note=note, idempotency_key=idempotency_key, request=request)
    except IntegrityError:
        if existing := find_idempotent_version(actor, idempotency_key):
            return existing  # two retries raced: the first one's version stands
        raise


def data_key_for(version: DocumentVersion) -> tuple[bytes, BlobContext]:
    document = version.document
    context = BlobContext(
        organisation_id=document.organisation_id, document_id=document.pk, version_id=version.pk
    )
    data_key = get_keyring().unwrap(version.kek_id, bytes(version.wrapped_key), context=_key_context(context))
    return data_key, context


def read_version(version: DocumentVersion, *, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """The plaintext of a version, or of bytes [start, end), decrypting only the chunks that cover them."""
    data_key, context = data_key_for(version)

    def read(offset: int, length: int) -> bytes:
        return blobstore.read_range(version.blob_name, offset, length)

    try:
        yield from decrypt_range(
            read,
            data_key=data_key,
            context=context,
            plaintext_size=version.plaintext_size,
            start=start,
            end=end,
        )
    except (BlobIntegrityError, FileNotFoundError):
        log.error("version %s (object %s) failed its integrity check", version.pk, version.blob_name)
        raise


def record_download(*, actor: User, version: DocumentVersion, request: HttpRequest | None = None) -> None:
    document = version.document
    record_event(
        Action.DOCUMENT_DOWNLOADED,
        actor=actor,
        organisation_id=document.organisation_id,
        target=document,
        request=request,
        version=version.number,
    )


def restore_version(
    *, actor: User, folder: FolderAccessForUser, version: DocumentVersion, request: HttpRequest | None = None
) -> DocumentVersion:
    """An older version becomes the latest again, as a new version: the history stays as it was."""
    if version.document.in_trash:
        raise ValidationError(_("Restore the document from the trash first."))
    writer = VersionWriter(
        actor=actor, folder=folder, name=version.document.name, content_type=version.content_type
    )
    try:
        for piece in read_version(version):
            writer.write(piece)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    note = _("Restored from version %(number)d") % {"number": version.number}
    return writer.commit(note=note, restored_from=version, request=request)


@transaction.atomic
def label_version(
    *,
    actor: User,
    folder: FolderAccessForUser,
    version: DocumentVersion,
    label: str,
    request: HttpRequest | None = None,
) -> DocumentVersion:
    if not folder.permission.write:
        raise PermissionDenied
    label = label.strip()
    if len(label) > 60:
        raise ValidationError({"label": _("Labels can be at most 60 characters long.")})
    version.label = label
    version.save(update_fields=["label"])
    record_event(
        Action.VERSION_LABELLED,
        actor=actor,
        organisation_id=version.document.organisation_id,
        target=version.document,
        request=request,
        version=version.number,
        label=label,
    )
    return version


@transaction.atomic
def trash_document(
    *, actor: User, folder: FolderAccessForUser, document: Document, request: HttpRequest | None = None
) -> None:
    if not folder.permission.write:
        raise PermissionDenied
    if document.deleted_at is None:
        document.deleted_at = timezone.now()
        document.deleted_by = actor
        document.save(update_fields=["deleted_at", "deleted_by"])
        record_event(
            Action.DOCUMENT_TRASHED,
            actor=actor,
            organisation_id=document.organisation_id,
            target=document,
            request=request,
        )


@transaction.atomic
def restore_document(
    *, actor: User, folder: FolderAccessForUser, document: Document, request: HttpRequest | None = None
) -> None:
    if not folder.permission.write:
        raise PermissionDenied
    if document.deleted_at is None:
        return
    same_name = Document.objects.filter(
        folder=document.folder, name_key=document.name_key, deleted_at__isnull=True
    )
    if same_name.exists():
        raise ValidationError(
            _(
                "A document called “%(name)s” is already in this folder. Upload this one again under another "
                "name, or move the other one to the trash first."
            )
            % {"name": document.name}
        )
    document.deleted_at = None
    document.deleted_by = None
    document.save(update_fields=["deleted_at", "deleted_by"])
    record_event(
        Action.DOCUMENT_RESTORED,
        actor=actor,
        organisation_id=document.organisation_id,
        target=document,
        request=request,
    )


def purge_trash(*, now: datetime | None = None) -> int:
    """Delete documents that have been in the trash longer than the retention period, with their objects.

    The only code that ever deletes a version. Documents with a labelled version are kept: a label says
    somebody wanted that version kept.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.TRASH_RETENTION_DAYS)
    expired = Document.objects.filter(deleted_at__lt=cutoff).exclude(versions__label__gt="")
    purged = 0
    for document in expired.iterator():
        with transaction.atomic():
            blobs = list(document.versions.values_list("blob_name", flat=True))
            Document.objects.filter(pk=document.pk).update(latest=None)
            document.versions.all().delete()
            document.delete()
            record_event(
                Action.DOCUMENT_PURGED,
                organisation_id=document.organisation_id,
                target=document,
                actor_label="retention",
            )
            transaction.on_commit(lambda blobs=blobs: [blobstore.delete(name) for name in blobs])
        purged += 1
    return purged
