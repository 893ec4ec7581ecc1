"""Multipart uploads encrypted as they arrive.

Django's default handlers keep small files in memory and write large ones to a temporary file: plaintext on
disk, and a second pass over every byte. This handler instead feeds each chunk the parser reads straight into
a VersionWriter, so the only bytes that touch the disk are ciphertext. A view opts in by attaching the target
folder to the request (`request.kundportal_upload_folder`) before reading request.FILES; without it the
handler finds the folder from the URL for the upload routes (FOLDER_RESOLVERS), so that even a parse
triggered early (by the CSRF check) encrypts; for any other URL it defers to Django's usual behaviour.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, QueryDict
from django.http.multipartparser import MultiPartParser
from django.urls import Resolver404, resolve
from django.utils.datastructures import MultiValueDict
from django.utils.module_loading import import_string

from kundportal.documents.access import FolderAccessForUser, get_folder_for_user
from kundportal.documents.services import UploadTooLarge, VersionWriter


def folder_named_in_url(request: Any, url_name: str, kwargs: dict[str, Any]) -> FolderAccessForUser:
    """The documents' own upload routes name their folder in the URL."""
    return get_folder_for_user(request.user, kwargs["folder_id"], write=True)


# Every upload route, and the function (dotted path) that finds its folder: called as
# resolver(request, url_name, url_kwargs), answering 404/403 as its view would. The documents' page route and
# the API path that lists a folder's documents on GET and uploads on POST (ninja names a path after its first
# operation) name the folder; a message's files go where the conversation's organisation keeps them.
FOLDER_RESOLVERS = {
    "folder_upload": "kundportal.documents.uploads.folder_named_in_url",
    "list_documents": "kundportal.documents.uploads.folder_named_in_url",
    "thread_create": "kundportal.messaging.attachments.upload_folder_for_route",
    "thread_reply": "kundportal.messaging.attachments.upload_folder_for_route",
    "thread_note": "kundportal.messaging.attachments.upload_folder_for_route",
}


def is_upload_route(request: Any) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return request.method == "POST" and match.url_name in FOLDER_RESOLVERS


class KeepFileNameParser(MultiPartParser):
    """Hands the file name to the handler as sent. Django's parser would quietly turn "../x" into "x" and drop
    control characters (the right-to-left override among them); on the upload routes such a name is refused
    with a message instead (documents.names.clean_document_name, as on the raw-body API)."""

    def sanitize_file_name(self, file_name: str) -> str | None:
        return file_name or None


def upload_folder(request: Any) -> FolderAccessForUser | None:
    """The folder a request uploads into, with the user's permission checked; None if it is no upload route."""
    if (folder := getattr(request, "kundportal_upload_folder", None)) is not None:
        return folder
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    resolver = FOLDER_RESOLVERS.get(match.url_name or "")
    if request.method != "POST" or resolver is None:
        return None
    if not request.user.is_authenticated:
        # Never fall back to Django's temporary files here: that would put plaintext on disk.
        raise Http404
    folder = import_string(resolver)(request, match.url_name, match.kwargs)
    request.kundportal_upload_folder = folder
    return folder


class EncryptedUpload(UploadedFile):
    """What request.FILES holds for an encrypted upload: the finished writer, ready to commit."""

    def __init__(self, writer: VersionWriter, name: str, content_type: str, size: int) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.writer = writer

    def close(self) -> None:  # nothing to close: the object is in storage
        return None


OTHER_UPLOAD_BYTES = 20 * 1024 * 1024  # the largest file the portal takes outside documents (an import file)


class EncryptingUploadHandler(FileUploadHandler):
    chunk_size = 1024 * 1024

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        if request is not None and not hasattr(request, "_files") and is_upload_route(request):
            # Request.parse_file_upload reads the parser class after creating the handlers.
            request.multipart_parser_class = KeepFileNameParser
        self.writer: VersionWriter | None = None
        # Any other file (an offer picture, an import sent where no handler of its own was installed in time):
        # kept in memory up to OTHER_UPLOAD_BYTES, never in a plaintext temporary file; a bigger one is dropped.
        self.fallback: io.BytesIO | None = None
        self.error: Exception | None = None

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> tuple[QueryDict, MultiValueDict] | None:
        """Refuse an oversized upload from its declared length before one byte is read or stored.

        Only when the CSRF token travels in a header (the upload script) or the request is a bearer API call:
        a plain form carries its token in the body, which must then be parsed (the writer still stops at the
        limit and keeps nothing).
        """
        from django.conf import settings

        token_outside_body = "HTTP_X_CSRFTOKEN" in META or "HTTP_AUTHORIZATION" in META
        if token_outside_body and content_length > settings.MAX_UPLOAD_BYTES + MULTIPART_ALLOWANCE:
            try:
                is_upload = upload_folder(self.request) is not None
            except Exception as error:
                self.request.kundportal_upload_error = error
                return QueryDict(encoding=encoding), MultiValueDict()
            if is_upload:
                self.request.kundportal_upload_error = UploadTooLarge()
                return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(
        self,
        field_name: str,
        file_name: str,
        content_type: str,
        content_length: int | None,
        charset: str | None = None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        try:
            folder = upload_folder(self.request)
        except Exception as error:  # not found or not allowed: remembered for the view to answer
            self.request.kundportal_upload_error = error
            raise StopUpload(connection_reset=False) from None
        if folder is None:
            self.fallback = io.BytesIO()
            return
        try:
            self.writer = VersionWriter(
                actor=self.request.user, folder=folder, name=file_name, content_type=content_type
            )
        except Exception as error:  # a bad name or no permission: remembered for the view to report
            self.error = error
            self.request.kundportal_upload_error = error
            raise StopUpload(connection_reset=False) from None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.fallback is not None:
            if self.fallback.tell() + len(raw_data) > OTHER_UPLOAD_BYTES:
                self.fallback = None
                self.request.kundportal_upload_error = UploadTooLarge(OTHER_UPLOAD_BYTES)
                raise StopUpload(connection_reset=False)
            self.fallback.write(raw_data)
            return None
        if self.writer is not None:
            try:
                self.writer.write(raw_data)
            except UploadTooLarge as error:
                self.request.kundportal_upload_error = error
                self.writer = None
                raise StopUpload(connection_reset=True) from None
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.fallback is not None:
            buffer, self.fallback = self.fallback, None
            buffer.seek(0)
            return InMemoryUploadedFile(
                buffer, self.field_name, self.file_name, self.content_type, file_size, self.charset
            )
        if self.writer is None:
            return None
        self.writer.close()
        upload = EncryptedUpload(self.writer, self.file_name, self.content_type, file_size)
        self.writer = None
        return upload

    def upload_interrupted(self) -> None:
        self.fallback = None
        if self.writer is not None:
            self.writer.abort()
            self.writer = None


# Multipart framing (boundaries, part headers, the note field) on top of the file itself.
MULTIPART_ALLOWANCE = 64 * 1024


def refuse_oversized(request: Any, *, multipart: bool) -> None:
    """413 from the declared length, before a byte of the body is read or stored."""
    from django.conf import settings

    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > settings.MAX_UPLOAD_BYTES + (MULTIPART_ALLOWANCE if multipart else 0):
        raise UploadTooLarge
