"""Files sent anywhere but a document upload route (an offer picture, an import file whose view had no handler
of its own installed in time, e.g. an API call with a session whose CSRF check parses the body first) stay in
memory: never a plaintext temporary file on disk. A file over the limit is dropped, not written anywhere."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile

from kundportal.documents import uploads
from kundportal.documents.services import UploadTooLarge


def _request(rf, size: int):
    request = rf.post(
        "/api/v1/offers/manage", {"image": SimpleUploadedFile("big.png", b"\x89" * size, "image/png")}
    )
    request.user = AnonymousUser()
    request.upload_handlers = [uploads.EncryptingUploadHandler(request)]
    return request


def test_a_file_outside_documents_stays_in_memory(rf, monkeypatch):
    def no_temporary_file(*args, **kwargs):
        raise AssertionError("plaintext temporary file")

    monkeypatch.setattr("tempfile.NamedTemporaryFile", no_temporary_file)
    size = 3 * 1024 * 1024  # over Django's 2.5 MB in-memory threshold
    upload = _request(rf, size).FILES["image"]
    assert isinstance(upload, InMemoryUploadedFile)
    assert upload.size == size and upload.read(1) == b"\x89"


def test_a_file_over_the_limit_is_dropped(rf, monkeypatch):
    monkeypatch.setattr(uploads, "OTHER_UPLOAD_BYTES", 1024 * 1024)
    request = _request(rf, 1024 * 1024 + 1)
    assert "image" not in request.FILES
    assert isinstance(request.kundportal_upload_error, UploadTooLarge)


pytestmark = pytest.mark.django_db
