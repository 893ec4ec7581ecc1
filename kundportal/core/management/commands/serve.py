from __future__ import annotations

import os
import shutil
import socket
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kundportal.core.crypto.keys import get_keyring
from kundportal.core.tls import ensure_self_signed


def _check_port_free(host: str, port: int) -> None:
    """granian binds with SO_REUSEPORT, so a second server on a busy port would silently share it (and split
    requests between two portals). Binding once without that option finds out first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR lets a restart bind past connections in TIME_WAIT, never past a live listener.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from None


class Command(BaseCommand):
    help = (
        "Serve Kundportal with granian: HTTPS on 127.0.0.1:8443 by default, or plain HTTP behind a TLS proxy."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8443)
        parser.add_argument("--workers", type=int, default=max(1, min(4, os.cpu_count() or 1)))
        parser.add_argument(
            "--cert", type=Path, help="PEM certificate (default: self-signed in the data dir)"
        )
        parser.add_argument("--key", type=Path, help="PEM private key in PKCS#8 form")
        parser.add_argument("--http", action="store_true", help="plain HTTP, for running behind a TLS proxy")
        parser.add_argument(
            "--trust-proxy",
            action="store_true",
            help="believe the proxy's X-Forwarded-Proto header (only with --http, only behind a proxy that sets it)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        _check_port_free(options["host"], options["port"])
        # Create the master key file now (with its loud "back this up" warning), not on the first upload.
        get_keyring()
        granian = shutil.which("granian", path=str(Path(sys.executable).parent)) or shutil.which("granian")
        if granian is None:
            raise CommandError("granian is not installed; run `make install`")
        command = [
            granian,
            "--interface",
            "wsgi",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--workers",
            str(options["workers"]),
            "--no-access-log",
            "--blocking-threads",
            "8",
            "kundportal.wsgi:application",
        ]
        env = os.environ.copy()
        if options["http"]:
            env["KUNDPORTAL_PLAIN_HTTP"] = "1"
            if options["trust_proxy"]:
                env["KUNDPORTAL_TRUST_PROXY"] = "1"
            url = f"http://{options['host']}:{options['port']}/"
        else:
            if bool(options["cert"]) != bool(options["key"]):
                raise CommandError("--cert and --key go together")
            if options["cert"]:
                cert, key = options["cert"], options["key"]
            else:
                cert, key = ensure_self_signed(settings.DATA_DIR, [*settings.ALLOWED_HOSTS, options["host"]])
            command[1:1] = ["--ssl-certificate", str(cert), "--ssl-keyfile", str(key)]
            url = f"https://{options['host']}:{options['port']}/"
        self.stdout.write(f"Kundportal at {url}  (data in {settings.DATA_DIR}; stop with Ctrl-C)")
        sys.stdout.flush()
        os.execve(granian, command, env)  # noqa: S606 - replaces this process with the server, no shell involved
