from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kundportal.documents.maintenance import verify_versions
from kundportal.offers.images import verify_images


class Command(BaseCommand):
    help = (
        "Decrypt and re-hash every stored version and offer picture; report missing or corrupt objects; "
        "exit 1 if any."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checked = failed = 0
        for version, problem in verify_versions():
            checked += 1
            if problem:
                failed += 1
                self.stderr.write(f"{version.document_id} v{version.number} ({version.blob_name}): {problem}")
        self.stdout.write(f"{checked} versions checked, {failed} with problems")
        images = images_failed = 0
        for image, problem in verify_images():
            images += 1
            if problem:
                images_failed += 1
                self.stderr.write(f"offer {image.offer_id} picture ({image.blob_name}): {problem}")
        self.stdout.write(f"{images} offer pictures checked, {images_failed} with problems")
        if failed or images_failed:
            raise CommandError(
                f"{failed} of {checked} versions and {images_failed} of {images} offer pictures failed verification"
            )
