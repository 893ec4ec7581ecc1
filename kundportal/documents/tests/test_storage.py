"""What lands in the storage and how it is read back, on both backends (files, and S3 on SeaweedFS):
nothing readable or telling in any object or key, ranged reads that fetch only the chunks they need,
damaged or missing objects reported as such, orphans swept."""

import io
import os
import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from kundportal.core.crypto.blob import CHUNK_SIZE, ENCRYPTED_CHUNK_SIZE, HEADER_SIZE, BlobIntegrityError
from kundportal.documents import blobstore, maintenance, services
from kundportal.documents.models import DocumentVersion
from kundportal.documents.services import VersionWriter, read_version, upload_document_version

pytestmark = pytest.mark.django_db

BLOB_KEY = re.compile(r"blobs/([0-9a-f]{2})/\1[0-9a-f]{30}")


def upload(user, folder, name="plan.pdf", data=b"plan"):
    return upload_document_version(actor=user, folder=folder, name=name, stream=io.BytesIO(data))


def test_it_runs_on_the_storage_it_says(stored_objects):
    if stored_objects.kind == "s3":
        from storages.backends.s3 import S3Storage

        assert isinstance(default_storage, S3Storage)
        assert default_storage.bucket_name == stored_objects.s3.bucket
    else:
        assert isinstance(default_storage, FileSystemStorage)


def test_it_keeps_names_ids_and_content_out_of_every_object_and_key(
    api_client, customer_member, organisation, drawings, folder_for, settings, stored_objects
):
    organisation.name = "Lindqvist Läckkontroll AB"
    organisation.save()
    drawings.name = "Hemliga ritningar Q3"
    drawings.save()
    marker = b"KUNDPORTAL-LEAK-MARKER-" + uuid.uuid4().hex.encode()
    plaintext = (marker + b" Kvartalsrapport: omsattning 4 711 000 kr. ") * 4000  # ~270 KB: 5 chunks
    file_name = "Kvartalsrapport-konfidentiell.pdf"

    client = api_client(customer_member)
    multipart = io.BytesIO(plaintext)
    multipart.name = file_name
    response = client.post(f"/api/v1/folders/{drawings.pk}/documents", {"file": multipart})
    assert response.status_code == 201, response.content
    raw = client.put(
        f"/api/v1/folders/{drawings.pk}/documents/{file_name}",
        plaintext[:1000],
        content_type="application/pdf",
    )
    assert raw.status_code == 201, raw.content
    first = DocumentVersion.objects.get(number=1)
    services.restore_version(
        actor=customer_member, folder=folder_for(customer_member, drawings, write=True), version=first
    )

    versions = list(DocumentVersion.objects.select_related("document"))
    assert len(versions) == 3
    names = stored_objects.names()
    assert sorted(names) == sorted(v.blob_name for v in versions)
    ids = {organisation.pk, drawings.pk, customer_member.pk, first.document_id, *(v.pk for v in versions)}
    telling = [file_name, "Kvartalsrapport", "konfidentiell", drawings.name, organisation.name, "Lindqvist"]
    telling += [form for value in ids for form in (str(value), value.hex)]
    for name in names:
        assert BLOB_KEY.fullmatch(name), name
        for word in telling:
            assert word.lower() not in name.lower(), (word, name)
        data = stored_objects.read(name)
        assert marker not in data and plaintext[100:164] not in data, name
        for word in telling:
            assert word.encode() not in data, (word, name)

    if stored_objects.kind == "s3":
        client = stored_objects.s3.client()
        for name in names:
            head = client.head_object(Bucket=stored_objects.s3.bucket, Key=name)
            assert head["Metadata"] == {}
            assert "pdf" not in head["ContentType"], head["ContentType"]
        assert not client.list_multipart_uploads(Bucket=stored_objects.s3.bucket).get("Uploads")
    # The S3 backend spools ciphertext in the data directory: nothing of it stays, and nothing readable ever.
    for path in settings.DATA_DIR.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path
    spool = settings.DATA_DIR / "tmp"
    assert not spool.exists() or not list(spool.iterdir())


class ObjectReads:
    """The byte ranges asked of the storage and the bytes that came back: on S3 from the requests as they
    go out (the Range header) and the responses' lengths, on files from blobstore's reads."""

    def __init__(self):
        self.ranges = []
        self.received = 0

    def before_send(self, request, **kwargs):
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", request.headers["Range"].decode())
        self.ranges.append((int(match.group(1)), int(match.group(2))))

    def after_call(self, parsed, **kwargs):
        self.received += parsed["ContentLength"]

    def clear(self):
        self.ranges.clear()
        self.received = 0


@pytest.fixture
def object_reads(stored_objects, monkeypatch):
    reads = ObjectReads()
    if stored_objects.kind == "file":
        original = blobstore.read_range

        def read_range(name, offset, length):
            data = original(name, offset, length)
            reads.ranges.append((offset, offset + length - 1))
            reads.received += len(data)
            return data

        monkeypatch.setattr(blobstore, "read_range", read_range)
        yield reads
        return
    events = default_storage.connection.meta.client.meta.events
    hooks = [("before-send.s3.GetObject", reads.before_send), ("after-call.s3.GetObject", reads.after_call)]
    for event, hook in hooks:
        events.register(event, hook)
    yield reads
    for event, hook in hooks:
        events.unregister(event, hook)


