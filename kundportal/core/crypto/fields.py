"""Column-level encryption for sensitive personal fields (IBAN, birth date).

A value is stored as the text token ``v1:<kek_id>:<base64(nonce(12) || ciphertext || tag(16))>``:
AES-256-GCM under a key derived from a KEK with HKDF(info=b"kundportal/v1|fields"), so the KEK itself only
ever wraps data keys. The token names its KEK, so after `kundportal keys rotate` old values stay readable
(and `reencrypt_value` moves them to the current key).

The AAD must name where the value lives: ``field_aad(table, column, row_id)``, so a token copied into
another row or column does not decrypt. The row id must therefore exist before the value is encrypted
(UUID primary keys, or save first and encrypt after). Ciphertexts reveal the plaintext length (an IBAN's
length hints at its country); nothing here hides that.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag

from kundportal.core.crypto.errors import FieldIntegrityError
from kundportal.core.crypto.keys import Keyring, get_keyring

__all__ = [
    "FieldIntegrityError",
    "decrypt_value",
    "encrypt_value",
    "field_aad",
    "reencrypt_value",
    "token_kek_id",
]

TOKEN_VERSION = "v1"
FIELD_KEY_INFO = b"kundportal/v1|fields"
_NONCE_SIZE = 12
_TAG_SIZE = 16


def field_aad(table: str, column: str, row_id: object) -> bytes:
    """The AAD for one column of one row: b"<table>|<column>|<row id>"."""
    return f"{table}|{column}|{row_id}".encode()


def _aad(kek_id: str, aad: bytes) -> bytes:
    # The token's own version and KEK id are authenticated too, so neither can be edited in place.
    if not isinstance(aad, bytes):
        raise TypeError("aad must be bytes (see field_aad)")
    return f"{TOKEN_VERSION}|{kek_id}|".encode("ascii") + aad


def encrypt_value(plaintext: str, *, aad: bytes, keyring: Keyring | None = None) -> str:
    """Encrypt `plaintext` under the current KEK; a fresh random nonce each time, so equal values differ."""
    if not isinstance(plaintext, str):
        raise TypeError("only str values are encrypted; store None as NULL")
    keyring = keyring or get_keyring()
    kek_id = keyring.current_id
    nonce = os.urandom(_NONCE_SIZE)
    sealed = keyring.derived_aead(kek_id, info=FIELD_KEY_INFO).encrypt(
        nonce, plaintext.encode("utf-8"), _aad(kek_id, aad)
    )
    return f"{TOKEN_VERSION}:{kek_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def _parse(token: str) -> tuple[str, bytes]:
    if not isinstance(token, str):
        raise FieldIntegrityError("encrypted value is not a string")
    version, _, rest = token.partition(":")
    kek_id, _, encoded = rest.partition(":")
    if version != TOKEN_VERSION or not kek_id or not encoded:
        raise FieldIntegrityError("not an encrypted value token")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise FieldIntegrityError("encrypted value is not valid base64") from None
    if len(blob) < _NONCE_SIZE + _TAG_SIZE:
        raise FieldIntegrityError("encrypted value is too short")
    return kek_id, blob


def token_kek_id(token: str) -> str:
    """The KEK id a token was encrypted under (to find values that still need re-encryption)."""
    return _parse(token)[0]


def decrypt_value(token: str, *, aad: bytes, keyring: Keyring | None = None) -> str:
    """The plaintext. FieldIntegrityError if the token is malformed, altered or `aad` differs from the one it
    was encrypted with; KeyringError if its KEK is not in the key file."""
    kek_id, blob = _parse(token)
    keyring = keyring or get_keyring()
    view = memoryview(blob)
    try:
        aead = keyring.derived_aead(kek_id, info=FIELD_KEY_INFO)
        plaintext = aead.decrypt(view[:_NONCE_SIZE], view[_NONCE_SIZE:], _aad(kek_id, aad))
    except InvalidTag:
        raise FieldIntegrityError(
            "encrypted value failed authentication (altered, or wrong row/column)"
        ) from None
    return plaintext.decode("utf-8")  # authenticated, so it is the UTF-8 we encrypted


def reencrypt_value(token: str, *, aad: bytes, keyring: Keyring | None = None) -> str:
    """The same value under the current KEK; the token unchanged if it already is (for key rotation)."""
    keyring = keyring or get_keyring()
    if token_kek_id(token) == keyring.current_id:
        return token
    return encrypt_value(decrypt_value(token, aad=aad, keyring=keyring), aad=aad, keyring=keyring)
