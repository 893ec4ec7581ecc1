"""Uploaded import files stay in memory: never a plaintext temporary file on disk.

The portal's default upload handler writes every multipart file that is not a document to a temporary file.
Import views and endpoints install this handler instead, before the body is parsed (the page view is
csrf_exempt for that reason and checks CSRF itself right after: Django's documented pattern for replacing
upload handlers). A file over the limit is not kept: the rest of the body is read and dropped, so the form's
other fields (the CSRF token comes first) still arrive and the page can say what went wrong.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from kundportal.imports.parsers import MAX_FILE_BYTES


class FileTooLarge(Exception):
    pass


class InMemoryCsvUploadHandler(FileUploadHandler):
    chunk_size = 256 * 1024

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.buffer: io.BytesIO | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        assert self.buffer is not None
        if self.buffer.tell() + len(raw_data) > MAX_FILE_BYTES:
            self.buffer = None
            self.request.import_upload_error = FileTooLarge()
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        if self.buffer is None:
            return None
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            self.buffer, self.field_name, self.file_name, self.content_type, file_size, self.charset
        )

    def upload_interrupted(self) -> None:
        self.buffer = None


def keep_uploads_in_memory(request: Any) -> None:
    """Call before anything reads request.POST or request.FILES."""
    request.upload_handlers = [InMemoryCsvUploadHandler(request)]


# Content types browsers and clients send for CSV files (Windows browsers say "application/vnd.ms-excel" for a
# .csv when Excel is installed; unknown types arrive as application/octet-stream or nothing). What is really
# in the file is checked from its bytes anyway (parsers.decode).
CSV_CONTENT_TYPES = {
    "",
    "text/csv",
    "text/plain",
    "text/x-csv",
    "text/comma-separated-values",
    "text/tab-separated-values",
    "application/csv",
    "application/x-csv",
    "application/vnd.ms-excel",
    "application/octet-stream",
}
WORKBOOK_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.apple.numbers",
    "application/zip",
}


def content_type_problem(content_type: str) -> str | None:
    """The report code for an upload whose declared type is no CSV, or None."""
    content_type = content_type.split(";")[0].strip().lower()
    if content_type in CSV_CONTENT_TYPES:
        return None
    return "workbook" if content_type in WORKBOOK_CONTENT_TYPES else "not_csv"


def upload_problem(request: Any, upload: Any) -> str | None:
    """The report code for what is wrong with an upload before its bytes are read: too large, missing, or
    declared as something else than CSV. None if it may be read."""
    if getattr(request, "import_upload_error", None):
        return "too_large"
    if upload is None:
        return "no_file"
    return content_type_problem(upload.content_type or "")
