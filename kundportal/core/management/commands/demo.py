from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from kundportal.accounts.models import ProviderRole, User
from kundportal.config import read_secret_file, write_secret_file
from kundportal.organisations.models import (
    CustomerRole,
    Membership,
    Organisation,
    OrganisationKind,
    StaffAssignment,
)

STAFF = [
    ("admin@kundportal.example", "Alva Admin", ProviderRole.ADMIN),
    ("manager@kundportal.example", "Max Manager", ProviderRole.ACCOUNT_MANAGER),
]
CUSTOMERS = [
    (
        "Nordbygg AB",
        OrganisationKind.COMPANY,
        [
            ("anna@nordbygg.example", "Anna Berg", CustomerRole.ADMIN),
            ("johan@nordbygg.example", "Johan Lind", CustomerRole.MEMBER),
            ("sara@nordbygg.example", "Sara Ek", CustomerRole.VIEWER),
        ],
    ),
    (
        "Müller Planung GmbH",
        OrganisationKind.COMPANY,
        [
            ("jonas@mueller-planung.example", "Jonas Müller", CustomerRole.ADMIN),
        ],
    ),
    (
        "Erik Svensson",
        OrganisationKind.PRIVATE,
        [
            ("erik@svensson.example", "Erik Svensson", CustomerRole.ADMIN),
        ],
    ),
]


class Command(BaseCommand):
    help = "Create the demo provider, customers and people (idempotent) and print their logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--first-run",
            action="store_true",
            help="create demo data only if the portal has no users yet; always print the logins",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if (
            options["first_run"]
            and User.objects.exists()
            and not User.objects.filter(email=STAFF[0][0]).exists()
        ):
            self.stdout.write("The portal has its own users: no demo data added.")
            return
        password = self._password()
        with transaction.atomic():
            self._create(password)
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {password})"))
        for email, name, role in STAFF:
            self.stdout.write(f"  {email:34} {name} ({ProviderRole(role).label})")
        for organisation, _kind, people in CUSTOMERS:
            for email, name, role in people:
                self.stdout.write(f"  {email:34} {name} ({CustomerRole(role).label}, {organisation})")

    def _password(self) -> str:
        """A random demo password, made once per data directory: demo accounts must not share a known one."""
        path = settings.DATA_DIR / "demo_password"
        if not path.exists():
            write_secret_file(path, f"demo-{secrets.token_urlsafe(9)}".encode())
        return read_secret_file("KUNDPORTAL_DATA_DIR", path)

    def _user(self, email: str, name: str, password: str, role: str = "") -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": name, "provider_role": role}
        )
        if created:
            user.set_password(password)
            user.save()
        return user

    def _create(self, password: str) -> None:
        staff = [self._user(email, name, password, role) for email, name, role in STAFF]
        manager = staff[1]
        for organisation_name, kind, people in CUSTOMERS:
            organisation, _ = Organisation.objects.get_or_create(
                name=organisation_name, defaults={"kind": kind}
            )
            StaffAssignment.objects.get_or_create(organisation=organisation, user=manager)
            for email, name, role in people:
                Membership.objects.get_or_create(
                    organisation=organisation, user=self._user(email, name, password), defaults={"role": role}
                )
            if organisation_name == CUSTOMERS[0][0]:
                from kundportal.commerce.demo import create_demo_commerce

                contacts = [self._user(email, name, password) for email, name, _role in people[:2]]
                create_demo_commerce(manager=manager, organisation=organisation, people=contacts)
                from kundportal.messaging.demo import create_demo_conversations

                create_demo_conversations(manager=manager, organisation=organisation, people=contacts)
