"""Key-encryption keys (KEKs), kept in a key file outside the database and the blob storage.

Every blob has its own random data key (DEK); the DEK is stored in the version's database row *wrapped*
(AES-256-GCM) under a KEK from this file. Someone with a database dump and the storage bucket but not this file
learns nothing; rotating means adding a KEK and re-wrapping the DEKs in the database, never rewriting objects.

The file (JSON, mode 0600)::

    {"version": 1, "current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>", ...}}

Losing it loses every file and every encrypted field, which is why creating it logs a loud warning.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import errno
import json
import logging
import os
import re
import secrets
import stat
import tempfile
import threading
import time
from collections.abc import Collection, Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kundportal.core.crypto.errors import KeyringError

__all__ = ["KEK_SIZE", "Keyring", "KeyringError", "get_keyring", "reset_keyring_cache"]

logger = logging.getLogger("kundportal.keys")

KEY_FILE_VERSION = 1
KEK_SIZE = 32
DATA_KEY_SIZE = 32
_NONCE_SIZE = 12
_TAG_SIZE = 16
WRAPPED_SIZE = _NONCE_SIZE + DATA_KEY_SIZE + _TAG_SIZE  # 60 bytes in the database row
# Ids end up in AADs joined with "|" and in field tokens joined with ":", so neither may occur in them.
_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
# Filesystems without hard links (some SMB/FUSE mounts): fall back to a plain O_EXCL create.
_NO_LINK_ERRNOS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}


def _new_id(taken: Collection[str] = ()) -> str:
    # The date tells an operator at a glance which key is old; the random part keeps ids unique.
    while True:
        kek_id = f"{datetime.datetime.now(datetime.UTC):%Y%m%d}-{secrets.token_hex(4)}"
        if kek_id not in taken:
            return kek_id


class Keyring:
    """The KEKs of one installation. Never logs or reprs key material."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        for kek_id, key in keys.items():
            if not isinstance(kek_id, str) or not _ID_PATTERN.match(kek_id):
                raise KeyringError(f"invalid key id {kek_id!r}")
            if not isinstance(key, bytes) or len(key) != KEK_SIZE:
                raise KeyringError(f"key {kek_id!r} is not {KEK_SIZE} bytes")
        if current not in keys:
            raise KeyringError(f"current key {current!r} is not in the keyring")
        self._keys = dict(keys)
        self._current = current
        self._aeads: dict[tuple[str, bytes | None], AESGCM] = {}

    def __repr__(self) -> str:
        return f"<Keyring current={self._current!r} ids={self.ids!r}>"

    @classmethod
    def generate(cls) -> Keyring:
        """A new keyring holding one fresh random KEK."""
        kek_id = _new_id()
        return cls({kek_id: os.urandom(KEK_SIZE)}, kek_id)

    @classmethod
    def load(cls, path: Path, *, create: bool = True) -> Keyring:
        """Read the key file at `path`. If it does not exist and `create`, generate it (0600, atomically) and
        log a warning to back it up. Any problem raises KeyringError naming the path."""
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            if not create:
                raise KeyringError(f"key file {path} does not exist") from None
            return cls._create(path)
        except OSError as error:
            raise KeyringError(f"cannot read key file {path}: {error.strerror or error}") from None
        keyring = cls._parse(raw, path)
        _warn_if_exposed(path)
        return keyring

    @classmethod
    def _create(cls, path: Path) -> Keyring:
        keyring = cls.generate()
        try:
            created = _publish_new(path, keyring._serialise())
        except OSError as error:
            raise KeyringError(f"cannot create key file {path}: {error.strerror or error}") from None
        if not created:
            # Another process created it first: its keys are the real ones (ours were never used), so read
            # them. Only the no-hard-link fallback can expose a half-written file, hence the short retry.
            for attempt in range(50):
                try:
                    return cls.load(path, create=False)
                except KeyringError:
                    if attempt == 49:
                        raise
                    time.sleep(0.02)
        logger.warning(
            "Created a new key file %s. It holds the keys to every stored file and encrypted field: "
            "BACK IT UP NOW and keep the copy apart from database and storage backups. "
            "Without it, encrypted data cannot be recovered.",
            path,
        )
        return keyring

    @classmethod
    def _parse(cls, raw: bytes, path: Path) -> Keyring:
        try:
            document = json.loads(raw)
        except ValueError as error:  # includes UnicodeDecodeError
            raise KeyringError(f"key file {path} is not valid JSON: {error}") from None
        if not isinstance(document, dict) or document.get("version") != KEY_FILE_VERSION:
            raise KeyringError(
                f"key file {path} has no or an unsupported version (expected {KEY_FILE_VERSION})"
            )
        entries, current = document.get("keys"), document.get("current")
        if not isinstance(entries, dict) or not entries:
            raise KeyringError(f"key file {path} has no keys")
        keys: dict[str, bytes] = {}
        for kek_id, encoded in entries.items():
            try:
                keys[kek_id] = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
            except (binascii.Error, ValueError):
                keys[kek_id] = b""  # reported just below, without echoing the value
        if not isinstance(current, str):
            raise KeyringError(f"key file {path} names no current key")
        try:
            return cls(keys, current)
        except KeyringError as error:
            raise KeyringError(f"key file {path}: {error}") from None

    def _serialise(self) -> bytes:
        document = {
            "version": KEY_FILE_VERSION,
            "current": self._current,
            "keys": {kek_id: base64.b64encode(key).decode("ascii") for kek_id, key in self._keys.items()},
        }
        return (json.dumps(document, indent=2) + "\n").encode("ascii")

    def save(self, path: Path) -> None:
        """Write the keyring to `path`, replacing it atomically (temp file, fsync, rename, fsync dir), 0600."""
        path = Path(path)
        try:
            temp = _write_temp(path, self._serialise())
            try:
                temp.replace(path)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            _fsync_directory(path.parent)
        except OSError as error:
            raise KeyringError(f"cannot write key file {path}: {error.strerror or error}") from None

    @property
    def current_id(self) -> str:
        """The KEK new data keys are wrapped with."""
        return self._current

    @property
    def ids(self) -> list[str]:
        """Every KEK id, oldest first."""
        return list(self._keys)

    def wrap(self, data_key: bytes, *, context: bytes) -> tuple[str, bytes]:
        """Wrap a data key under the current KEK; returns (kek_id, nonce + ciphertext), 60 bytes.

        `context` should name where the key belongs (e.g. BlobContext.info()), so a wrapped key copied to
        another row does not unwrap. Random 96-bit nonces are safe here: a KEK wraps one key per stored
        version, far below the ~2**32 messages per key where GCM nonce collisions start to matter.
        """
        if not isinstance(data_key, bytes) or len(data_key) != DATA_KEY_SIZE:
            raise ValueError(f"a data key is {DATA_KEY_SIZE} bytes")
        kek_id = self._current
        nonce = os.urandom(_NONCE_SIZE)
        return kek_id, nonce + self._aead(kek_id).encrypt(nonce, data_key, _wrap_aad(kek_id, context))

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        """The data key; KeyringError for an unknown KEK id or a wrapped key that does not authenticate."""
        if kek_id not in self._keys:
            raise KeyringError(
                f"unknown key-encryption key {kek_id!r}: is this the right key file, or was the key removed?"
            )
        if len(wrapped) != WRAPPED_SIZE:
            raise KeyringError(f"a wrapped data key is {WRAPPED_SIZE} bytes, not {len(wrapped)}")
        view = memoryview(wrapped)
        try:
            return self._aead(kek_id).decrypt(
                view[:_NONCE_SIZE], view[_NONCE_SIZE:], _wrap_aad(kek_id, context)
            )
        except InvalidTag:
            raise KeyringError(f"cannot unwrap data key with {kek_id!r}: wrong context or altered") from None

    def add_key(self) -> str:
        """Add a new random KEK and make it current (old ones stay, so old wrapped keys still unwrap)."""
        kek_id = _new_id(self._keys)
        self._keys[kek_id] = os.urandom(KEK_SIZE)
        self._current = kek_id
        return kek_id

    def remove_key(self, kek_id: str) -> None:
        """Forget a KEK (after everything was re-wrapped). Refuses the current one."""
        if kek_id == self._current:
            raise KeyringError(f"{kek_id!r} is the current key and cannot be removed")
        if kek_id not in self._keys:
            raise KeyringError(f"unknown key-encryption key {kek_id!r}")
        del self._keys[kek_id]
        for cache_key in [cache_key for cache_key in self._aeads if cache_key[0] == kek_id]:
            del self._aeads[cache_key]

    def derived_aead(self, kek_id: str, *, info: bytes) -> AESGCM:
        """An AES-256-GCM cipher under HKDF-SHA256(KEK, info): a separate key per purpose (e.g. encrypted
        fields), so the KEK itself only ever wraps data keys."""
        if kek_id not in self._keys:
            raise KeyringError(
                f"unknown key-encryption key {kek_id!r}: is this the right key file, or was the key removed?"
            )
        return self._aead(kek_id, info)

    def _aead(self, kek_id: str, info: bytes | None = None) -> AESGCM:
        # AESGCM construction runs the key schedule: cache one per key and purpose.
        aead = self._aeads.get((kek_id, info))
        if aead is None:
            key = self._keys[kek_id]
            if info is not None:
                key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)
            aead = self._aeads[(kek_id, info)] = AESGCM(key)
        return aead


