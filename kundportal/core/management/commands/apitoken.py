from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kundportal.accounts.models import User
from kundportal.accounts.services import create_api_token


class Command(BaseCommand):
    help = "Manage API tokens. `apitoken create --email E [--name N]` prints the new bearer token alone."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for a user and print it")
        create.add_argument("--email", required=True)
        create.add_argument("--name", default="CLI token")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=options["email"].strip().lower(), is_active=True).first()
        if user is None:
            raise CommandError(f"no active user with the email {options['email']}")
        _token, secret = create_api_token(actor=user, name=options["name"])
        self.stdout.write(secret)
