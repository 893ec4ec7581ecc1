"""Typed readers for the environment and the data directory.

Every setting Kundportal takes from outside comes through here, so that a bad value stops start-up with one
line that names the variable (`ConfigError`), and secrets generated on first run are written with safe
permissions.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigError(name, f"expected 1/0, true/false, yes/no or on/off, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).lower() or default
    if value not in choices:
        raise ConfigError(name, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_url(name: str, default: str = "", *, schemes: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ConfigError(name, f"scheme must be one of {', '.join(schemes)}, got {value.split(':')[0]!r}")
    return value


def data_dir(name: str = "KUNDPORTAL_DATA_DIR", default: str = "var") -> Path:
    """The data directory, created 0700 on first use."""
    path = Path(env_str(name, default) or default).expanduser().absolute()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(name, f"cannot create {path}: {error.strerror}") from None
    if not os.access(path, os.W_OK):
        raise ConfigError(name, f"{path} is not writable")
    return path


def read_secret_file(variable: str, path: Path) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigError(variable, f"cannot read {path}: {error.strerror}") from None
    if not value:
        raise ConfigError(variable, f"{path} is empty")
    return value


def write_secret_file(path: Path, content: bytes) -> None:
    """Create `path` with mode 0600, failing if it already exists (two workers starting at once)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def secret_from_env_or_file(name: str, fallback: Path) -> str:
    """`NAME`, else the file named by `NAME_FILE`, else a secret generated once into `fallback`."""
    if value := env_str(name):
        return value
    if file_name := env_str(f"{name}_FILE"):
        return read_secret_file(f"{name}_FILE", Path(file_name))
    if not fallback.exists():
        with contextlib.suppress(FileExistsError):  # another worker wrote it first
            write_secret_file(fallback, secrets.token_urlsafe(50).encode())
    return read_secret_file(name, fallback)


def database_config(url: str, *, default_sqlite: Path) -> dict[str, object]:
    """Django's DATABASES['default'] from DATABASE_URL, or SQLite in WAL mode in the data directory."""
    import dj_database_url

    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(default_sqlite),
            # Each server thread keeps its connection (and SQLite's page cache) instead of opening the file
            # again on every request; checked before reuse.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=20000; PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY; "
                    "PRAGMA mmap_size=268435456;"
                ),
            },
        }
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ConfigError("DATABASE_URL", f"unsupported scheme {scheme!r}; use postgresql://… or sqlite:///…")
    try:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except Exception as error:  # dj_database_url raises several types for malformed URLs
        raise ConfigError("DATABASE_URL", f"not a valid database URL ({error})") from None
    if config["ENGINE"] != "django.db.backends.sqlite3" and not config.get("NAME"):
        raise ConfigError("DATABASE_URL", "names no database")
    return config
