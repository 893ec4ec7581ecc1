"""Encrypted blobs, format v1: round trips, ranges that read only what they need, and every tampering fails."""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import random
import struct
import uuid
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kundportal.core.crypto.blob import (
    CHUNK_SIZE,
    ENCRYPTED_CHUNK_SIZE,
    HEADER_SIZE,
    MAX_PLAINTEXT_SIZE,
    TAG_SIZE,
    BlobContext,
    BlobEncryptor,
    BlobIntegrityError,
    chunk_count,
    ciphertext_size,
    decrypt_bytes,
    decrypt_range,
    encrypt_bytes,
    new_data_key,
    plaintext_size_for,
)

CS = CHUNK_SIZE
ENC = ENCRYPTED_CHUNK_SIZE
BOUNDARY_SIZES = [0, 1, CS - 1, CS, CS + 1, 2 * CS, 3 * CS - 1, 3 * CS, 3 * CS + 1]
KEY = new_data_key()
CONTEXT = BlobContext(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def plaintext_of(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


@functools.cache
def sample(size: int) -> tuple[bytes, bytes]:
    """(plaintext, object) for a size, encrypted once per test run under KEY/CONTEXT."""
    plaintext = plaintext_of(size, seed=size)
    return plaintext, encrypt_bytes(plaintext, data_key=KEY, context=CONTEXT)


class Reader:
    """A `read` callable over bytes in memory that records what it was asked and what it returned."""

    def __init__(self, blob: bytes) -> None:
        self.blob = blob
        self.calls: list[tuple[int, int]] = []
        self.bytes_read = 0

    def __call__(self, offset: int, length: int) -> bytes:
        self.calls.append((offset, length))
        data = self.blob[offset : offset + length]
        self.bytes_read += len(data)
        return data


def decrypt_all(
    blob: bytes, *, key: bytes = KEY, context: BlobContext = CONTEXT, size: int | None = None
) -> bytes:
    """A full decrypt, with the plaintext size a database row would hold (inferred if not given)."""
    if size is None:
        size = plaintext_size_for(len(blob))
    return b"".join(decrypt_range(Reader(blob), data_key=key, context=context, plaintext_size=size))


def encrypt_in_pieces(plaintext: bytes, cuts: list[int], key: bytes = KEY, context: BlobContext = CONTEXT):
    """Encrypt through update() calls split at `cuts`; returns (object, encryptor, list of update outputs)."""
    encryptor = BlobEncryptor(key, context)
    outputs = []
    bounds = [0, *sorted(cut for cut in cuts if 0 < cut < len(plaintext)), len(plaintext)]
    for lo, hi in itertools.pairwise(bounds):
        outputs.append(list(encryptor.update(memoryview(plaintext)[lo:hi])))
    last = encryptor.finalize()
    blob = encryptor.header() + b"".join(piece for out in outputs for piece in out) + last
    return blob, encryptor, outputs


def flip_bit(blob: bytes, bit: int) -> bytes:
    changed = bytearray(blob)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


def chunk(blob: bytes, index: int) -> bytes:
    start = HEADER_SIZE + index * ENC
    return blob[start : start + ENC]


# Sizes and layout


@pytest.mark.parametrize(
    ("size", "chunks"),
    [(0, 1), (1, 1), (CS - 1, 1), (CS, 1), (CS + 1, 2), (2 * CS, 2), (3 * CS, 3), (3 * CS + 1, 4)],
)
def test_the_chunking_rule_and_the_object_size(size, chunks):
    # Rule: max(1, ceil(n / CHUNK_SIZE)) chunks; an exact multiple ends with a full flagged chunk.
    assert chunk_count(size) == chunks
    assert ciphertext_size(size) == HEADER_SIZE + size + chunks * TAG_SIZE
    assert len(sample(size)[1]) == ciphertext_size(size)
    assert plaintext_size_for(ciphertext_size(size)) == size


def test_the_header_layout_matches_the_documented_offsets():
    _, blob = sample(3 * CS + 5)
    other = encrypt_bytes(b"x", data_key=KEY, context=CONTEXT)
    assert HEADER_SIZE == 81
    assert blob[0:4] == b"KPB1"
    assert blob[4] == 1  # format version
    assert blob[5] == 1  # AES-256-GCM
    assert struct.unpack(">I", blob[6:10])[0] == CHUNK_SIZE
    # nonce prefix (10..17) and salt (17..49) are random per object
    assert blob[10:17] != other[10:17] and blob[17:49] != other[17:49]


def test_an_independent_decrypter_following_the_documented_format_reads_every_chunk():
    plaintext, blob = sample(2 * CS + 7)
    prefix, salt, commitment = blob[10:17], blob[17:49], blob[49:81]
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=CONTEXT.info()).derive(KEY)
    assert hmac.compare_digest(hmac.new(okm[32:], blob[:49], hashlib.sha256).digest(), commitment)
    aead, header = AESGCM(okm[:32]), blob[:HEADER_SIZE]
    pieces = []
    for index in range(3):
        nonce = prefix + index.to_bytes(4, "big") + (b"\x01" if index == 2 else b"\x00")
        pieces.append(aead.decrypt(nonce, blob[HEADER_SIZE + index * ENC :][:ENC], header))
    assert b"".join(pieces) == plaintext


def test_context_info_names_organisation_document_and_version():
    org, doc, ver = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert BlobContext(org, doc, ver).info() == f"kundportal/v1|{org}|{doc}|{ver}".encode()
    with pytest.raises(TypeError):
        BlobContext(str(org), doc, ver)  # type: ignore[arg-type]


def test_storage_overhead_is_below_a_tenth_of_a_percent():
    gib = 1024**3
    assert ciphertext_size(gib) / gib - 1 < 0.001


def test_sizes_outside_the_format_are_refused():
    with pytest.raises(ValueError):
        ciphertext_size(-1)
    with pytest.raises(ValueError):
        ciphertext_size(MAX_PLAINTEXT_SIZE + 1)
    for bad in (HEADER_SIZE, HEADER_SIZE + TAG_SIZE + ENC, HEADER_SIZE + ENC + 5):
        with pytest.raises(BlobIntegrityError):
            plaintext_size_for(bad)


def test_new_data_keys_are_random_32_bytes():
    keys = {new_data_key() for _ in range(10)}
    assert len(keys) == 10 and all(len(key) == 32 for key in keys)


# Round trips


@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_round_trip_at_chunk_boundaries(size):
    plaintext, blob = sample(size)
    assert len(blob) == ciphertext_size(size)
    assert decrypt_all(blob, size=size) == plaintext
    assert decrypt_bytes(blob, data_key=KEY, context=CONTEXT, plaintext_size=size) == plaintext


@FAST
@given(
    size=st.one_of(st.sampled_from(BOUNDARY_SIZES), st.integers(0, 4 * CS + 100)),
    seed=st.integers(0, 2**32),
    data=st.data(),
)
def test_round_trip_feeding_update_with_random_piece_sizes(size, seed, data):
    plaintext = plaintext_of(size, seed)
    cuts = data.draw(st.lists(st.integers(0, size), max_size=12), label="cuts")
    blob, encryptor, outputs = encrypt_in_pieces(plaintext, cuts)
    assert len(blob) == ciphertext_size(size)
    assert encryptor.plaintext_size == size
    assert encryptor.sha256 == hashlib.sha256(plaintext).hexdigest()
    # update() emits only whole, non-final chunks: the last one always waits for finalize().
    emitted = [piece for out in outputs for piece in out]
    assert all(len(piece) == ENC for piece in emitted)
    assert len(emitted) == chunk_count(size) - 1
    assert decrypt_all(blob, size=size) == plaintext


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(0, 600), max_size=8))
def test_round_trip_of_arbitrary_small_plaintexts(plaintext, cuts):
    blob, _, _ = encrypt_in_pieces(plaintext, cuts)
    assert len(blob) == ciphertext_size(len(plaintext))
    assert decrypt_all(blob, size=len(plaintext)) == plaintext


