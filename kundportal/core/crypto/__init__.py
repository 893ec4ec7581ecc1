"""Kundportal's crypto layer: encrypted blobs (blob), key-encryption keys (keys), encrypted fields (fields).

See /work/shared/ARCHITECTURE.md, "Blobs: encrypted at rest", and the docstring of `blob` for the format.
Everything raises subclasses of `CryptoError`; the submodules hold the full API.
"""

from kundportal.core.crypto.blob import (
    CHUNK_SIZE,
    HEADER_SIZE,
    TAG_SIZE,
    BlobContext,
    BlobEncryptor,
    ciphertext_size,
    decrypt_range,
    new_data_key,
)
from kundportal.core.crypto.errors import BlobIntegrityError, CryptoError, FieldIntegrityError, KeyringError
from kundportal.core.crypto.fields import decrypt_value, encrypt_value, field_aad
from kundportal.core.crypto.keys import Keyring, get_keyring, reset_keyring_cache

__all__ = [
    "CHUNK_SIZE",
    "HEADER_SIZE",
    "TAG_SIZE",
    "BlobContext",
    "BlobEncryptor",
    "BlobIntegrityError",
    "CryptoError",
    "FieldIntegrityError",
    "Keyring",
    "KeyringError",
    "ciphertext_size",
    "decrypt_range",
    "decrypt_value",
    "encrypt_value",
    "field_aad",
    "get_keyring",
    "new_data_key",
    "reset_keyring_cache",
]
