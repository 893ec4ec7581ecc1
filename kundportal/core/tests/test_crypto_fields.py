"""Encrypted columns: round trip, bound to their row and column, tamper-evident, readable after rotation."""

from __future__ import annotations

import base64
import uuid

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from kundportal.core.crypto.fields import (
    FieldIntegrityError,
    decrypt_value,
    encrypt_value,
    field_aad,
    reencrypt_value,
    token_kek_id,
)
from kundportal.core.crypto.keys import Keyring, KeyringError, get_keyring, reset_keyring_cache

IBAN = "SE45 5000 0000 0583 9825 7466"
ROW = uuid.uuid4()
AAD = field_aad("accounts_person", "iban", ROW)
KEYRING = Keyring.generate()


def test_round_trip_and_token_format():
    token = encrypt_value(IBAN, aad=AAD, keyring=KEYRING)
    version, kek_id, encoded = token.split(":")
    assert (version, kek_id) == ("v1", KEYRING.current_id) and token_kek_id(token) == kek_id
    assert IBAN not in token and "5839" not in base64.b64decode(encoded).decode("latin-1")
    assert decrypt_value(token, aad=AAD, keyring=KEYRING) == IBAN
    assert encrypt_value(IBAN, aad=AAD, keyring=KEYRING) != token  # fresh nonce: equal values look different


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200), st.binary(max_size=64))
def test_round_trip_of_arbitrary_text(text, aad):
    assert decrypt_value(encrypt_value(text, aad=aad, keyring=KEYRING), aad=aad, keyring=KEYRING) == text


def test_the_aad_names_table_column_and_row():
    assert field_aad("accounts_person", "iban", 42) == b"accounts_person|iban|42"


@pytest.mark.parametrize(
    "other",
    [
        field_aad("accounts_person", "iban", uuid.uuid4()),  # another row
        field_aad("accounts_person", "birth_date", ROW),  # another column
        field_aad("organisations_contact", "iban", ROW),  # another table
        b"",
    ],
)
def test_the_wrong_aad_fails(other):
    token = encrypt_value(IBAN, aad=AAD, keyring=KEYRING)
    with pytest.raises(FieldIntegrityError):
        decrypt_value(token, aad=other, keyring=KEYRING)


def test_any_change_to_the_ciphertext_fails():
    token = encrypt_value("1990-04-01", aad=AAD, keyring=KEYRING)
    prefix, encoded = token.rsplit(":", 1)
    blob = base64.b64decode(encoded)
    for bit in range(len(blob) * 8):
        altered = bytearray(blob)
        altered[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(FieldIntegrityError):
            decrypt_value(f"{prefix}:{base64.b64encode(altered).decode()}", aad=AAD, keyring=KEYRING)
    with pytest.raises(FieldIntegrityError):  # truncated
        decrypt_value(f"{prefix}:{base64.b64encode(blob[:-1]).decode()}", aad=AAD, keyring=KEYRING)


@pytest.mark.parametrize(
    "token", ["", "plain text", "v1:", "v1:id", "v2:id:AAAA", "v1:id:***", "v1:id:AAAA", None]
)
def test_malformed_tokens_fail(token):
    with pytest.raises(FieldIntegrityError):
        decrypt_value(token, aad=AAD, keyring=KEYRING)  # type: ignore[arg-type]


def test_a_token_moved_to_another_key_id_fails():
    keyring = Keyring.generate()
    token = encrypt_value(IBAN, aad=AAD, keyring=keyring)
    old_id = keyring.current_id
    new_id = keyring.add_key()
    with pytest.raises(FieldIntegrityError):
        decrypt_value(token.replace(old_id, new_id), aad=AAD, keyring=keyring)
    with pytest.raises(KeyringError):
        decrypt_value(token.replace(old_id, "20990101-00000000"), aad=AAD, keyring=keyring)


def test_values_under_an_old_key_still_decrypt_after_add_key_and_can_be_moved_to_the_new_one():
    keyring = Keyring.generate()
    old_id = keyring.current_id
    token = encrypt_value(IBAN, aad=AAD, keyring=keyring)
    new_id = keyring.add_key()
    assert decrypt_value(token, aad=AAD, keyring=keyring) == IBAN
    assert token_kek_id(encrypt_value(IBAN, aad=AAD, keyring=keyring)) == new_id
    moved = reencrypt_value(token, aad=AAD, keyring=keyring)
    assert token_kek_id(moved) == new_id and decrypt_value(moved, aad=AAD, keyring=keyring) == IBAN
    assert reencrypt_value(moved, aad=AAD, keyring=keyring) == moved
    keyring.remove_key(old_id)
    assert decrypt_value(moved, aad=AAD, keyring=keyring) == IBAN
    with pytest.raises(KeyringError):
        decrypt_value(token, aad=AAD, keyring=keyring)


def test_field_keys_differ_from_the_key_file_keys():
    # The field key is derived (HKDF), so a token does not decrypt with the raw KEK.
    keyring = Keyring({"a": b"k" * 32}, "a")
    blob = base64.b64decode(encrypt_value("x", aad=AAD, keyring=keyring).split(":")[2])
    with pytest.raises(InvalidTag):
        AESGCM(b"k" * 32).decrypt(blob[:12], blob[12:], b"v1|a|" + AAD)


def test_by_default_the_installation_keyring_is_used(settings, tmp_path):
    settings.MASTER_KEY_FILE = tmp_path / "master.keys"
    reset_keyring_cache()
    try:
        token = encrypt_value(IBAN, aad=AAD)
        assert token_kek_id(token) == get_keyring().current_id
        rotated = Keyring.load(settings.MASTER_KEY_FILE, create=False)
        rotated.add_key()
        rotated.save(settings.MASTER_KEY_FILE)
        assert decrypt_value(token, aad=AAD) == IBAN  # still readable after rotation in another process
        assert token_kek_id(encrypt_value(IBAN, aad=AAD)) == rotated.current_id
    finally:
        reset_keyring_cache()
