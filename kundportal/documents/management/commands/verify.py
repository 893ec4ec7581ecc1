from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kundportal.documents.maintenance import verify_versions


class Command(BaseCommand):
    help = "Decrypt and re-hash every stored version; report missing or corrupt objects; exit 1 if any."

    def handle(self, *args: Any, **options: Any) -> None:
        checked = failed = 0
        for version, problem in verify_versions():
            checked += 1
            if problem:
                failed += 1
                self.stderr.write(f"{version.document_id} v{version.number} ({version.blob_name}): {problem}")
        self.stdout.write(f"{checked} versions checked, {failed} with problems")
        if failed:
            raise CommandError(f"{failed} of {checked} versions failed verification")
