"""Crypto benchmark: blob encryption and decryption throughput in memory, against the raw cipher.

    .venv/bin/python bench/crypto.py                 # 256 MiB, 5 runs
    .venv/bin/python bench/crypto.py --size 64 --runs 5 --piece 256

What it does (see /work/shared/BENCHMARKS.md: ratios against a reference measured in the same run):

1. 256 MiB of random bytes in memory.
2. Encrypt: BlobEncryptor fed in `--piece` KiB memoryview slices (as an upload body arrives), SHA-256 included.
   Reference ("raw"): the minimal same work by hand: AESGCM.encrypt over 64 KiB memoryview slices plus one
   hashlib.sha256 pass, no buffering, no framing.
3. Decrypt: decrypt_range over the whole object, `read` returning zero-copy memoryview slices.
   Reference: AESGCM.decrypt over the 64 KiB chunks by hand.
4. A 1-byte range in the middle (what an HTTP Range request costs: header check with HKDF + HMAC, one chunk).

Prints a Markdown table: median MB/s of the runs (MB/s = 10**6 bytes/s) and the median of the per-run
ratios to the raw reference timed just before it.
No assertions: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kundportal.core.crypto.blob import (
    CHUNK_SIZE,
    ENCRYPTED_CHUNK_SIZE,
    HEADER_SIZE,
    BlobContext,
    BlobEncryptor,
    decrypt_range,
    new_data_key,
)

CONTEXT = BlobContext(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
KEY = new_data_key()


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def encrypt(data: memoryview, piece: int) -> int:
    """Ciphertext pieces are dropped as they come, as when written to storage; returns the object size."""
    encryptor = BlobEncryptor(KEY, CONTEXT)
    total = len(encryptor.header())
    for offset in range(0, len(data), piece):
        for chunk in encryptor.update(data[offset : offset + piece]):
            total += len(chunk)
    total += len(encryptor.finalize())
    _ = encryptor.sha256
    return total


def encrypt_object(data: memoryview, piece: int) -> bytes:
    encryptor = BlobEncryptor(KEY, CONTEXT)
    pieces = [encryptor.header()]
    for offset in range(0, len(data), piece):
        pieces.extend(encryptor.update(data[offset : offset + piece]))
    pieces.append(encryptor.finalize())
    return b"".join(pieces)


def raw_encrypt(data: memoryview) -> None:
    aead = AESGCM(KEY)
    nonce = bytes(12)
    hashlib.sha256(data).hexdigest()
    for offset in range(0, len(data), CHUNK_SIZE):
        aead.encrypt(nonce, data[offset : offset + CHUNK_SIZE], b"")


def decrypt(blob: memoryview, size: int) -> int:
    total = 0
    for piece in decrypt_range(
        lambda offset, length: blob[offset : offset + length],
        data_key=KEY,
        context=CONTEXT,
        plaintext_size=size,
    ):
        total += len(piece)
    return total


def raw_decrypt(ciphertexts: list[bytes]) -> None:
    aead = AESGCM(KEY)
    nonce = bytes(12)
    for ciphertext in ciphertexts:
        aead.decrypt(nonce, ciphertext, b"")


def one_byte_range(blob: memoryview, size: int) -> None:
    middle = size // 2
    read = lambda offset, length: blob[offset : offset + length]  # noqa: E731
    b"".join(
        decrypt_range(read, data_key=KEY, context=CONTEXT, plaintext_size=size, start=middle, end=middle + 1)
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=256, help="MiB of plaintext (default 256)")
    parser.add_argument("--runs", type=int, default=5, help="runs; medians are reported (default 5)")
    parser.add_argument("--piece", type=int, default=1024, help="KiB per update() call (default 1024)")
    args = parser.parse_args()
    size, piece = args.size * 1024 * 1024, args.piece * 1024

    data = memoryview(os.urandom(size))
    blob = memoryview(encrypt_object(data, piece))
    # Raw reference ciphertexts (one nonce is fine for a throughput measurement, never for real use).
    raw_aead = AESGCM(KEY)
    raw_chunks = [
        raw_aead.encrypt(bytes(12), data[o : o + CHUNK_SIZE], b"") for o in range(0, size, CHUNK_SIZE)
    ]
    # Sanity of the setup, not timing assertions.
    assert decrypt(blob, size) == size and encrypt(data, piece) == len(blob)

    rows: dict[str, list[float]] = {name: [] for name in ("encrypt", "raw encrypt", "decrypt", "raw decrypt")}
    ranges: list[float] = []
    for _ in range(args.runs):
        rows["raw encrypt"].append(size / timed(lambda: raw_encrypt(data)) / 1e6)
        rows["encrypt"].append(size / timed(lambda: encrypt(data, piece)) / 1e6)
        rows["raw decrypt"].append(size / timed(lambda: raw_decrypt(raw_chunks)) / 1e6)
        rows["decrypt"].append(size / timed(lambda: decrypt(blob, size)) / 1e6)
        ranges.append(timed(lambda: [one_byte_range(blob, size) for _ in range(200)]) / 200 * 1e6)

    median = {name: statistics.median(values) for name, values in rows.items()}
    print(
        f"# Crypto benchmark: {args.size} MiB in memory, {args.runs} runs, update() pieces of {args.piece} KiB"
    )
    print(
        f"machine: {platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs"
    )
    print(
        f"python {platform.python_version()} · object {len(blob):,} bytes (header {HEADER_SIZE}, "
        f"{ENCRYPTED_CHUNK_SIZE:,}-byte chunks)\n"
    )
    # Ratios per run (product and reference timed back to back), then their median: steadier on a noisy
    # host than the ratio of two medians.
    print("| path | MB/s (median) | runs | ratio to raw (median of per-run ratios) |")
    print("| --- | ---: | --- | ---: |")
    for name, reference in (("encrypt", "raw encrypt"), ("decrypt", "raw decrypt")):
        for row in (reference, name):
            runs = ", ".join(f"{value:,.0f}" for value in rows[row])
            ratio = statistics.median(a / b for a, b in zip(rows[row], rows[reference], strict=True))
            print(f"| {row} | {median[row]:,.0f} | {runs} | {ratio:.2f} |")
    print(
        f"\n1-byte range in the middle: {statistics.median(ranges):.0f} µs per request (median of run means)"
    )
    print("encrypt = BlobEncryptor incl. SHA-256; raw encrypt = AESGCM per 64 KiB chunk + one SHA-256 pass;")
    print("decrypt = decrypt_range over the whole object; raw decrypt = AESGCM.decrypt per chunk.")


if __name__ == "__main__":
    main()
