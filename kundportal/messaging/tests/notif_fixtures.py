"""Fixtures and helpers shared by the notification tests (imported by them with `from ... import *`)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Folder, FolderAccess
from kundportal.documents.services import upload_document_version
from kundportal.messaging.models import FolderWatch


@pytest.fixture(autouse=True)
def _own_keyring(settings, tmp_path):
    """Each test gets its own master key file (uploads encrypt with it)."""
    from kundportal.core.crypto.keys import reset_keyring_cache

    settings.MASTER_KEY_FILE = tmp_path / "master.keys"
    reset_keyring_cache()
    yield
    reset_keyring_cache()


@pytest.fixture
def drawings(organisation):
    return Folder.objects.create(organisation=organisation, name="Drawings", access=FolderAccess.READ_WRITE)


@pytest.fixture
def internal_folder(organisation):
    return Folder.objects.create(organisation=organisation, name="Staff notes", access=FolderAccess.INTERNAL)


@pytest.fixture
def upload_only(organisation):
    return Folder.objects.create(organisation=organisation, name="Inbox", access=FolderAccess.UPLOAD_ONLY)


@pytest.fixture
def other_folder(other_organisation):
    return Folder.objects.create(organisation=other_organisation, name="Other drawings")


def upload(user, folder, name="plan.pdf", data=b"%PDF-1.7 secret drawing bytes"):
    access = get_folder_for_user(user, folder.pk, write=True)
    return upload_document_version(actor=user, folder=access, name=name, stream=io.BytesIO(data))


def watch(user, folder, watching=True):
    return FolderWatch.objects.update_or_create(user=user, folder=folder, defaults={"watching": watching})[0]


def later(seconds=None):
    """A moment after the batching window."""
    from django.conf import settings

    return timezone.now() + timedelta(
        seconds=(seconds if seconds is not None else settings.EMAIL_BATCH_SECONDS + 5)
    )