def test_update_accepts_any_buffer_and_copies_what_it_holds_back():
    plaintext = plaintext_of(CS + 100)
    encryptor = BlobEncryptor(KEY, CONTEXT)
    buffer = bytearray(plaintext)
    out = encryptor.update(buffer)
    buffer[:] = bytes(len(buffer))  # the caller reuses its buffer: the held-back bytes must be a copy
    out += encryptor.update(memoryview(b"tail"))
    blob = encryptor.header() + b"".join(out) + encryptor.finalize()
    assert decrypt_all(blob) == plaintext + b"tail"


def test_the_empty_plaintext_is_a_header_and_one_tag():
    encryptor = BlobEncryptor(KEY, CONTEXT)
    assert encryptor.update(b"") == []
    last = encryptor.finalize()
    assert len(last) == TAG_SIZE
    assert encryptor.plaintext_size == 0 and encryptor.sha256 == hashlib.sha256(b"").hexdigest()
    assert decrypt_all(encryptor.header() + last, size=0) == b""


def test_the_encryptor_refuses_misuse():
    with pytest.raises(ValueError):
        BlobEncryptor(b"short", CONTEXT)
    encryptor = BlobEncryptor(KEY, CONTEXT)
    with pytest.raises(RuntimeError):
        _ = encryptor.sha256
    with pytest.raises(RuntimeError):
        _ = encryptor.plaintext_size
    encryptor.finalize()
    with pytest.raises(RuntimeError):
        encryptor.update(b"more")
    with pytest.raises(RuntimeError):
        encryptor.finalize()


