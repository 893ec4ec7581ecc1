"""Configuration comes from the environment; a bad value stops start-up with one line naming the variable."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kundportal.config import ConfigError, database_config, env_bool, secret_from_env_or_file
from kundportal.mail import email_settings

KUNDPORTAL = [sys.executable, "-m", "kundportal.cli"]


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("KUNDPORTAL_", "DATABASE_URL", "EMAIL_URL"))
    }
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests for their own process only
    clean.update({"KUNDPORTAL_DATA_DIR": str(tmp_path / "data"), **env})
    return subprocess.run(
        [*KUNDPORTAL, *args], capture_output=True, text=True, env=clean, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://nobody@localhost/db"),
        ("DATABASE_URL", "postgresql://localhost:notaport/db"),
        ("KUNDPORTAL_STORAGE", "ftp"),
        ("KUNDPORTAL_SECRET_KEY_FILE", "/nonexistent/secret"),
        ("KUNDPORTAL_MASTER_KEY_FILE", "/nonexistent/keys"),
        ("EMAIL_URL", "carrier-pigeon://coop"),
        ("REDIS_URL", "memcached://localhost"),
        ("KUNDPORTAL_DEBUG", "maybe"),
    ],
)
def test_it_stops_start_up_with_one_line_naming_the_variable(tmp_path, variable, value):
    result = run_cli(tmp_path, "check", **{variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"kundportal: configuration error: {variable}:")


def test_it_keeps_everything_in_a_private_data_dir_and_reuses_the_secret(tmp_path):
    assert run_cli(tmp_path, "check").returncode == 0
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    secret = data / "secret_key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    first = secret.read_text()
    assert run_cli(tmp_path, "check").returncode == 0
    assert secret.read_text() == first


def test_it_passes_the_deployment_checks_with_the_default_configuration(tmp_path):
    result = run_cli(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_is_not_in_debug_mode_unless_asked(tmp_path):
    result = run_cli(tmp_path, "shell", "-c", "from django.conf import settings; print(settings.DEBUG)")
    assert result.stdout.strip().splitlines()[-1] == "False"
    result = run_cli(
        tmp_path,
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        KUNDPORTAL_DEBUG="1",
    )
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_it_reads_secrets_from_a_file(tmp_path, monkeypatch):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.delenv("KUNDPORTAL_SECRET_KEY", raising=False)
    monkeypatch.setenv("KUNDPORTAL_SECRET_KEY_FILE", str(secret_file))
    assert secret_from_env_or_file("KUNDPORTAL_SECRET_KEY", tmp_path / "fallback") == "from-a-file"
    assert not (tmp_path / "fallback").exists()


def test_it_parses_database_urls():
    config = database_config("postgresql://kp:pw@db.example:5433/portal", default_sqlite=Path("/x"))
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["PORT"]) == ("portal", 5433)
    sqlite = database_config("", default_sqlite=Path("/data/db.sqlite3"))
    assert sqlite["NAME"] == "/data/db.sqlite3"
    assert "journal_mode=WAL" in sqlite["OPTIONS"]["init_command"]
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        database_config("postgresql://host/", default_sqlite=Path("/x"))


def test_it_parses_email_urls():
    smtp = email_settings("smtps://me%40x.example:p%40ss@mail.example")["MAILERS"]["default"]
    assert smtp["OPTIONS"] == {
        "host": "mail.example",
        "port": 465,
        "username": "me@x.example",
        "password": "p@ss",
        "use_tls": False,
        "use_ssl": True,
        "timeout": 20,
    }
    assert email_settings("console:")["MAILERS"]["default"]["BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(ConfigError, match="EMAIL_URL"):
        email_settings("smtp://:25")


def test_it_reads_booleans_strictly(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env_bool("X_FLAG") is False
    monkeypatch.setenv("X_FLAG", "perhaps")
    with pytest.raises(ConfigError, match="X_FLAG"):
        env_bool("X_FLAG")
