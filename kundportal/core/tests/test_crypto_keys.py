"""The key file: created once (0600, loudly), read back, wrap/unwrap, rotation, and clear errors."""

from __future__ import annotations

import base64
import errno
import json
import logging
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kundportal.core.crypto import keys as keys_module
from kundportal.core.crypto.keys import Keyring, KeyringError, get_keyring, reset_keyring_cache

ROOT = Path(__file__).resolve().parents[3]
CONTEXT = b"kundportal/v1|org|doc|ver"


@pytest.fixture(autouse=True)
def _fresh_keyring_cache():
    reset_keyring_cache()
    yield
    reset_keyring_cache()


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "master.keys"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def backup_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "kundportal.keys" and r.levelno == logging.WARNING]


def test_a_missing_key_file_is_created_0600_with_a_loud_warning(key_path, caplog):
    caplog.set_level(logging.WARNING, logger="kundportal.keys")
    keyring = Keyring.load(key_path)
    assert key_path.is_file() and mode(key_path) == 0o600
    document = json.loads(key_path.read_text())
    assert document["version"] == 1 and document["current"] == keyring.current_id
    assert list(document["keys"]) == keyring.ids == [keyring.current_id]
    assert len(base64.b64decode(document["keys"][keyring.current_id])) == 32
    [warning] = backup_warnings(caplog)
    assert str(key_path) in warning.getMessage() and "BACK IT UP" in warning.getMessage()
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["master.keys"]  # no temp file left


def test_loading_again_gives_the_same_keys_and_no_warning(key_path, caplog):
    first = Keyring.load(key_path)
    kek_id, wrapped = first.wrap(b"k" * 32, context=CONTEXT)
    caplog.clear()
    caplog.set_level(logging.WARNING, logger="kundportal.keys")
    second = Keyring.load(key_path)
    assert (second.current_id, second.ids) == (first.current_id, first.ids)
    assert second.unwrap(kek_id, wrapped, context=CONTEXT) == b"k" * 32
    assert backup_warnings(caplog) == []


def test_without_create_a_missing_file_is_an_error_naming_it(key_path):
    with pytest.raises(KeyringError, match=re.escape(str(key_path))):
        Keyring.load(key_path, create=False)
    assert not key_path.exists()


def test_the_loser_of_a_creation_race_uses_the_winners_keys(key_path):
    winner = Keyring.load(key_path)
    before = key_path.read_bytes()
    # A second process that found no file a moment ago now tries to create it:
    loser = Keyring._create(key_path)
    assert key_path.read_bytes() == before  # not replaced
    assert (loser.current_id, loser.ids) == (winner.current_id, winner.ids)
    kek_id, wrapped = winner.wrap(b"w" * 32, context=CONTEXT)
    assert loser.unwrap(kek_id, wrapped, context=CONTEXT) == b"w" * 32
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["master.keys"]


