from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Folder, FolderAccess


class StoredObjects:
    """What the default storage holds, on whichever backend the test runs: for tests that look at the
    stored objects or tamper with them."""

    def __init__(self, kind, s3=None):
        self.kind = kind
        self.s3 = s3

    def names(self):
        """Every object in the storage (not only under blobs/), temporary files included."""
        if self.s3 is not None:
            return sorted(self.s3.object_keys())
        root = Path(default_storage.location)
        return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())

    def read(self, name):
        with default_storage.open(name) as handle:
            return handle.read()

    def replace(self, name, data):
        default_storage.delete(name)
        assert default_storage.save(name, ContentFile(data)) == name


# Modules where stored files are only scenery (folder templates and settings, the dashboard's news) run on
# files alone: on S3 too they would add time and no coverage. Every other module runs on both, so a new one
# is tested on S3 unless it is listed here.
FILES_ONLY = {"test_folder_settings", "test_news", "test_template_api", "test_templates"}


def pytest_generate_tests(metafunc):
    if metafunc.module.__name__.rpartition(".")[2] not in FILES_ONLY:
        backends = ["file", pytest.param("s3", marks=pytest.mark.s3)]
        metafunc.parametrize("stored_objects", backends, indirect=True)


@pytest.fixture(autouse=True)
def stored_objects(request):
    """Documents tests run twice: on files in the data directory, and on S3 (a SeaweedFS the tests start,
    see kundportal/core/testing/seaweedfs.py; `pytest -m s3` runs just the S3 half).

    The root conftest's autouse settings (files in tmp_path) come first, so S3 replaces them here.
    """
    if getattr(request, "param", "file") == "s3":
        return StoredObjects("s3", request.getfixturevalue("s3_storage"))
    return StoredObjects("file")


@pytest.fixture(autouse=True)
def _own_keyring(settings, tmp_path):
    """Each test gets its own master key file, so tests never share or leak keys."""
    from kundportal.core.crypto.keys import reset_keyring_cache

    settings.MASTER_KEY_FILE = tmp_path / "master.keys"
    reset_keyring_cache()
    yield
    reset_keyring_cache()


@pytest.fixture
def folders(organisation):
    """Acme's folders: one of each access kind."""
    return {
        access: Folder.objects.create(organisation=organisation, name=str(access.label)[:40], access=access)
        for access in FolderAccess
    }


@pytest.fixture
def drawings(folders):
    return folders[FolderAccess.READ_WRITE]


@pytest.fixture
def folder_for():
    def _folder_for(user, folder, write=False):
        return get_folder_for_user(user, folder.pk, write=write)

    return _folder_for
