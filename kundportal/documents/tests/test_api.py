"""The documents API: PRODUCT.md's contract, tenancy, ranges, bad input, and what lands on disk."""

import io
import os
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kundportal.documents.models import Document, DocumentVersion, FolderAccess

pytestmark = pytest.mark.django_db


def post_file(client, folder, name="plan.pdf", data=b"plan v1", **extra):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(
        f"/api/v1/folders/{folder.pk}/documents", {"file": upload, **extra.pop("form", {})}, **extra
    )


def test_it_uploads_with_multipart_and_adds_versions_by_name(api_client, customer_member, drawings):
    client = api_client(customer_member)
    first = post_file(client, drawings)
    assert first.status_code == 201, first.content
    second = post_file(client, drawings, data=b"plan v2", form={"note": "revised"})
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    assert first.json()["document_id"] == second.json()["document_id"]
    document_id = first.json()["document_id"]
    versions = client.get(f"/api/v1/documents/{document_id}/versions").json()
    assert [(v["number"], v["note"], v["is_latest"]) for v in versions] == [
        (2, "revised", True),
        (1, "", False),
    ]
    assert b"".join(client.get(f"/api/v1/documents/{document_id}/content").streaming_content) == b"plan v2"
    old = client.get(f"/api/v1/documents/{document_id}/versions/1/content")
    assert b"".join(old.streaming_content) == b"plan v1"


def test_it_uploads_a_raw_body_with_an_idempotency_key(api_client, customer_member, drawings):
    client = api_client(customer_member)
    url = f"/api/v1/folders/{drawings.pk}/documents/model.step"
    kwargs = {"content_type": "application/octet-stream", "headers": {"Idempotency-Key": "k-1"}}
    first = client.put(url, b"x" * 200_000, **kwargs)
    again = client.put(url, b"x" * 200_000, **kwargs)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and DocumentVersion.objects.count() == 1


def test_it_serves_ranges_with_safe_headers(api_client, customer_member, drawings):
    client = api_client(customer_member)
    data = os.urandom(200_000)
    document_id = post_file(client, drawings, name="<script>.html", data=data).json()["document_id"]
    response = client.get(
        f"/api/v1/documents/{document_id}/content", headers={"Range": "bytes=100000-100099"}
    )
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == data[100_000:100_100]
    assert response["Content-Range"] == "bytes 100000-100099/200000"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Type"] == "application/octet-stream"
    assert (
        client.get(f"/api/v1/documents/{document_id}/content", headers={"Range": "bytes=999999-"}).status_code
        == 416
    )
    suffix = client.get(f"/api/v1/documents/{document_id}/content", headers={"Range": "bytes=-10"})
    assert b"".join(suffix.streaming_content) == data[-10:]


def test_it_hides_everything_from_an_outsider(api_client, customer_member, outsider, drawings, folders):
    document_id = post_file(api_client(customer_member), drawings).json()["document_id"]
    client = api_client(outsider)
    assert client.get(f"/api/v1/organisations/{drawings.organisation_id}/folders").status_code == 404
    assert client.get(f"/api/v1/folders/{drawings.pk}/documents").status_code == 404
    assert post_file(client, drawings).status_code == 404
    for path in ["", "/versions", "/content", "/versions/1/content"]:
        assert client.get(f"/api/v1/documents/{document_id}{path}").status_code == 404
    assert client.delete(f"/api/v1/documents/{document_id}").status_code == 404
    assert client.get(f"/api/v1/documents/{uuid.uuid4()}").status_code == 404
    assert Document.objects.get().deleted_at is None


def test_it_lets_viewers_read_but_not_write(api_client, customer_member, customer_viewer, drawings):
    document_id = post_file(api_client(customer_member), drawings).json()["document_id"]
    client = api_client(customer_viewer)
    assert client.get(f"/api/v1/documents/{document_id}/content").status_code == 200
    assert post_file(client, drawings).status_code == 403
    assert client.delete(f"/api/v1/documents/{document_id}").status_code == 403
    assert client.post(f"/api/v1/documents/{document_id}/versions/1/restore").status_code == 403
    assert DocumentVersion.objects.count() == 1


def test_it_keeps_internal_folders_from_customers(api_client, customer_admin, account_manager, folders):
    internal = folders[FolderAccess.INTERNAL]
    assert post_file(api_client(account_manager), internal).status_code == 201
    names = [
        f["name"]
        for f in api_client(customer_admin)
        .get(f"/api/v1/organisations/{internal.organisation_id}/folders")
        .json()
    ]
    assert internal.name not in names and len(names) == 3
    assert api_client(customer_admin).get(f"/api/v1/folders/{internal.pk}/documents").status_code == 404
    document = Document.objects.get()
    assert api_client(customer_admin).get(f"/api/v1/documents/{document.pk}").status_code == 404


@pytest.mark.parametrize("name", ["../../etc/passwd", "a\\b", "\u202egnp.exe", "x" * 300, "..."])
def test_it_answers_bad_names_with_422_and_stores_nothing(api_client, customer_member, drawings, name):
    response = api_client(customer_member).put(
        f"/api/v1/folders/{drawings.pk}/documents/{name}", b"data", content_type="application/octet-stream"
    )
    assert response.status_code in (404, 422)
    assert not DocumentVersion.objects.exists()


def test_it_answers_413_for_an_oversized_upload_before_storing_it(
    api_client, customer_member, drawings, settings
):
    settings.MAX_UPLOAD_BYTES = 10_000
    client = api_client(customer_member)
    raw = client.put(
        f"/api/v1/folders/{drawings.pk}/documents/big.bin",
        b"x" * 20_000,
        content_type="application/octet-stream",
    )
    assert raw.status_code == 413
    assert post_file(client, drawings, data=b"x" * 200_000).status_code == 413
    assert not DocumentVersion.objects.exists()


