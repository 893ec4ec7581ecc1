import pytest

from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Folder, FolderAccess


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