def _wrap_aad(kek_id: str, context: bytes) -> bytes:
    return kek_id.encode("ascii") + b"|" + bytes(context)


def _write_temp(path: Path, content: bytes) -> Path:
    """A fsynced 0600 temp file next to `path` (same filesystem, so link/rename are atomic)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _publish_new(path: Path, content: bytes) -> bool:
    """Create `path` with `content` unless it exists; False if another process got there first.

    Not rename(): it would silently replace a key file another worker created a moment ago, and whichever
    keys that worker already used would be lost. link() of a complete temp file is atomic *and* fails if the
    name exists, so readers only ever see a complete file and exactly one creator wins.
    """
    temp = _write_temp(path, content)
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_LINK_ERRNOS:
            raise
        return _create_exclusive(path, content)
    finally:
        temp.unlink(missing_ok=True)
    _fsync_directory(path.parent)
    return True


def _create_exclusive(path: Path, content: bytes) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_directory(path.parent)
    return True


def _fsync_directory(directory: Path) -> None:
    # Makes the new name durable: without it a crash right after creation can lose the file, keys and all.
    with contextlib.suppress(OSError):  # not every platform/filesystem lets a directory be opened
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _warn_if_exposed(path: Path) -> None:
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            logger.warning("Key file %s is readable by others (mode %o): chmod 600 it.", path, mode)


# Process-wide keyring. The stamp (inode, mtime, size) lets a running server pick up a key that
# `kundportal keys rotate` added in another process, instead of failing to unwrap re-wrapped keys.
_cache_lock = threading.Lock()
_cache: tuple[Path, tuple[int, int, int], Keyring] | None = None
_reported_missing: set[Path] = set()


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


def get_keyring() -> Keyring:
    """The installation's keyring from settings.MASTER_KEY_FILE, created there on first use.

    Cached per process; one stat() per call notices a key file changed by `kundportal keys rotate`."""
    global _cache
    from django.conf import settings  # here, so the module works without configured settings

    path = Path(settings.MASTER_KEY_FILE)
    cached = _cache
    if cached is not None and cached[0] == path and cached[1] == _stamp(path):
        return cached[2]
    with _cache_lock:
        # Stamp before reading: if the file changes while we read it, the next call sees a new stamp and
        # reloads, rather than caching old keys under the new file's stamp.
        stamp = _stamp(path)
        cached = _cache
        if cached is not None and cached[0] == path:
            if cached[1] == stamp:  # another thread loaded it meanwhile
                return cached[2]
            if stamp is None:
                # The file vanished under a running process (a botched restore?). A new one now would wrap
                # new data under keys nobody backed up: keep serving with the keys we have, loudly.
                if path not in _reported_missing:
                    _reported_missing.add(path)
                    logger.error(
                        "Key file %s has disappeared; still using the keys loaded before. Restore it!", path
                    )
                return cached[2]
        keyring = Keyring.load(path, create=True)
        _reported_missing.discard(path)
        stamp = stamp or _stamp(path)  # None before: we (or a racing process) just created it
        if stamp is not None:
            _cache = (path, stamp, keyring)
        return keyring


def reset_keyring_cache() -> None:
    """Forget the process-wide keyring (tests, or after changing settings.MASTER_KEY_FILE)."""
    global _cache
    with _cache_lock:
        _cache = None
        _reported_missing.clear()
