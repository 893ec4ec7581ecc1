"""Keeping storage honest: verify every version, re-wrap data keys under a new master key, sweep orphans."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from kundportal.core.crypto.blob import BlobIntegrityError, ciphertext_size
from kundportal.core.crypto.keys import KeyringError, get_keyring
from kundportal.documents import blobstore
from kundportal.documents.models import Document, DocumentVersion
from kundportal.documents.services import _key_context, data_key_for, read_version

# An object younger than this may belong to an upload whose version row is about to be committed.
ORPHAN_GRACE = timedelta(hours=24)


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_versions() -> Iterator[tuple[DocumentVersion, str | None]]:
    """Each version with None if it decrypts and hashes to what the database says, else what is wrong."""
    versions = DocumentVersion.objects.select_related("document").order_by("created_at")
    for version in versions.iterator(chunk_size=500):
        yield version, _check(version)


def _check(version: DocumentVersion) -> str | None:
    if not blobstore.exists(version.blob_name):
        return "object missing"
    if blobstore.size(version.blob_name) != ciphertext_size(version.plaintext_size):
        return "object has the wrong size"
    digest = hashlib.sha256()
    try:
        for piece in read_version(version):
            digest.update(piece)
    except (BlobIntegrityError, KeyringError) as error:
        return f"does not decrypt ({error.__class__.__name__})"
    if digest.hexdigest() != version.sha256:
        return "content does not match its SHA-256"
    return None


def rotate_master_key() -> tuple[str, int]:
    """Add a new master key and re-wrap every data key under it; no object is rewritten.

    The new key is saved before any row changes, so an interruption leaves every row readable (old rows under
    the old key, which stays in the key file until it is removed by hand).
    """
    keyring = get_keyring()
    new_id = keyring.add_key()
    keyring.save(settings.MASTER_KEY_FILE)
    rewrapped = 0
    stale = DocumentVersion.objects.exclude(kek_id=new_id).select_related("document")
    for version in stale.iterator(chunk_size=500):
        data_key, context = data_key_for(version)
        kek_id, wrapped = keyring.wrap(data_key, context=_key_context(context))
        DocumentVersion.objects.filter(pk=version.pk).update(kek_id=kek_id, wrapped_key=wrapped)
        rewrapped += 1
    return new_id, rewrapped


def sweep_orphans(*, now: timezone.datetime | None = None) -> tuple[int, int]:
    """Delete objects no version points to, and documents whose first upload never completed."""
    cutoff = (now or timezone.now()) - ORPHAN_GRACE
    known = set(DocumentVersion.objects.values_list("blob_name", flat=True))
    for source in settings.BLOB_NAME_SOURCES:  # other apps' encrypted objects in the same storage
        known |= import_string(source)()
    objects = 0
    for name in blobstore.iter_names():
        if name not in known and default_storage.get_modified_time(name) < cutoff:
            blobstore.delete(name)
            objects += 1
    with transaction.atomic():
        empty = Document.objects.filter(latest__isnull=True, created_at__lt=cutoff, versions__isnull=True)
        documents, _ = empty.delete()
    return objects, documents
