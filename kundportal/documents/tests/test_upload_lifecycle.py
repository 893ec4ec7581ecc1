"""A new document gets its row only with its first version: failed, cancelled and racing uploads leave no
half-made rows behind, and a trash restore or a second upload under the same name never trips over one."""

import io

import pytest

from kundportal.documents import blobstore
from kundportal.documents.models import Document, DocumentVersion
from kundportal.documents.services import (
    UploadTooLarge,
    VersionWriter,
    read_version,
    restore_document,
    trash_document,
    upload_document_version,
)

pytestmark = pytest.mark.django_db


def content(version):
    return b"".join(read_version(version))


def start(user, folder, name="plan.pdf", data=b"arriving"):
    writer = VersionWriter(actor=user, folder=folder, name=name)
    writer.write(data)
    writer.close()
    return writer


def test_a_failed_first_upload_leaves_no_row_and_no_object(customer_member, drawings, folder_for, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    folder = folder_for(customer_member, drawings, write=True)
    with pytest.raises(UploadTooLarge):
        upload_document_version(
            actor=customer_member, folder=folder, name="big.bin", stream=io.BytesIO(b"x" * 5000)
        )
    assert not Document.objects.exists()
    assert list(blobstore.iter_names()) == []


def test_an_upload_in_progress_is_invisible_and_leaves_nothing_when_cancelled(
    customer_member, drawings, folder_for
):
    folder = folder_for(customer_member, drawings, write=True)
    writer = VersionWriter(actor=customer_member, folder=folder, name="plan.pdf")
    writer.write(b"half")
    assert not Document.objects.exists()
    writer.abort()
    assert not Document.objects.exists()
    assert list(blobstore.iter_names()) == []


def test_two_first_uploads_of_one_name_become_two_versions_of_one_document(
    customer_member, customer_admin, drawings, folder_for
):
    first = start(customer_member, folder_for(customer_member, drawings, write=True), data=b"first")
    second = start(
        customer_admin, folder_for(customer_admin, drawings, write=True), name="PLAN.pdf", data=b"second"
    )
    one = first.commit()
    two = second.commit()  # encrypted for a document that never came to be: encrypted again for the real one
    assert Document.objects.count() == 1
    assert one.document_id == two.document_id and (one.number, two.number) == (1, 2)
    assert content(one) == b"first" and content(DocumentVersion.objects.get(pk=two.pk)) == b"second"
    assert sorted(blobstore.iter_names()) == sorted(
        DocumentVersion.objects.values_list("blob_name", flat=True)
    )


def test_a_restore_from_the_trash_during_an_upload_of_the_same_name_keeps_both(
    customer_member, drawings, folder_for
):
    folder = folder_for(customer_member, drawings, write=True)
    old = upload_document_version(
        actor=customer_member, folder=folder, name="plan.pdf", stream=io.BytesIO(b"old")
    )
    trash_document(actor=customer_member, folder=folder, document=old.document)
    arriving = start(customer_member, folder, data=b"new")
    restore_document(actor=customer_member, folder=folder, document=Document.objects.get(pk=old.document_id))
    version = arriving.commit()
    assert version.document_id == old.document_id and version.number == 2
    assert content(DocumentVersion.objects.get(pk=version.pk)) == b"new"


def test_a_document_trashed_during_an_upload_of_its_next_version_leaves_the_upload_in_sight(
    customer_member, drawings, folder_for
):
    folder = folder_for(customer_member, drawings, write=True)
    old = upload_document_version(
        actor=customer_member, folder=folder, name="plan.pdf", stream=io.BytesIO(b"old")
    )
    arriving = start(customer_member, folder, data=b"new")
    trash_document(actor=customer_member, folder=folder, document=old.document)
    version = arriving.commit()
    live = Document.objects.get(deleted_at__isnull=True)
    assert live.pk != old.document_id and live.latest_id == version.pk and version.number == 1
    assert content(DocumentVersion.objects.get(pk=version.pk)) == b"new"
    assert Document.objects.get(pk=old.document_id).in_trash