def test_the_encryptor_refuses_more_than_the_chunk_counter_allows():
    encryptor = BlobEncryptor(KEY, CONTEXT)
    encryptor._size = MAX_PLAINTEXT_SIZE - 1  # as if 256 TiB had been fed
    with pytest.raises(ValueError):
        encryptor.update(b"ab")


# Ranges


@settings(max_examples=150, deadline=None)
@given(size=st.sampled_from([1, CS - 1, CS, CS + 1, 3 * CS, 10 * CS + 17, 40 * CS]), data=st.data())
def test_any_range_decrypts_to_the_slice_and_reads_only_its_chunks(size, data):
    plaintext, blob = sample(size)
    start = data.draw(st.integers(0, size), label="start")
    end = data.draw(st.integers(start, size), label="end")
    read_chunks = data.draw(st.sampled_from([1, 3, 16]), label="read_chunks")
    reader = Reader(blob)
    pieces = list(
        decrypt_range(
            reader,
            data_key=KEY,
            context=CONTEXT,
            plaintext_size=size,
            start=start,
            end=end,
            read_chunks=read_chunks,
        )
    )
    assert b"".join(pieces) == plaintext[start:end]
    assert all(pieces) and all(len(piece) <= CS * read_chunks for piece in pieces)
    if start == end:
        assert reader.calls == [(0, HEADER_SIZE)]
        return
    first, last = start // CS, (end - 1) // CS
    needed = sum(len(chunk(blob, index)) for index in range(first, last + 1))
    assert reader.bytes_read == HEADER_SIZE + needed
    assert len(reader.calls) == 1 + -(-(last - first + 1) // read_chunks)
    assert all(offset == 0 or (offset - HEADER_SIZE) % ENC == 0 for offset, _ in reader.calls)


def test_one_byte_in_the_middle_of_ten_chunks_reads_the_header_and_one_chunk():
    plaintext, blob = sample(10 * CS)
    reader = Reader(blob)
    start = 5 * CS + 1234
    got = b"".join(
        decrypt_range(
            reader, data_key=KEY, context=CONTEXT, plaintext_size=10 * CS, start=start, end=start + 1
        )
    )
    assert got == plaintext[start : start + 1]
    assert reader.bytes_read <= HEADER_SIZE + CS + TAG_SIZE
    assert len(reader.calls) == 2


def test_a_full_decrypt_reads_in_runs_of_sixteen_chunks():
    _, blob = sample(40 * CS)
    reader = Reader(blob)
    list(decrypt_range(reader, data_key=KEY, context=CONTEXT, plaintext_size=40 * CS))
    assert [length for _, length in reader.calls] == [HEADER_SIZE, 16 * ENC, 16 * ENC, 8 * ENC + 1]


def test_the_header_is_checked_before_the_first_chunk_is_asked_for():
    _, blob = sample(3 * CS)
    reader = Reader(blob)
    with pytest.raises(BlobIntegrityError):
        decrypt_range(reader, data_key=new_data_key(), context=CONTEXT, plaintext_size=3 * CS)  # not iterated
    assert reader.calls == [(0, HEADER_SIZE)]


@pytest.mark.parametrize(("start", "end"), [(-1, 5), (5, 4), (0, CS + 1), (CS + 1, None)])
def test_a_range_outside_the_plaintext_is_a_caller_error(start, end):
    _, blob = sample(CS)
    with pytest.raises(ValueError):
        decrypt_range(Reader(blob), data_key=KEY, context=CONTEXT, plaintext_size=CS, start=start, end=end)


# Tampering: every change to an object fails loudly


def assert_rejected(
    blob: bytes, *, size: int | None, key: bytes = KEY, context: BlobContext = CONTEXT
) -> None:
    with pytest.raises(BlobIntegrityError):
        decrypt_all(blob, key=key, context=context, size=size)


def test_flipping_any_bit_of_a_small_object_fails():
    plaintext, blob = sample(40)
    for bit in range(len(blob) * 8):
        assert_rejected(flip_bit(blob, bit), size=len(plaintext))


def test_flipping_any_bit_of_the_header_fails():
    _, blob = sample(3 * CS + 1)
    for bit in range(HEADER_SIZE * 8):
        assert_rejected(flip_bit(blob, bit), size=3 * CS + 1)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, ciphertext_size(2 * CS + 500) * 8 - 1))