def test_processes_racing_to_create_the_file_end_up_with_one_keyring(key_path):
    key_path.parent.mkdir()
    start_at = time.time() + 1.5  # all of them start loading at the same moment
    script = (
        "import logging, sys, time\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "from kundportal.core.crypto.keys import Keyring\n"
        f"time.sleep(max(0, {start_at} - time.time()))\n"
        "keyring = Keyring.load(__import__('pathlib').Path(sys.argv[1]))\n"
        "kek_id, wrapped = keyring.wrap(b'r' * 32, context=b'race')\n"
        "print(keyring.current_id, wrapped.hex())\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(key_path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    results = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), results
    final = Keyring.load(key_path, create=False)
    for out, _ in results:
        kek_id, wrapped = out.split()
        assert kek_id == final.current_id
        assert final.unwrap(kek_id, bytes.fromhex(wrapped), context=b"race") == b"r" * 32
    assert sum("BACK IT UP" in err for _, err in results) == 1  # only the creator warns
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["master.keys"]
    assert mode(key_path) == 0o600


def test_without_hard_links_creation_falls_back_to_an_exclusive_create(key_path, monkeypatch):
    def no_link(*args: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(keys_module.os, "link", no_link)
    keyring = Keyring.load(key_path)
    assert mode(key_path) == 0o600
    assert Keyring.load(key_path).ids == keyring.ids
    assert Keyring._create(key_path).ids == keyring.ids  # the race loser still reads the winner's keys
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["master.keys"]


def test_wrap_and_unwrap_round_trip():
    keyring = Keyring.generate()
    data_key = os.urandom(32)
    kek_id, wrapped = keyring.wrap(data_key, context=CONTEXT)
    assert kek_id == keyring.current_id and len(wrapped) == 60
    assert data_key not in wrapped
    assert keyring.wrap(data_key, context=CONTEXT)[1] != wrapped  # random nonce each time
    assert keyring.unwrap(kek_id, wrapped, context=CONTEXT) == data_key


def test_unwrap_fails_for_the_wrong_context_an_altered_key_or_an_unknown_id():
    keyring = Keyring.generate()
    kek_id, wrapped = keyring.wrap(os.urandom(32), context=CONTEXT)
    with pytest.raises(KeyringError):
        keyring.unwrap(kek_id, wrapped, context=CONTEXT + b"x")
    for index in (0, 12, 30, 59):
        altered = bytearray(wrapped)
        altered[index] ^= 1
        with pytest.raises(KeyringError):
            keyring.unwrap(kek_id, bytes(altered), context=CONTEXT)
    with pytest.raises(KeyringError):
        keyring.unwrap(kek_id, wrapped[:-1], context=CONTEXT)
    with pytest.raises(KeyringError, match="unknown"):
        keyring.unwrap("20260101-deadbeef", wrapped, context=CONTEXT)
    with pytest.raises(KeyringError):  # another keyring's key with the same id does not unwrap it either
        Keyring({kek_id: os.urandom(32)}, kek_id).unwrap(kek_id, wrapped, context=CONTEXT)


def test_wrap_refuses_anything_but_a_32_byte_key():
    with pytest.raises(ValueError):
        Keyring.generate().wrap(b"short", context=CONTEXT)


def test_add_key_makes_a_new_current_key_and_old_wrapped_keys_still_unwrap(key_path):
    keyring = Keyring.load(key_path)
    old_id = keyring.current_id
    data_key = os.urandom(32)
    _, old_wrapped = keyring.wrap(data_key, context=CONTEXT)
    new_id = keyring.add_key()
    assert new_id != old_id and keyring.current_id == new_id and keyring.ids == [old_id, new_id]
    assert keyring.wrap(data_key, context=CONTEXT)[0] == new_id
    keyring.save(key_path)
    assert mode(key_path) == 0o600
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["master.keys"]
    reloaded = Keyring.load(key_path, create=False)
    assert (reloaded.current_id, reloaded.ids) == (new_id, [old_id, new_id])
    assert reloaded.unwrap(old_id, old_wrapped, context=CONTEXT) == data_key


def test_remove_key_refuses_the_current_key_and_forgets_old_ones():
    keyring = Keyring.generate()
    old_id = keyring.current_id
    _, wrapped = keyring.wrap(b"d" * 32, context=CONTEXT)
    with pytest.raises(KeyringError, match="current"):
        keyring.remove_key(old_id)
    keyring.add_key()
    keyring.remove_key(old_id)
    assert keyring.ids == [keyring.current_id]
    with pytest.raises(KeyringError, match="unknown"):
        keyring.unwrap(old_id, wrapped, context=CONTEXT)
    with pytest.raises(KeyringError):
        keyring.remove_key(old_id)


def valid_document() -> dict[str, object]:
    return {"version": 1, "current": "a", "keys": {"a": base64.b64encode(b"s" * 32).decode()}}


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        json.dumps({**valid_document(), "version": 2}).encode(),
        json.dumps({k: v for k, v in valid_document().items() if k != "version"}).encode(),
        json.dumps({**valid_document(), "current": "b"}).encode(),
        json.dumps({**valid_document(), "current": None}).encode(),
        json.dumps({**valid_document(), "keys": {}}).encode(),
        json.dumps({**valid_document(), "keys": []}).encode(),
        json.dumps({**valid_document(), "keys": {"a": "!!not base64!!"}}).encode(),
        json.dumps({**valid_document(), "keys": {"a": base64.b64encode(b"s" * 16).decode()}}).encode(),
        json.dumps({**valid_document(), "keys": {"a": 5}}).encode(),
        json.dumps(
            {"version": 1, "current": "a|b", "keys": {"a|b": base64.b64encode(b"s" * 32).decode()}}
        ).encode(),
    ],
)
def test_a_malformed_key_file_is_an_error_naming_the_path(key_path, content):
    key_path.parent.mkdir()
    key_path.write_bytes(content)
    with pytest.raises(KeyringError, match=re.escape(str(key_path))) as raised:
        Keyring.load(key_path)
    assert base64.b64encode(b"s" * 32).decode() not in str(raised.value)  # never echo key material
    assert key_path.read_bytes() == content  # and never "repair" it by overwriting


def test_the_valid_document_used_above_loads():
    keyring = Keyring({"a": b"s" * 32}, "a")
    assert (keyring.current_id, keyring.ids) == ("a", ["a"])
    assert "s" * 8 not in repr(keyring)


def test_an_unreadable_key_file_is_an_error_naming_the_path(key_path):
    key_path.mkdir(parents=True)  # a directory where the file should be
    with pytest.raises(KeyringError, match=re.escape(str(key_path))):
        Keyring.load(key_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_a_key_file_without_read_permission_is_an_error_naming_the_path(key_path):
    Keyring.load(key_path)
    key_path.chmod(0)
    with pytest.raises(KeyringError, match=re.escape(str(key_path))):
        Keyring.load(key_path)


def test_a_key_file_readable_by_others_is_warned_about(key_path, caplog):
    Keyring.load(key_path)
    key_path.chmod(0o644)
    caplog.set_level(logging.WARNING, logger="kundportal.keys")
    Keyring.load(key_path)
    assert any("chmod 600" in r.getMessage() for r in backup_warnings(caplog))


def test_get_keyring_creates_the_configured_file_once_and_caches_it(settings, key_path):
    settings.MASTER_KEY_FILE = key_path
    keyring = get_keyring()
    assert key_path.is_file() and mode(key_path) == 0o600
    assert get_keyring() is keyring
    reset_keyring_cache()
    again = get_keyring()
    assert again is not keyring and again.ids == keyring.ids


def test_get_keyring_picks_up_a_key_added_by_another_process(settings, key_path):
    settings.MASTER_KEY_FILE = key_path
    before = get_keyring()
    rotated = Keyring.load(key_path, create=False)  # `kundportal keys rotate`, elsewhere
    new_id = rotated.add_key()
    rotated.save(key_path)
    after = get_keyring()
    assert after.current_id == new_id and before.current_id in after.ids


def test_get_keyring_keeps_its_keys_when_the_file_vanishes(settings, key_path, caplog):
    settings.MASTER_KEY_FILE = key_path
    keyring = get_keyring()
    key_path.unlink()
    caplog.set_level(logging.ERROR, logger="kundportal.keys")
    assert get_keyring() is keyring
    assert not key_path.exists()  # no fresh, un-backed-up key file behind the operator's back
    assert any("disappeared" in r.getMessage() for r in caplog.records)
