"""The folder's "Download all (ZIP)" button in the browser: it is there when there is something to download,
the download is a ZIP of the folder, and the page passes axe-core on a desktop and a phone."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import PHONE, check_page, sign_in, visit

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_viewer_downloads_a_folder_as_a_zip(
    new_page: Any, viewport: Any, provider_admin: Any, customer_viewer: Any, organisation: Any
) -> None:
    from kundportal.documents.access import get_folder_for_user
    from kundportal.documents.models import Folder, FolderAccess
    from kundportal.documents.services import upload_document_version

    folder = Folder.objects.create(organisation=organisation, name="Verträge", access=FolderAccess.READ_ONLY)
    access = get_folder_for_user(provider_admin, folder.pk, write=True)
    for name, data in (("Vertrag 2026.pdf", b"%PDF signed"), ("Preisliste.xlsx", b"prices")):
        upload_document_version(actor=provider_admin, folder=access, name=name, stream=io.BytesIO(data))

    page = new_page(**({"viewport": viewport} if viewport else {}))
    sign_in(page, "vera@acme.example", PASSWORD)
    visit(page, f"/folders/{folder.pk}/")
    button = page.get_by_role("link", name="Download all (ZIP)")
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == "Verträge.zip"
    with zipfile.ZipFile(download.path()) as archive:
        assert {info.filename: archive.read(info) for info in archive.infolist()} == {
            "Preisliste.xlsx": b"prices",
            "Vertrag 2026.pdf": b"%PDF signed",
        }
    check_page(page)
