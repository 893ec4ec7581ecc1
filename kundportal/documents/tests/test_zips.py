"""A whole folder as one streamed ZIP: what is in it, who gets it, and that it never sits in memory.

alice: provider admin · mads: account manager · carl: customer admin · mia: member · vera: viewer ·
otto: admin of another customer (the outsider).
"""

import hashlib
import io
import tracemalloc
import zipfile

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from kundportal.audit.models import Action, AuditEvent
from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Document, Folder, FolderAccess
from kundportal.documents.services import trash_document, upload_document_version
from kundportal.documents.zips import zip_filename

pytestmark = pytest.mark.django_db

MIB = 1024 * 1024


def stored(user, folder, name="drawing.pdf", data=b"%PDF-1.7 first"):
    access = get_folder_for_user(user, folder.pk, write=True)
    return upload_document_version(actor=user, folder=access, name=name, stream=io.BytesIO(data))


def page_zip(client, folder):
    return client.get(f"/folders/{folder.pk}/zip/")


def api_zip(client, folder):
    return client.get(f"/api/v1/folders/{folder.pk}/zip")


def unzipped(response):
    """{name: bytes} of a ZIP response, after checking it is streamed and exactly as long as it said."""
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None  # every entry's CRC matches
        assert {info.compress_type for info in archive.infolist()} <= {zipfile.ZIP_STORED}
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_it_zips_the_latest_version_of_every_document_and_nothing_else(login, customer_member, drawings):
    stored(customer_member, drawings, "plan.pdf", b"plan v1")
    stored(customer_member, drawings, "plan.pdf", b"plan v2")
    stored(customer_member, drawings, "notes.txt", b"notes")
    stored(customer_member, drawings, "empty.bin", b"")
    old = stored(customer_member, drawings, "old.txt", b"gone").document
    trash_document(
        actor=customer_member, folder=get_folder_for_user(customer_member, drawings.pk), document=old
    )
    # An upload still arriving: a hidden row without a latest version.
    Document.objects.create(
        organisation_id=drawings.organisation_id,
        folder=drawings,
        name="arriving.bin",
        name_key="arriving.bin",
    )
    elsewhere = Folder.objects.create(organisation=drawings.organisation, name="Elsewhere")
    stored(customer_member, elsewhere, "other.txt", b"other folder")

    response = page_zip(login(customer_member), drawings)

    assert unzipped(response) == {"empty.bin": b"", "notes.txt": b"notes", "plan.pdf": b"plan v2"}
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="{drawings.name}.zip"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"


def test_it_lets_a_viewer_download_a_readable_folder(login, provider_admin, customer_viewer, folders):
    read_only = folders[FolderAccess.READ_ONLY]
    stored(provider_admin, read_only, "contract.pdf", b"signed")
    assert unzipped(page_zip(login(customer_viewer), read_only)) == {"contract.pdf": b"signed"}


def test_it_hides_the_folder_from_an_outsider(login, api_client, customer_member, outsider, drawings):
    stored(customer_member, drawings)
    assert page_zip(login(outsider), drawings).status_code == 404
    assert api_zip(api_client(outsider), drawings).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.FOLDER_DOWNLOADED).exists()


def test_it_hides_internal_folders_from_customers(
    login, api_client, account_manager, customer_admin, customer_viewer, folders
):
    internal = folders[FolderAccess.INTERNAL]
    stored(account_manager, internal, "margin.xlsx", b"secret")
    for customer in (customer_admin, customer_viewer):
        assert page_zip(login(customer), internal).status_code == 404
        assert api_zip(api_client(customer), internal).status_code == 404
    assert unzipped(page_zip(login(account_manager), internal)) == {"margin.xlsx": b"secret"}


def test_it_gives_only_own_uploads_in_an_upload_only_folder(
    login, customer_admin, customer_member, customer_viewer, account_manager, folders
):
    inbox = folders[FolderAccess.UPLOAD_ONLY]
    stored(customer_member, inbox, "mine.pdf", b"mia's")
    stored(customer_admin, inbox, "carls.pdf", b"carl's")
    stored(customer_admin, inbox, "mine.pdf", b"carl's version of mia's")  # mia uploaded one version of it

    assert unzipped(page_zip(login(customer_member), inbox)) == {"mine.pdf": b"carl's version of mia's"}
    assert unzipped(page_zip(login(customer_admin), inbox)) == {
        "carls.pdf": b"carl's",
        "mine.pdf": b"carl's version of mia's",
    }
    assert unzipped(page_zip(login(customer_viewer), inbox)) == {}
    assert set(unzipped(page_zip(login(account_manager), inbox))) == {"carls.pdf", "mine.pdf"}


def test_it_serves_the_same_zip_over_the_api(api_client, customer_viewer, customer_member, drawings):
    stored(customer_member, drawings, "a.txt", b"a")
    response = api_zip(api_client(customer_viewer), drawings)
    assert unzipped(response) == {"a.txt": b"a"}
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_it_answers_an_empty_folder_with_an_empty_zip(login, api_client, customer_member, drawings):
    assert unzipped(page_zip(login(customer_member), drawings)) == {}
    assert unzipped(api_zip(api_client(customer_member), drawings)) == {}


