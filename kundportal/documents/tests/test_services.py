"""Uploading, reading back, versions, trash: the services every interface shares."""

import hashlib
import io
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kundportal.documents import services
from kundportal.documents.models import Document, DocumentVersion, FolderAccess
from kundportal.documents.services import UploadTooLarge, read_version, upload_document_version

pytestmark = pytest.mark.django_db


def upload(user, folder_access, name="drawing.pdf", data=b"%PDF-1.7 hello", **kwargs):
    return upload_document_version(
        actor=user, folder=folder_access, name=name, stream=io.BytesIO(data), **kwargs
    )


def content(version, **kwargs):
    return b"".join(read_version(version, **kwargs))


def test_it_stores_and_reads_back_a_file(customer_member, drawings, folder_for):
    data = os.urandom(300_000)
    version = upload(customer_member, folder_for(customer_member, drawings, write=True), data=data)
    assert version.number == 1 and version.plaintext_size == len(data)
    assert version.sha256 == hashlib.sha256(data).hexdigest()
    assert content(version) == data
    assert content(version, start=70_000, end=70_010) == data[70_000:70_010]
    document = Document.objects.get()
    assert document.latest == version and document.size == len(data)


def test_it_adds_a_version_for_the_same_name(customer_member, drawings, folder_for):
    folder = folder_for(customer_member, drawings, write=True)
    upload(customer_member, folder, data=b"one")
    second = upload(customer_member, folder, name="DRAWING.pdf", data=b"two")
    assert second.number == 2
    assert Document.objects.count() == 1
    assert content(second) == b"two" and content(DocumentVersion.objects.get(number=1)) == b"one"


def test_it_accepts_empty_files(customer_member, drawings, folder_for):
    version = upload(customer_member, folder_for(customer_member, drawings, write=True), data=b"")
    assert version.plaintext_size == 0 and content(version) == b""


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "a/b", "a\\b", "..", " . ", "", "evil\u202efdp.exe", "x" * 300, "tab\there"]
)
def test_it_refuses_bad_names_and_stores_nothing(customer_member, drawings, folder_for, name, tmp_path):
    with pytest.raises(ValidationError):
        upload(customer_member, folder_for(customer_member, drawings, write=True), name=name)
    assert not DocumentVersion.objects.exists()


def test_it_refuses_files_over_the_limit_and_keeps_nothing(customer_member, drawings, folder_for, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    with pytest.raises(UploadTooLarge):
        upload(customer_member, folder_for(customer_member, drawings, write=True), data=b"x" * 5000)
    assert not DocumentVersion.objects.exists()
    assert not Document.objects.filter(latest__isnull=False).exists()


def test_it_returns_the_same_version_for_a_retried_idempotency_key(customer_member, drawings, folder_for):
    folder = folder_for(customer_member, drawings, write=True)
    first = upload(customer_member, folder, idempotency_key="abc")
    again = upload(customer_member, folder, idempotency_key="abc", data=b"different")
    assert again.pk == first.pk and DocumentVersion.objects.count() == 1


def test_it_refuses_writes_where_the_role_or_folder_forbids_them(
    customer_viewer, customer_member, folders, folder_for
):
    with pytest.raises(PermissionDenied):
        folder_for(customer_viewer, folders[FolderAccess.READ_WRITE], write=True)
    with pytest.raises(PermissionDenied):
        folder_for(customer_member, folders[FolderAccess.READ_ONLY], write=True)
    from django.http import Http404

    with pytest.raises(Http404):
        folder_for(customer_member, folders[FolderAccess.INTERNAL])


def test_it_restores_an_old_version_as_a_new_one(customer_member, drawings, folder_for):
    folder = folder_for(customer_member, drawings, write=True)
    first = upload(customer_member, folder, data=b"first")
    upload(customer_member, folder, data=b"second")
    restored = services.restore_version(actor=customer_member, folder=folder, version=first)
    assert restored.number == 3 and content(restored) == b"first" and restored.restored_from == first
    assert DocumentVersion.objects.count() == 3


def test_it_moves_documents_to_the_trash_and_back(customer_member, drawings, folder_for):
    folder = folder_for(customer_member, drawings, write=True)
    version = upload(customer_member, folder)
    document = version.document
    services.trash_document(actor=customer_member, folder=folder, document=document)
    new = upload(customer_member, folder, data=b"a new file under the old name")
    assert new.document_id != document.pk
    with pytest.raises(ValidationError):
        services.restore_document(actor=customer_member, folder=folder, document=document)
    services.trash_document(actor=customer_member, folder=folder, document=new.document)
    services.restore_document(actor=customer_member, folder=folder, document=document)
    document.refresh_from_db()
    assert document.deleted_at is None


def test_it_purges_only_expired_unlabelled_trash(
    customer_member, drawings, folder_for, settings, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from kundportal.documents import blobstore

    folder = folder_for(customer_member, drawings, write=True)
    plain = upload(customer_member, folder, name="plain.txt")
    signed = upload(customer_member, folder, name="signed.txt")
    services.label_version(actor=customer_member, folder=folder, version=signed, label="Signed")
    for version in (plain, signed):
        services.trash_document(actor=customer_member, folder=folder, document=version.document)
    later = timezone.now() + timedelta(days=settings.TRASH_RETENTION_DAYS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.purge_trash(now=later) == 1
    assert not Document.objects.filter(name="plain.txt").exists()
    assert not blobstore.exists(plain.blob_name)
    assert Document.objects.filter(name="signed.txt").exists()
