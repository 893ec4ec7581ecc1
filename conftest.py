"""Shared identities for every test: one provider, two customers, and people in each role.

alice: provider admin · mads: account manager (assigned to acme) · carl: customer admin of acme ·
mia: member of acme · vera: viewer of acme · otto: admin of the other customer (the outsider).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Settings read the environment at import: give the test run its own data dir and fast, local services.
_data_dir = tempfile.mkdtemp(prefix="kundportal-test-")
os.environ.setdefault("KUNDPORTAL_DATA_DIR", _data_dir)
os.environ.setdefault("EMAIL_URL", "memory:")

import pytest  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

PASSWORD = "correct horse battery staple 42"

# `seaweedfs` and `s3_storage`: a real S3 server for the storage tests (marked `s3`); `smtp_server` and
# `smtp_mailer`: a real SMTP server (aiosmtpd) for the email tests.
pytest_plugins = ["kundportal.core.testing.seaweedfs", "kundportal.core.testing.smtp"]


@pytest.fixture(autouse=True)
def _test_settings(settings: object, tmp_path: Path) -> Iterator[None]:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }
    cache.clear()
    yield
    cache.clear()


class HttpsClient(Client):
    """Requests arrive over HTTPS, as in production (Django's test client otherwise speaks plain HTTP)."""

    def generic(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        kwargs["secure"] = True
        return super().generic(*args, **kwargs)


@pytest.fixture
def client() -> Client:
    return HttpsClient()


def make_user(email: str, *, provider_role: str = "", full_name: str = "") -> object:
    from kundportal.accounts.models import User

    return User.objects.create_user(email, PASSWORD, provider_role=provider_role, full_name=full_name)


@pytest.fixture
def provider_admin(db: None) -> object:
    return make_user("alice@provider.example", provider_role="admin", full_name="Alice Admin")


@pytest.fixture
def account_manager(db: None) -> object:
    return make_user("mads@provider.example", provider_role="manager", full_name="Mads Manager")


@pytest.fixture
def organisation(db: None, account_manager: object) -> object:
    from kundportal.organisations.models import Organisation, StaffAssignment

    organisation = Organisation.objects.create(name="Acme AB")
    StaffAssignment.objects.create(organisation=organisation, user=account_manager)
    return organisation


@pytest.fixture
def other_organisation(db: None) -> object:
    from kundportal.organisations.models import Organisation

    return Organisation.objects.create(name="Other GmbH")


def _member(organisation: object, email: str, role: str, name: str) -> object:
    from kundportal.organisations.models import Membership

    user = make_user(email, full_name=name)
    Membership.objects.create(organisation=organisation, user=user, role=role)
    return user


@pytest.fixture
def customer_admin(organisation: object) -> object:
    return _member(organisation, "carl@acme.example", "admin", "Carl Customer")


@pytest.fixture
def customer_member(organisation: object) -> object:
    return _member(organisation, "mia@acme.example", "member", "Mia Member")


@pytest.fixture
def customer_viewer(organisation: object) -> object:
    return _member(organisation, "vera@acme.example", "viewer", "Vera Viewer")


@pytest.fixture
def outsider(other_organisation: object) -> object:
    return _member(other_organisation, "otto@other.example", "admin", "Otto Outsider")


@pytest.fixture
def login(client: Client):  # type: ignore[no-untyped-def]
    """Log the test client in as a user (skipping the login form, which has tests of its own)."""

    def _login(user: object) -> Client:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def api_client(db: None):  # type: ignore[no-untyped-def]
    """A client that sends a bearer token for the given user on every request."""
    from kundportal.accounts.services import create_api_token

    def _client(user: object) -> Client:
        _token, secret = create_api_token(actor=user, name="test")
        return HttpsClient(headers={"Authorization": f"Bearer {secret}"})

    return _client