def test_it_records_one_audit_event(login, customer_viewer, customer_member, drawings):
    for number in range(3):
        stored(customer_member, drawings, f"{number}.txt", b"x" * (number + 1))
    client = login(customer_viewer)
    before = AuditEvent.objects.count()
    b"".join(page_zip(client, drawings).streaming_content)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.get(action=Action.FOLDER_DOWNLOADED)
    assert (event.actor, event.organisation_id, event.target_id) == (
        customer_viewer,
        drawings.organisation_id,
        str(drawings.pk),
    )
    assert event.data == {"documents": 3, "size": 6}


def test_it_round_trips_unicode_names(login, customer_member, organisation):
    folder = Folder.objects.create(organisation=organisation, name="Ritningar/Zeichnungen: åäö")
    name = "Grundriß \u2013 ritning åäö 設計.pdf"
    stored(customer_member, folder, name, b"plan")
    response = page_zip(login(customer_member), folder)
    assert unzipped(response) == {name: b"plan"}
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Ritningar_Zeichnungen_%20%C3%A5%C3%A4%C3%B6.zip"
    )


@pytest.mark.parametrize(
    ("folder_name", "filename"),
    [
        ("Drawings", "Drawings.zip"),
        ("../../etc", "etc.zip"),
        ('a\\b:c*d?e"f<g>h|i', "a_b_c_d_e_f_g_h_i.zip"),
        ("evil\u202epiz.exe", "evil_piz.exe.zip"),
        ("...", "folder.zip"),
    ],
)
def test_it_names_the_zip_after_the_folder_safely(folder_name, filename):
    assert zip_filename(Folder(name=folder_name)) == filename


def test_it_shows_the_button_only_when_there_is_something_to_download(
    login, customer_member, customer_viewer, drawings, folders
):
    button = f'href="/folders/{drawings.pk}/zip/"'
    client = login(customer_member)
    assert button not in client.get(f"/folders/{drawings.pk}/").content.decode()
    stored(customer_member, drawings)
    assert button in client.get(f"/folders/{drawings.pk}/").content.decode()
    inbox = folders[FolderAccess.UPLOAD_ONLY]
    stored(customer_member, inbox)
    assert (
        f'href="/folders/{inbox.pk}/zip/"'
        not in login(customer_viewer).get(f"/folders/{inbox.pk}/").content.decode()
    )


def test_it_keeps_the_query_count_flat_as_the_folder_grows(
    login, customer_member, drawings, django_assert_max_num_queries
):
    client = login(customer_member)
    unzipped(page_zip(client, drawings))  # the first request of a session also writes the session
    counts = []
    for total in (3, 30):
        for number in range(Document.objects.count(), total):
            stored(customer_member, drawings, f"{number:02}.txt", b"x")
        # session, user, MFA check, folder, membership, the documents, the audit event
        with CaptureQueriesContext(connection) as queries, django_assert_max_num_queries(7):
            assert len(unzipped(page_zip(client, drawings))) == total
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_it_sends_many_small_files_in_large_writes(login, customer_member, drawings):
    for number in range(40):
        stored(customer_member, drawings, f"{number:02}.txt", bytes([number]) * 50_000)
    response = page_zip(login(customer_member), drawings)
    chunks = list(response.streaming_content)
    assert sum(map(len, chunks)) == int(response["Content-Length"])
    assert len(chunks) <= 3  # 2 MB of files, headers and descriptors: not 120 little writes


class RandomStream(io.RawIOBase):
    """`size` pseudo-random bytes in 1 MiB reads, never all in memory."""

    def __init__(self, size):
        self.left = size
        self.counter = 0

    def readable(self):
        return True

    def read(self, n=-1):
        if not self.left:
            return b""
        self.counter += 1
        piece = hashlib.shake_256(self.counter.to_bytes(8)).digest(min(MIB, self.left))
        self.left -= len(piece)
        return piece


def test_it_streams_a_big_file_in_bounded_pieces_with_flat_memory(login, customer_member, drawings, tmp_path):
    size = 64 * MIB
    client = login(customer_member)
    unzipped(page_zip(client, drawings))  # imports, URL resolving and the like happen once, outside the count
    access = get_folder_for_user(customer_member, drawings.pk, write=True)
    version = upload_document_version(
        actor=customer_member, folder=access, name="big.bin", stream=RandomStream(size)
    )

    target = tmp_path / "big.zip"
    largest = received = 0
    tracemalloc.start()
    try:
        response = page_zip(client, drawings)
        assert isinstance(response, StreamingHttpResponse)
        with target.open("wb") as file:
            for chunk in response.streaming_content:
                largest = max(largest, len(chunk))
                received += len(chunk)
                file.write(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert received == int(response["Content-Length"]) > size
    assert largest <= 2 * MIB
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB while streaming a {size // MIB} MiB file"
    with zipfile.ZipFile(target) as archive:
        [info] = archive.infolist()
        assert (info.filename, info.file_size) == ("big.bin", size)
        digest = hashlib.sha256()
        with archive.open(info) as entry:
            while piece := entry.read(MIB):
                digest.update(piece)
    assert digest.hexdigest() == version.sha256