def test_flipping_any_bit_anywhere_fails(bit):
    _, blob = sample(2 * CS + 500)
    assert_rejected(flip_bit(blob, bit), size=2 * CS + 500)


@pytest.mark.parametrize("size", [0, 1, CS, CS + 1, 3 * CS, 3 * CS + 1])
def test_truncation_fails(size):
    _, blob = sample(size)
    cut_one = blob[:-1]
    assert_rejected(cut_one, size=size)
    with pytest.raises(BlobIntegrityError):  # also when the size is inferred from the object itself
        decrypt_all(cut_one)
    if chunk_count(size) > 1:
        last_start = HEADER_SIZE + (chunk_count(size) - 1) * ENC
        dropped_last = blob[:last_start]  # the final (flagged) chunk is gone
        assert_rejected(dropped_last, size=size)
        # ... and even if the stored size were adjusted to match: the new last chunk has no flag
        assert_rejected(dropped_last, size=plaintext_size_for(len(dropped_last)))
        dropped_whole = blob[:-ENC]  # one whole encrypted chunk's worth of bytes off the end
        with pytest.raises(BlobIntegrityError, match="truncated"):
            decrypt_all(dropped_whole, size=size)
    assert_rejected(blob[:HEADER_SIZE], size=size)
    assert_rejected(blob[: HEADER_SIZE - 1], size=size)


@pytest.mark.parametrize("size", [0, 1, CS, CS + 1, 3 * CS])
def test_extension_fails(size):
    _, blob = sample(size)
    for extra in (b"\x00", b"x" * TAG_SIZE, chunk(blob, 0), bytes(ENC)):
        extended = blob + extra
        assert_rejected(extended, size=size)
        inferred = None
        try:
            inferred = plaintext_size_for(len(extended))
        except BlobIntegrityError:
            continue
        assert_rejected(extended, size=inferred)  # the stored size adjusted too: the flag gives it away


def test_an_extra_chunk_after_the_last_one_fails_even_with_a_matching_size():
    plaintext, blob = sample(2 * CS)
    other_plain = plaintext_of(CS, seed=99)
    # An attacker who knows the key cannot help either: the old last chunk carries the last-chunk flag.
    encryptor = BlobEncryptor(KEY, CONTEXT)
    extended = blob + b"".join(encryptor.update(other_plain)) + encryptor.finalize()[:ENC]
    assert_rejected(extended, size=len(plaintext) + CS)


