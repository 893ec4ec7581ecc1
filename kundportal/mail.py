"""EMAIL_URL → Django's email settings.

smtp://user:pass@host:25         plain SMTP (add ?tls=1 for STARTTLS)
smtp+tls://user:pass@host:587    SMTP with STARTTLS
smtps://user:pass@host:465       SMTP over TLS
console:                         print mails to the server's console (what `make run` uses)
file:///path/to/dir              write each mail to a file
memory:                          keep mails in memory (tests)
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from kundportal.config import ConfigError

BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
}


def email_settings(url: str) -> dict[str, object]:
    """Django's MAILERS setting for EMAIL_URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in BACKENDS:
        raise ConfigError(
            "EMAIL_URL", f"unsupported scheme {scheme!r}; use smtp://, smtps://, console: or file://"
        )
    options: dict[str, object] = {}
    if scheme == "file":
        if not parts.path:
            raise ConfigError("EMAIL_URL", "file:// needs a directory, e.g. file:///var/mail/kundportal")
        options["file_path"] = parts.path
    if scheme.startswith("smtp"):
        try:
            port = parts.port
        except ValueError:
            raise ConfigError("EMAIL_URL", "the port is not a number") from None
        if not parts.hostname:
            raise ConfigError("EMAIL_URL", "names no host")
        query = parse_qs(parts.query)
        options.update(
            host=parts.hostname,
            port=port or (465 if scheme == "smtps" else 587 if scheme == "smtp+tls" else 25),
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            use_tls=scheme == "smtp+tls" or query.get("tls", ["0"])[0] == "1",
            use_ssl=scheme == "smtps",
            timeout=20,
        )
    return {"MAILERS": {"default": {"BACKEND": BACKENDS[scheme], "OPTIONS": options}}}
