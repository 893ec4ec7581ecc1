"""Shared by the export and privacy-centre tests: uploading real (encrypted) documents, building an export the
way the worker does, and reading the ZIP back by decrypting it."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Folder
from kundportal.documents.services import upload_document_version
from kundportal.privacy import exports
from kundportal.privacy.models import DataExport


@pytest.fixture(autouse=True)
def _own_keyring(settings, tmp_path):
    """Each test its own master key file (as in the documents tests)."""
    from kundportal.core.crypto.keys import reset_keyring_cache

    settings.MASTER_KEY_FILE = tmp_path / "master.keys"
    reset_keyring_cache()
    yield
    reset_keyring_cache()


def upload(user: Any, organisation: Any, name: str, data: bytes) -> Any:
    folder, _ = Folder.objects.get_or_create(organisation=organisation, name="Shared")
    access = get_folder_for_user(user, folder.pk, write=True)
    return upload_document_version(actor=user, folder=access, name=name, stream=io.BytesIO(data))


def built(user: Any, actor: Any = None) -> DataExport:
    export = exports.request_export(actor=actor or user, user=user)
    exports.build_export(export.pk)
    export.refresh_from_db()
    return export


def zip_of(export: DataExport) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(exports.read_export(export))))


def data_json(archive: zipfile.ZipFile) -> dict[str, Any]:
    return json.loads(archive.read("data.json"))


def stored_names(tmp_path: Any) -> set[str]:
    root = tmp_path / "files"
    return (
        {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
        if root.exists()
        else set()
    )