def test_a_range_read_fetches_only_the_chunks_it_needs(
    api_client, customer_member, drawings, folder_for, object_reads
):
    data = os.urandom(20 * CHUNK_SIZE + 123)
    version = upload(customer_member, folder_for(customer_member, drawings, write=True), data=data)
    reads = object_reads
    reads.clear()
    start, end = 10 * CHUNK_SIZE + 1000, 10 * CHUNK_SIZE + 1100  # inside chunk 10
    chunk_10 = HEADER_SIZE + 10 * ENCRYPTED_CHUNK_SIZE

    assert b"".join(read_version(version, start=start, end=end)) == data[start:end]
    assert reads.ranges == [(0, HEADER_SIZE - 1), (chunk_10, chunk_10 + ENCRYPTED_CHUNK_SIZE - 1)]
    assert reads.received == HEADER_SIZE + ENCRYPTED_CHUNK_SIZE  # of an object of 1.3 MB

    reads.clear()
    response = api_client(customer_member).get(
        f"/api/v1/documents/{version.document_id}/content", headers={"Range": f"bytes={start}-{end - 1}"}
    )
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == data[start:end]
    assert reads.ranges == [(0, HEADER_SIZE - 1), (chunk_10, chunk_10 + ENCRYPTED_CHUNK_SIZE - 1)]
    assert reads.received == HEADER_SIZE + ENCRYPTED_CHUNK_SIZE


def test_it_stores_a_file_larger_than_one_s3_part(customer_member, drawings, folder_for, stored_objects):
    """Past 8 MiB, boto3 sends an object in parts; the object appears only once all have arrived."""
    data = os.urandom(9 * 1024 * 1024)
    version = upload(customer_member, folder_for(customer_member, drawings, write=True), data=data)
    assert b"".join(read_version(version)) == data
    assert b"".join(read_version(version, start=8_500_000, end=8_600_000)) == data[8_500_000:8_600_000]
    assert blobstore.size(version.blob_name) == version.ciphertext_size
    if stored_objects.kind == "s3":
        s3 = stored_objects.s3
        head = s3.client().head_object(Bucket=s3.bucket, Key=version.blob_name)
        assert head["ETag"].endswith('-2"')  # a multipart object's ETag counts its parts


def test_it_reports_a_truncated_emptied_or_missing_object_as_such(
    customer_member, drawings, folder_for, stored_objects
):
    folder = folder_for(customer_member, drawings, write=True)
    data = os.urandom(4 * CHUNK_SIZE)
    truncated = upload(customer_member, folder, name="truncated.bin", data=data)
    emptied = upload(customer_member, folder, name="emptied.bin", data=data)
    missing = upload(customer_member, folder, name="missing.bin", data=data)
    stored_objects.replace(truncated.blob_name, stored_objects.read(truncated.blob_name)[:1000])
    stored_objects.replace(emptied.blob_name, b"")
    blobstore.delete(missing.blob_name)

    with pytest.raises(BlobIntegrityError, match="truncated"):
        b"".join(read_version(truncated, start=3 * CHUNK_SIZE, end=3 * CHUNK_SIZE + 10))
    with pytest.raises(BlobIntegrityError, match="truncated"):
        b"".join(read_version(truncated))
    with pytest.raises(BlobIntegrityError, match="shorter than its header"):
        b"".join(read_version(emptied))
    with pytest.raises(FileNotFoundError):
        b"".join(read_version(missing))
    with pytest.raises(FileNotFoundError):
        blobstore.read_range(missing.blob_name, 0, 10)
    problems = {version.document.name: problem for version, problem in maintenance.verify_versions()}
    assert problems == {
        "truncated.bin": "object has the wrong size",
        "emptied.bin": "object has the wrong size",
        "missing.bin": "object missing",
    }


def test_the_sweep_removes_old_orphans_and_nothing_else(
    customer_member, drawings, folder_for, stored_objects
):
    folder = folder_for(customer_member, drawings, write=True)
    kept = [upload(customer_member, folder, name=f"kept-{n}.txt", data=b"kept %d" % n) for n in range(2)]
    orphan = VersionWriter(actor=customer_member, folder=folder, name="crashed.txt")
    orphan.write(b"a version row that was never committed")
    orphan.close()
    assert len(stored_objects.names()) == 3

    assert maintenance.sweep_orphans()[0] == 0  # too young: it may belong to an upload about to commit
    later = timezone.now() + maintenance.ORPHAN_GRACE + timedelta(minutes=5)
    assert maintenance.sweep_orphans(now=later)[0] == 1
    assert stored_objects.names() == sorted(version.blob_name for version in kept)
    assert [problem for _version, problem in maintenance.verify_versions()] == [None, None]
