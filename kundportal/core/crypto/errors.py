"""The crypto layer's exceptions, in one place so callers can catch them all with `CryptoError`."""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error the crypto layer raises on bad keys, bad key files or bad ciphertext."""


class BlobIntegrityError(CryptoError):
    """An encrypted object is not what was written: tampered, truncated, extended, reordered, swapped with
    another object, decrypted with the wrong key or context, or its header is malformed.

    The message never says which byte failed: to an attacker, every failure must look the same.
    """


class KeyringError(CryptoError):
    """The key file is missing, unreadable or malformed, a key id is unknown, or unwrapping failed."""


class FieldIntegrityError(CryptoError):
    """An encrypted column value is malformed, tampered with, or was decrypted with the wrong AAD."""
