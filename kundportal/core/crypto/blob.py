"""Encrypted blobs, format v1: chunked AES-256-GCM with a key-committing header.

Layout of one object (all integers big-endian)::

    offset  size  field
         0     4  magic b"KPB1"
         4     1  format version (1)
         5     1  algorithm id (1 = AES-256-GCM)
         6     4  chunk size in plaintext bytes (65536)
        10     7  random nonce prefix
        17    32  random HKDF salt
        49    32  commitment = HMAC-SHA256(commit_key, bytes 0..49)
        81        chunk 0, chunk 1, ... (HEADER_SIZE = 81)

    chunk i starts at HEADER_SIZE + i * (CHUNK_SIZE + TAG_SIZE) and is AES-256-GCM(content_key,
    nonce = prefix(7) || i (4, BE) || last-chunk flag (1: 0x00 or 0x01), aad = the whole 81-byte header),
    i.e. plaintext followed by its 16-byte tag.

    content_key || commit_key = HKDF-SHA256(ikm=data key, salt=salt, info=context.info(), length=64)

Chunking rule: a plaintext of n bytes has max(1, ceil(n / CHUNK_SIZE)) chunks. Every chunk but the last holds
exactly CHUNK_SIZE bytes; the last one holds the remaining 1..CHUNK_SIZE bytes and carries the last-chunk flag.
So a plaintext that is an exact multiple of CHUNK_SIZE ends with a *full* flagged chunk (no empty chunk after
it), and only the empty plaintext has an empty chunk: exactly one, flagged, 16 bytes of tag.
`ciphertext_size(n) = HEADER_SIZE + n + TAG_SIZE * max(1, ceil(n / CHUNK_SIZE))`.

Why each piece is there:

* The per-object random salt and nonce prefix make content keys and nonces unique even if a data key were ever
  reused; the 32-bit counter in the nonce fixes each chunk's position (reordering fails), and the flag marks
  the end (truncation at a chunk boundary fails, and so does appending a chunk after the flagged one).
* The context (organisation, document, version) goes into HKDF, so an object copied to another version or
  customer decrypts to nothing: the derived keys differ and the commitment check fails.
* AES-GCM alone is not key-committing: a crafted ciphertext can decrypt validly under two keys. The HMAC
  commitment binds the header (and so every chunk, which authenticates the header as AAD) to one data key
  and one context, and lets us reject a wrong key before decrypting anything.
* Fixed-size chunks at fixed offsets let an HTTP Range request read and decrypt only the chunks it covers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Buffer, Callable, Iterator
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kundportal.core.crypto.errors import BlobIntegrityError

__all__ = [
    "CHUNK_SIZE",
    "ENCRYPTED_CHUNK_SIZE",
    "HEADER_SIZE",
    "MAX_PLAINTEXT_SIZE",
    "READ_CHUNKS",
    "TAG_SIZE",
    "BlobContext",
    "BlobEncryptor",
    "BlobIntegrityError",
    "chunk_count",
    "ciphertext_size",
    "decrypt_bytes",
    "decrypt_range",
    "encrypt_bytes",
    "new_data_key",
    "plaintext_size_for",
]

MAGIC = b"KPB1"
FORMAT_VERSION = 1
ALGORITHM_AES_256_GCM = 1

CHUNK_SIZE = 64 * 1024  # plaintext bytes per chunk
TAG_SIZE = 16
ENCRYPTED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
DATA_KEY_SIZE = 32
NONCE_PREFIX_SIZE = 7
SALT_SIZE = 32
COMMITMENT_SIZE = 32

# Everything the commitment covers; ">" means no padding, so the offsets are exactly those in the docstring.
_PREAMBLE = struct.Struct(f">4sBBI{NONCE_PREFIX_SIZE}s{SALT_SIZE}s")
HEADER_SIZE = _PREAMBLE.size + COMMITMENT_SIZE  # 81
_NONCE = struct.Struct(f">{NONCE_PREFIX_SIZE}sIB")  # prefix || counter || last-chunk flag = 12 bytes

# The counter is 32 bits, so at most 2**32 chunks (256 TiB of plaintext) per object.
MAX_CHUNKS = 2**32
MAX_PLAINTEXT_SIZE = MAX_CHUNKS * CHUNK_SIZE

# decrypt_range reads this many chunks per `read` call (1 MiB of plaintext): few enough calls to keep the
# per-call overhead (a syscall, an HTTP round trip to object storage) negligible, small enough to stream.
READ_CHUNKS = 16


@dataclass(frozen=True)
class BlobContext:
    """Where an object belongs. Bound into the keys, so an object only decrypts in its own place."""

    organisation_id: UUID
    document_id: UUID
    version_id: UUID

    def __post_init__(self) -> None:
        # str() of anything else (a string with capitals, an int) would give a different `info` for the
        # same version and make its object unreadable: insist on real UUIDs.
        for name in ("organisation_id", "document_id", "version_id"):
            if not isinstance(getattr(self, name), UUID):
                raise TypeError(f"BlobContext.{name} must be a uuid.UUID, not {type(getattr(self, name))}")

    def info(self) -> bytes:
        """The HKDF info string: b"kundportal/v1|<org>|<document>|<version>" (canonical UUID text)."""
        return f"kundportal/v1|{self.organisation_id}|{self.document_id}|{self.version_id}".encode("ascii")


def new_data_key() -> bytes:
    """A fresh random 256-bit data key (one per stored version)."""
    return os.urandom(DATA_KEY_SIZE)


def chunk_count(plaintext_size: int) -> int:
    """Number of chunks for a plaintext of that size (at least one: the empty plaintext has one empty chunk)."""
    _check_size(plaintext_size)
    return max(1, -(-plaintext_size // CHUNK_SIZE))


def ciphertext_size(plaintext_size: int) -> int:
    """The exact size of the encrypted object for a plaintext of `plaintext_size` bytes."""
    return HEADER_SIZE + plaintext_size + TAG_SIZE * chunk_count(plaintext_size)


def plaintext_size_for(ciphertext_size: int) -> int:
    """The inverse of `ciphertext_size`; BlobIntegrityError if no plaintext size gives this object size."""
    body = ciphertext_size - HEADER_SIZE
    if body < TAG_SIZE:
        raise BlobIntegrityError("object is too short to be an encrypted blob")
    full, rest = divmod(body, ENCRYPTED_CHUNK_SIZE)
    if rest == 0:  # ends with a full chunk
        size = full * CHUNK_SIZE
    elif rest > TAG_SIZE:  # ends with a partial chunk
        size = full * CHUNK_SIZE + rest - TAG_SIZE
    elif rest == TAG_SIZE and full == 0:  # the empty plaintext
        size = 0
    else:
        raise BlobIntegrityError("object size does not match any plaintext size")
    if size > MAX_PLAINTEXT_SIZE:
        raise BlobIntegrityError("object is larger than format v1 allows")
    return size


def _check_size(plaintext_size: int) -> None:
    if not isinstance(plaintext_size, int) or isinstance(plaintext_size, bool):
        raise TypeError("plaintext size must be an int")
    if not 0 <= plaintext_size <= MAX_PLAINTEXT_SIZE:
        raise ValueError(f"plaintext size {plaintext_size} is outside 0..{MAX_PLAINTEXT_SIZE}")


def _check_data_key(data_key: bytes) -> None:
    if not isinstance(data_key, bytes | bytearray) or len(data_key) != DATA_KEY_SIZE:
        raise ValueError(f"a data key is {DATA_KEY_SIZE} bytes")


def _derive_keys(data_key: bytes, salt: bytes, context: BlobContext) -> tuple[AESGCM, bytes]:
    """Content cipher and commitment key for one object: HKDF-SHA256(data key, salt, context) -> 32 + 32."""
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=context.info()).derive(bytes(data_key))
    return AESGCM(okm[:32]), okm[32:]


def _commitment(commit_key: bytes, preamble: bytes) -> bytes:
    return hmac.new(commit_key, preamble, hashlib.sha256).digest()


class BlobEncryptor:
    """Streaming encryptor: feed plaintext in pieces of any size, get ciphertext pieces out.

    Write `header()` first, then whatever each `update()` returns, then `finalize()`; the result is exactly
    `ciphertext_size(plaintext_size)` bytes. `plaintext_size` and `sha256` (hex of the plaintext) are
    available after `finalize()`, for the version's database row.

    Apart from the ciphertext it returns, it holds one chunk: whole chunks inside a piece are encrypted
    straight from the caller's buffer (a memoryview slice, no copy); only the chunk that straddles two pieces,
    and the held-back last one, are copied into one reused 64 KiB buffer.
    """

    def __init__(self, data_key: bytes, context: BlobContext) -> None:
        _check_data_key(data_key)
        self._prefix = os.urandom(NONCE_PREFIX_SIZE)
        salt = os.urandom(SALT_SIZE)
        self._aead, commit_key = _derive_keys(data_key, salt, context)
        preamble = _PREAMBLE.pack(
            MAGIC, FORMAT_VERSION, ALGORITHM_AES_256_GCM, CHUNK_SIZE, self._prefix, salt
        )
        self._header = preamble + _commitment(commit_key, preamble)
        # The chunk that may turn out to be the last one waits here until more data or finalize() says which.
        self._buffer = bytearray(CHUNK_SIZE)
        self._view = memoryview(self._buffer)
        self._filled = 0
        self._index = 0
        self._size = 0
        self._hash = hashlib.sha256()
        self._sha256: str | None = None

    def header(self) -> bytes:
        """The object's header (HEADER_SIZE bytes): write it before any chunk."""
        return self._header

    def update(self, data: Buffer) -> list[bytes]:
        """Encrypt `data`; returns the ciphertext of every chunk that is now complete *and* known not to be
        the last (possibly none). The final partial-or-full chunk is held back until `finalize()`, because
        only then do we know it must carry the last-chunk flag."""
        if self._sha256 is not None:
            raise RuntimeError("update() after finalize()")
        view = memoryview(data).cast("B")  # any contiguous buffer, counted in bytes
        size = len(view)
        if not size:
            return []
        if self._size + size > MAX_PLAINTEXT_SIZE:
            raise ValueError(f"format v1 holds at most {MAX_PLAINTEXT_SIZE} bytes per object")
        self._hash.update(view)
        self._size += size
        out: list[bytes] = []
        pos = 0
        if self._filled:
            # Top up the held-back chunk. If data remains after that, the buffer is full and is not the last.
            pos = min(CHUNK_SIZE - self._filled, size)
            self._view[self._filled : self._filled + pos] = view[:pos]
            self._filled += pos
            if pos < size:
                out.append(self._seal(self._view, last=False))
                self._filled = 0
        # Strictly more than a chunk left: this one is not the last, encrypt it in place.
        while size - pos > CHUNK_SIZE:
            out.append(self._seal(view[pos : pos + CHUNK_SIZE], last=False))
            pos += CHUNK_SIZE
        if pos < size:  # 1..CHUNK_SIZE bytes: hold them back, they may be the last chunk
            rest = size - pos
            self._view[:rest] = view[pos:]
            self._filled = rest
        return out

    def finalize(self) -> bytes:
        """The last chunk with the last-chunk flag (just a 16-byte tag for an empty plaintext)."""
        if self._sha256 is not None:
            raise RuntimeError("finalize() called twice")
        last = self._seal(self._view[: self._filled], last=True)
        self._sha256 = self._hash.hexdigest()
        self._view.release()
        self._filled = 0
        return last

    @property
    def plaintext_size(self) -> int:
        self._require_finalized()
        return self._size

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the whole plaintext."""
        self._require_finalized()
        assert self._sha256 is not None
        return self._sha256

    def _require_finalized(self) -> None:
        if self._sha256 is None:
            raise RuntimeError("available after finalize()")

    def _seal(self, chunk: Buffer, *, last: bool) -> bytes:
        # Cannot trip given the size check in update(); kept because a repeated nonce would be fatal.
        if self._index >= MAX_CHUNKS:
            raise ValueError("chunk counter exhausted")
        nonce = _NONCE.pack(self._prefix, self._index, 1 if last else 0)
        self._index += 1
        return self._aead.encrypt(nonce, chunk, self._header)


def encrypt_bytes(plaintext: Buffer, *, data_key: bytes, context: BlobContext) -> bytes:
    """The whole object for a plaintext held in memory (small files, tests). Streams go through BlobEncryptor."""
    encryptor = BlobEncryptor(data_key, context)
    return b"".join([encryptor.header(), *encryptor.update(plaintext), encryptor.finalize()])


def decrypt_range(
    read: Callable[[int, int], Buffer],
    *,
    data_key: bytes,
    context: BlobContext,
    plaintext_size: int,
    start: int = 0,
    end: int | None = None,
    read_chunks: int = READ_CHUNKS,
) -> Iterator[bytes]:
    """Plaintext bytes [start, end) (end exclusive, default plaintext_size), as an iterator of pieces
    (at most `read_chunks` chunks each).

    `read(offset, length)` returns the object's bytes at `offset`: exactly `length` bytes, or fewer only where
    the object ends. It is called once for the header and then once per run of up to `read_chunks` chunks.

    The header is read and its commitment checked (constant time) *now*, before this function returns, so a
    wrong key, wrong context or altered header raises BlobIntegrityError before a caller commits to a response.
    Chunks are read and authenticated lazily as the iterator is consumed; a failure there raises
    BlobIntegrityError mid-stream (a web response must then be aborted, not completed). Only chunks covering
    the range are read. When the range reaches the end of the plaintext, the last chunk's flag is checked and
    one byte more is asked for, so an object that was extended also fails. `plaintext_size` comes from the
    trusted database row; an object shorter than it says fails as truncated.

    A bad range (not 0 <= start <= end <= plaintext_size) is the caller's bug: ValueError.
    """
    _check_data_key(data_key)
    _check_size(plaintext_size)
    if end is None:
        end = plaintext_size
    if not 0 <= start <= end <= plaintext_size:
        raise ValueError(f"range [{start}, {end}) is outside the plaintext of {plaintext_size} bytes")
    if read_chunks < 1:
        raise ValueError("read_chunks must be at least 1")
    aead, prefix, header = _open_header(read, data_key, context)
    return _decrypt_chunks(read, aead, prefix, header, plaintext_size, start, end, read_chunks)


def decrypt_bytes(
    blob: Buffer, *, data_key: bytes, context: BlobContext, plaintext_size: int | None = None
) -> bytes:
    """The whole plaintext of an object held in memory. Without `plaintext_size` it is inferred from the
    object's length, which still detects tampering but not a truncation/extension by whole chunks that the
    caller would have caught by comparing with the size it stored: pass the stored size when you have it."""
    view = memoryview(blob).cast("B")
    if plaintext_size is None:
        plaintext_size = plaintext_size_for(len(view))
    return b"".join(
        decrypt_range(
            lambda offset, length: view[offset : offset + length],
            data_key=data_key,
            context=context,
            plaintext_size=plaintext_size,
        )
    )


def _open_header(
    read: Callable[[int, int], Buffer], data_key: bytes, context: BlobContext
) -> tuple[AESGCM, bytes, bytes]:
    # bytes(): the header is used as AAD for every chunk and must not change under us if `read` hands out
    # a view of a reused buffer.
    header = bytes(memoryview(read(0, HEADER_SIZE)).cast("B"))
    if len(header) != HEADER_SIZE:
        raise BlobIntegrityError("object is shorter than its header")
    magic, version, algorithm, chunk_size, prefix, salt = _PREAMBLE.unpack_from(header)
    if magic != MAGIC:
        raise BlobIntegrityError("not a Kundportal encrypted object (bad magic)")
    if (version, algorithm, chunk_size) != (FORMAT_VERSION, ALGORITHM_AES_256_GCM, CHUNK_SIZE):
        raise BlobIntegrityError(
            f"unsupported object format (version {version}, algorithm {algorithm}, chunk size {chunk_size})"
        )
    aead, commit_key = _derive_keys(data_key, salt, context)
    expected = _commitment(commit_key, header[: _PREAMBLE.size])
    if not hmac.compare_digest(expected, header[_PREAMBLE.size :]):
        raise BlobIntegrityError("header commitment mismatch: wrong data key or context, or altered header")
    return aead, prefix, header


def _decrypt_chunks(
    read: Callable[[int, int], Buffer],
    aead: AESGCM,
    prefix: bytes,
    header: bytes,
    plaintext_size: int,
    start: int,
    end: int,
    read_chunks: int,
) -> Iterator[bytes]:
    last_index = chunk_count(plaintext_size) - 1
    object_size = ciphertext_size(plaintext_size)
    if start == end:
        if plaintext_size:
            return  # an empty range inside a non-empty object needs no chunk
        first, stop = 0, 1  # the empty object: still authenticate its single, flagged, empty chunk
    else:
        first, stop = start // CHUNK_SIZE, (end - 1) // CHUNK_SIZE + 1
    for run_start in range(first, stop, read_chunks):
        run_stop = min(run_start + read_chunks, stop)
        offset = HEADER_SIZE + run_start * ENCRYPTED_CHUNK_SIZE
        at_end = run_stop - 1 == last_index
        length = object_size - offset if at_end else (run_stop - run_start) * ENCRYPTED_CHUNK_SIZE
        # At the end, ask for one byte more: getting it means bytes were appended after the last chunk.
        view = memoryview(read(offset, length + 1 if at_end else length)).cast("B")
        if len(view) < length:
            raise BlobIntegrityError("object is truncated")
        if len(view) > length:
            raise BlobIntegrityError("object is longer than its plaintext size allows")
        # The run's plaintext is decrypted straight into one new buffer: no bytes object per chunk, and the
        # caller gets pieces of up to read_chunks chunks (1 MiB by default), the size servers write fastest.
        run_plain = length - (run_stop - run_start) * TAG_SIZE
        out = bytearray(run_plain)
        target = memoryview(out)
        pos = done = 0
        for index in range(run_start, run_stop):
            last = index == last_index
            size = length - pos if last else ENCRYPTED_CHUNK_SIZE
            nonce = _NONCE.pack(prefix, index, 1 if last else 0)
            try:
                aead.decrypt_into(
                    nonce, view[pos : pos + size], header, target[done : done + size - TAG_SIZE]
                )
            except InvalidTag:
                raise BlobIntegrityError(f"chunk {index} failed authentication") from None
            pos += size
            done += size - TAG_SIZE
        # Only the first and last run of a range are trimmed.
        run_offset = run_start * CHUNK_SIZE
        lo, hi = max(start - run_offset, 0), min(end - run_offset, run_plain)
        if hi > lo:
            yield bytes(target[lo:hi])