def test_it_never_writes_a_readable_byte(api_client, customer_member, drawings, settings, stored_objects):
    marker = b"KUNDPORTAL-LEAK-MARKER-" + uuid.uuid4().hex.encode()
    client = api_client(customer_member)
    post_file(client, drawings, name="secret.txt", data=marker * 1000)
    client.put(f"/api/v1/folders/{drawings.pk}/documents/raw.txt", marker * 3, content_type="text/plain")
    names = stored_objects.names()
    assert len(names) == 2
    for name in names:
        assert marker not in stored_objects.read(name), name
    for path in Path(settings.DATA_DIR).rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path
    assert all("secret" not in name for name in names)


def test_verify_reports_tampered_missing_and_swapped_objects(
    api_client, customer_member, drawings, stored_objects
):
    client = api_client(customer_member)
    for n in range(3):
        post_file(client, drawings, name=f"f{n}.bin", data=os.urandom(100_000))
    call_command("verify", stdout=io.StringIO())
    first, second, third = DocumentVersion.objects.order_by("document__name")
    blob = bytearray(stored_objects.read(first.blob_name))
    blob[5000] ^= 0x01
    stored_objects.replace(first.blob_name, bytes(blob))
    stored_objects.replace(third.blob_name, stored_objects.read(second.blob_name))
    stderr = io.StringIO()
    with pytest.raises(CommandError, match="2 of 3"):
        call_command("verify", stdout=io.StringIO(), stderr=stderr)
    response = client.get(f"/api/v1/documents/{first.document_id}/content")
    with pytest.raises(Exception, match=r"(?i)integrity|decrypt|tag|authenticat"):
        b"".join(response.streaming_content)


def test_keys_rotate_rewraps_every_data_key(api_client, customer_member, drawings):
    client = api_client(customer_member)
    document_id = post_file(client, drawings, data=b"before rotation").json()["document_id"]
    old = DocumentVersion.objects.get().kek_id
    call_command("keys", "rotate", stdout=io.StringIO())
    version = DocumentVersion.objects.get()
    assert version.kek_id != old
    assert (
        b"".join(client.get(f"/api/v1/documents/{document_id}/content").streaming_content)
        == b"before rotation"
    )
    call_command("verify", stdout=io.StringIO())


def test_it_refuses_an_oversized_multipart_upload_without_storing_a_byte(
    api_client, customer_member, drawings, settings, stored_objects
):
    settings.MAX_UPLOAD_BYTES = 1000
    response = post_file(api_client(customer_member), drawings, data=b"x" * 500_000)
    assert response.status_code == 413
    assert not Document.objects.exists()  # not even a hidden row: the body was never parsed
    assert not stored_objects.names()


def test_it_never_parses_an_anonymous_upload_into_temporary_files(drawings, monkeypatch):
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    from conftest import HttpsClient
    from kundportal.documents.uploads import EncryptingUploadHandler

    # With a CSRF cookie, the CSRF middleware reads the form body before any view runs.
    client = HttpsClient(enforce_csrf_checks=True)
    client.cookies["__Host-kp_csrf"] = "a" * 32

    parsed = []
    original = EncryptingUploadHandler.new_file

    def refuse(*args, **kwargs):
        raise AssertionError("plaintext temporary file")

    def watch(self, *args, **kwargs):
        parsed.append(True)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TemporaryFileUploadHandler, "new_file", refuse)
    monkeypatch.setattr(EncryptingUploadHandler, "new_file", watch)
    upload = io.BytesIO(b"secret")
    upload.name = "x.txt"
    response = client.post(
        f"/folders/{drawings.pk}/upload/",
        {"file": upload, "csrfmiddlewaretoken": "a" * 32},
        headers={"Origin": "https://testserver"},
    )
    assert parsed, "the CSRF check should have read the body"
    assert response.status_code in (302, 403, 404)
    assert not Document.objects.exists()


def test_it_refuses_an_oversized_page_upload_before_the_csrf_check_reads_it(
    customer_member, drawings, settings
):
    from conftest import HttpsClient

    settings.MAX_UPLOAD_BYTES = 1000
    client = HttpsClient(enforce_csrf_checks=True)
    client.force_login(customer_member, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["__Host-kp_csrf"] = "b" * 32
    upload = io.BytesIO(b"x" * 300_000)
    upload.name = "big.bin"
    response = client.post(
        f"/folders/{drawings.pk}/upload/",
        {"file": upload},
        headers={"Origin": "https://testserver", "X-CSRFToken": "b" * 32, "Accept": "application/json"},
    )
    assert response.status_code == 413
    assert not Document.objects.exists()  # not even a hidden row: the body was never parsed


def test_the_folder_list_says_where_each_role_may_upload_in_constant_queries(
    api_client, customer_member, customer_viewer, organisation, folders, django_assert_max_num_queries
):
    from kundportal.documents.models import Folder

    path = f"/api/v1/organisations/{organisation.pk}/folders"
    uploads = {f["access"]: f["can_upload"] for f in api_client(customer_member).get(path).json()}
    assert uploads == {"read_write": True, "read_only": False, "upload_only": True}
    assert not any(f["can_upload"] for f in api_client(customer_viewer).get(path).json())
    client = api_client(customer_member)
    with django_assert_max_num_queries(8) as few:
        client.get(path)
    Folder.objects.bulk_create(Folder(organisation=organisation, name=f"Extra {n}") for n in range(20))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(path).json()) == 23