def test_reordering_chunks_fails():
    _, blob = sample(3 * CS + 10)
    body = [chunk(blob, index) for index in range(4)]
    for i, j in [(0, 1), (1, 2), (0, 2)]:
        swapped = body.copy()
        swapped[i], swapped[j] = swapped[j], swapped[i]
        assert_rejected(blob[:HEADER_SIZE] + b"".join(swapped), size=3 * CS + 10)
    dropped_middle = blob[:HEADER_SIZE] + body[0] + body[2] + body[3]
    assert_rejected(dropped_middle, size=2 * CS + 10)


def test_a_chunk_or_header_from_another_object_of_the_same_version_fails():
    plaintext = plaintext_of(2 * CS + 1)
    first = encrypt_bytes(plaintext, data_key=KEY, context=CONTEXT)
    second = encrypt_bytes(plaintext, data_key=KEY, context=CONTEXT)  # same key, context and plaintext
    assert decrypt_all(second) == plaintext
    assert_rejected(second[:HEADER_SIZE] + first[HEADER_SIZE:], size=len(plaintext))
    spliced = first[:HEADER_SIZE] + chunk(first, 0) + chunk(second, 1) + first[HEADER_SIZE + 2 * ENC :]
    assert_rejected(spliced, size=len(plaintext))


@pytest.mark.parametrize("field", ["organisation_id", "document_id", "version_id"])
def test_the_wrong_context_fails(field):
    plaintext, blob = sample(CS + 3)
    other = replace(CONTEXT, **{field: uuid.uuid4()})
    assert_rejected(blob, size=len(plaintext), context=other)


def test_another_versions_object_fails_in_place_of_this_one():
    plaintext = plaintext_of(CS + 3)
    other_version = replace(CONTEXT, version_id=uuid.uuid4())
    # The other version's object, even encrypted under this version's data key, does not decrypt here ...
    same_key = encrypt_bytes(plaintext, data_key=KEY, context=other_version)
    assert_rejected(same_key, size=len(plaintext))
    # ... nor under its own key, of course
    own_key = encrypt_bytes(plaintext, data_key=new_data_key(), context=other_version)
    assert_rejected(own_key, size=len(plaintext))
    # and another customer's object neither
    other_customer = BlobContext(uuid.uuid4(), CONTEXT.document_id, CONTEXT.version_id)
    assert_rejected(encrypt_bytes(plaintext, data_key=KEY, context=other_customer), size=len(plaintext))


def test_an_object_of_the_same_context_under_another_data_key_fails():
    plaintext = plaintext_of(CS + 3)
    foreign = encrypt_bytes(plaintext, data_key=new_data_key(), context=CONTEXT)
    assert_rejected(foreign, size=len(plaintext))


def test_the_wrong_data_key_fails_at_the_header():
    plaintext, blob = sample(CS)
    assert_rejected(blob, size=len(plaintext), key=new_data_key())


def test_a_short_read_in_the_middle_fails():
    _, blob = sample(5 * CS)

    def short(offset: int, length: int) -> bytes:
        return blob[offset : offset + length][: max(0, length - 1)] if offset else blob[:length]

    with pytest.raises(BlobIntegrityError, match="truncated"):
        list(decrypt_range(short, data_key=KEY, context=CONTEXT, plaintext_size=5 * CS, start=CS, end=2 * CS))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (0, b"KPB2", "magic"),
        (4, b"\x02", "unsupported"),
        (5, b"\x02", "unsupported"),
        (6, b"\x00\x00\x80\x00", "unsupported"),
    ],
)
def test_a_header_of_another_format_is_refused_even_with_a_valid_commitment(field, value, message):
    # Someone holding the key could commit to any header: the fixed fields are still checked on their own.
    _, blob = sample(CS + 1)
    preamble = bytearray(blob[:49])
    preamble[field : field + len(value)] = value
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=bytes(preamble[17:49]), info=CONTEXT.info()).derive(
        KEY
    )
    header = bytes(preamble) + hmac.new(okm[32:], bytes(preamble), hashlib.sha256).digest()
    with pytest.raises(BlobIntegrityError, match=message):
        decrypt_all(header + blob[HEADER_SIZE:], size=CS + 1)
