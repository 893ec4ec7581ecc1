"""The `kundportal` command: Django's manage.py with Kundportal's own commands (serve, demo, apitoken, ...)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kundportal.settings")
    # Everything Kundportal writes (database, keys, certificate, files) is for its own user only.
    os.umask(0o077)
    from kundportal.config import ConfigError

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - reading a setting loads the environment, so mistakes show here
    except ConfigError as error:
        print(f"kundportal: configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None

    from django.core.management import execute_from_command_line

    execute_from_command_line(["kundportal", *sys.argv[1:]])


if __name__ == "__main__":
    main()
