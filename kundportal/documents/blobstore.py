"""Where encrypted version objects live: the data directory by default, any S3-compatible store with
KUNDPORTAL_STORAGE=s3. Objects are written once, durably, under a random name, and read back by byte range."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage

PREFIX = "blobs"


def new_blob_name() -> str:
    """`blobs/ab/<uuid>`: nothing about the file, folder or customer, and spread over 256 directories."""
    name = uuid.uuid4().hex
    return f"{PREFIX}/{name[:2]}/{name}"


class BlobSink(Protocol):
    def write(self, data: bytes) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


class _LocalSink:
    """Writes to a temporary file beside the target, then fsync, rename, fsync of the directory: after
    commit() the object survives a crash; before it, nothing is at the final name."""

    def __init__(self, root: Path, name: str) -> None:
        self.target = root / name
        self.target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.target.parent, prefix=".upload-", suffix=".part")
        self.temp = Path(temp)
        self.file: IO[bytes] = os.fdopen(fd, "wb", buffering=0)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = self.file.write(view)
            view = view[written:]

    def commit(self) -> None:
        os.fsync(self.file.fileno())
        self.file.close()
        self.temp.rename(self.target)
        directory = os.open(self.target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def abort(self) -> None:
        self.file.close()
        self.temp.unlink(missing_ok=True)


class _S3Sink:
    """Collects the ciphertext in a temporary file in the data directory (ciphertext only: nothing readable
    lands on disk), then hands it to S3, which uses a multipart upload for large objects."""

    def __init__(self, storage: Any, name: str) -> None:  # django-storages' S3Storage
        self.storage = storage
        self.name = name
        spool = settings.DATA_DIR / "tmp"
        spool.mkdir(mode=0o700, exist_ok=True)
        self.file = tempfile.TemporaryFile(dir=spool)  # noqa: SIM115 - closed in commit/abort

    def write(self, data: bytes) -> None:
        self.file.write(data)

    def commit(self) -> None:
        # One PUT, or a multipart upload whose object appears only when it completes (boto3 aborts it on
        # failure): either way nothing half-written is ever visible under the name.
        self.file.seek(0)
        storage = self.storage
        try:
            storage.connection.meta.client.upload_fileobj(
                self.file, storage.bucket_name, storage._normalize_name(self.name)
            )
        finally:
            self.file.close()

    def abort(self) -> None:
        self.file.close()


def open_sink(name: str) -> BlobSink:
    if isinstance(default_storage, FileSystemStorage):
        return _LocalSink(Path(default_storage.location), name)
    return _S3Sink(default_storage, name)


def read_range(name: str, offset: int, length: int) -> bytes:
    """`length` bytes of the object from `offset`: fewer only at its end, none past it (as a file read).
    FileNotFoundError if there is no such object."""
    if length <= 0:
        return b""
    if isinstance(default_storage, FileSystemStorage):
        with open(Path(default_storage.location) / name, "rb") as handle:
            handle.seek(offset)
            return handle.read(length)
    return _read_s3_range(name, offset, length)


def _read_s3_range(name: str, offset: int, length: int) -> bytes:
    from botocore.exceptions import ClientError

    storage: Any = default_storage
    try:
        response = storage.connection.meta.client.get_object(
            Bucket=storage.bucket_name,
            Key=storage._normalize_name(name),
            Range=f"bytes={offset}-{offset + length - 1}",
        )
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        # S3 refuses a range that starts at or past the end of an object (a truncated one, say) where a file
        # read returns nothing; the caller then reports the object as truncated instead of failing obscurely.
        if code == "InvalidRange":
            return b""
        if code in ("NoSuchKey", "404"):
            raise FileNotFoundError(f"no object {name}") from error
        raise
    with closing(response["Body"]) as body:
        return body.read()


def exists(name: str) -> bool:
    return default_storage.exists(name)


def size(name: str) -> int:
    return default_storage.size(name)


def delete(name: str) -> None:
    default_storage.delete(name)


def iter_names() -> Iterator[str]:
    """Every object under blobs/, for the orphan sweep and `kundportal verify`."""
    try:
        tops = default_storage.listdir(PREFIX)[0]
    except FileNotFoundError:
        return
    for top in tops:
        for file_name in default_storage.listdir(f"{PREFIX}/{top}")[1]:
            if not file_name.startswith("."):
                yield f"{PREFIX}/{top}/{file_name}"
