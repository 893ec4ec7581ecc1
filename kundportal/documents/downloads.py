"""Sending a version to the browser: streamed, decrypted chunk by chunk, with Range support, and with headers
that keep an uploaded HTML or SVG file from ever running in the portal's origin."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from kundportal.documents.models import DocumentVersion
from kundportal.documents.services import read_version, record_download

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def protect(response: HttpResponse, filename: str) -> HttpResponse:
    """An attachment the browser saves and never renders in the portal's origin, and never caches."""
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def parse_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(start, end exclusive) for one satisfiable range; None for no/ignored Range; False if unsatisfiable."""
    match = RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None  # malformed or multiple ranges: answer with the whole file, as RFC 9110 allows
    first, last = match.group(1), match.group(2)
    if not first:  # suffix: the last N bytes
        length = int(last)
        if length == 0:
            return False
        return max(0, size - length), size
    start = int(first)
    end = min(int(last) + 1, size) if last else size
    if start >= size or end <= start:
        return False
    return start, end


def version_response(request: HttpRequest, version: DocumentVersion) -> HttpResponse:
    size = version.plaintext_size
    selected = parse_range(request.headers.get("Range", ""), size) if "Range" in request.headers else None
    etag = f'"{version.sha256}"'
    if selected is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if selected and request.headers.get("If-Range") not in (None, etag):
        selected = None  # the client's copy is of another version: send it whole
    start, end = selected or (0, size)
    response = StreamingHttpResponse(
        read_version(version, start=start, end=end),
        status=206 if selected else 200,
        content_type="application/octet-stream",
    )
    response["Content-Length"] = str(end - start)
    if selected:
        response["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    protect(response, version.document.name)
    if start == 0:
        record_download(actor=request.user, version=version, request=request)
    return response
