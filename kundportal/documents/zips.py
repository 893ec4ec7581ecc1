"""A whole folder as one ZIP download: streamed, each file decrypted chunk by chunk while it is sent, nothing
built in memory or on disk. The archive's length is known before the first byte, so the browser shows real
progress and a cut connection is recognised as an incomplete download."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import zipstream
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, StreamingHttpResponse

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.documents.access import FolderAccessForUser
from kundportal.documents.downloads import protect
from kundportal.documents.listing import folder_documents
from kundportal.documents.models import Folder
from kundportal.documents.services import read_version

if TYPE_CHECKING:
    from kundportal.accounts.models import User

# Characters that file systems or unzip tools refuse or misread in a file name, and invisible ones (control,
# format such as the right-to-left override, line separators).
UNSAFE_IN_FILENAME = frozenset('\\/:*?"<>|')
INVISIBLE = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def zip_filename(folder: Folder) -> str:
    """`Drawings.zip`: the folder's name with anything a file system would refuse replaced."""
    name = "".join(
        "_" if char in UNSAFE_IN_FILENAME or unicodedata.category(char) in INVISIBLE else char
        for char in folder.name
    ).strip(" ._")
    return f"{name or 'folder'}.zip"


def zip_folder(
    *, actor: User, folder: FolderAccessForUser, request: HttpRequest | None = None
) -> zipstream.ZipStream:
    """The latest version of every document the actor sees in the folder, exactly what its listing shows them
    (own uploads only in an upload-only folder), as a sized ZIP stream. One query for the documents; nothing
    is read or decrypted until the stream is iterated, one file after the other."""
    if not (folder.permission.read or folder.permission.own_only):
        raise PermissionDenied
    documents = folder_documents(actor, folder.folder).select_related(None).select_related("latest")
    # Stored, not deflated: most documents (PDF, Office, images, CAD) are compressed already, and only an
    # uncompressed archive has a length that is known before it is written (Content-Length).
    stream = zipstream.ZipStream(compress_type=zipstream.ZIP_STORED, sized=True)
    count = size = 0
    for document in documents:
        version = document.latest
        assert version is not None  # visible documents always have a latest version
        version.document = document  # read_version needs the document's ids: no query per file
        # Names are unique per folder (case-folded, the unique_live_document_name constraint), so no entry
        # overwrites another when unpacked, not even on a case-insensitive file system.
        stream.add(read_version(version), document.name, size=version.plaintext_size)
        count += 1
        size += version.plaintext_size
    record_event(
        Action.FOLDER_DOWNLOADED,
        actor=actor,
        organisation_id=folder.folder.organisation_id,
        target=folder.folder,
        request=request,
        documents=count,
        size=size,
    )
    return stream


# Servers move bytes far faster in large writes (bench/README.md). Decryption already yields pieces of about
# 1 MiB, which pass through without a copy; ZIP headers (a few dozen bytes each) and small files are gathered.
WRITE_SIZE = 1024 * 1024
PASS_THROUGH = 256 * 1024


def _gathered(pieces: Iterable[bytes]) -> Iterator[bytes]:
    buffer = bytearray()
    for piece in pieces:
        if len(piece) >= PASS_THROUGH:
            if buffer:
                yield bytes(buffer)
                buffer.clear()
            yield piece
            continue
        buffer += piece
        if len(buffer) >= WRITE_SIZE:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def folder_zip_response(request: HttpRequest, folder: FolderAccessForUser) -> StreamingHttpResponse:
    stream = zip_folder(actor=request.user, folder=folder, request=request)
    # A file that fails its integrity check mid-way ends the response short of its Content-Length: the
    # browser reports a failed download instead of saving a ZIP with a damaged file in it.
    response = StreamingHttpResponse(_gathered(stream), content_type="application/zip")
    response["Content-Length"] = str(len(stream))
    protect(response, zip_filename(folder.folder))
    return response
