from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kundportal.documents.maintenance import rotate_master_key
from kundportal.offers.images import rewrap_image_keys


class Command(BaseCommand):
    help = "Master key management. `keys rotate` adds a master key and re-wraps every data key under it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "rotate", help="add a new master key and re-wrap every data key (no object is rewritten)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        new_id, count = rotate_master_key()
        count += rewrap_image_keys()  # offer pictures: their own data keys, under the same keyring
        self.stdout.write(
            f"New master key {new_id} is current; {count} data keys re-wrapped. "
            "The old keys stay in the key file until you remove them: back the file up now."
        )
