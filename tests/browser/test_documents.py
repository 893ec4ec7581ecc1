"""Documents in the browser: drag and drop with a progress bar per file, a second version, the "Latest" badge,
an old version's banner, cancelling, the trash; axe-core and the CSP checked on every page on the way."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import PHONE, check_page, follow, sign_in, visit

pytestmark = pytest.mark.browser

# Drops files on the upload area the way a browser does after a drag from the desktop: a DataTransfer
# holding File objects, delivered by dragenter, dragover and drop events.
DROP = """([files, selector]) => {
  const transfer = new DataTransfer();
  for (const [name, content] of files) {
    const data = typeof content === "number" ? new Uint8Array(content) : content;
    transfer.items.add(new File([data], name, {type: "text/plain"}));
  }
  const zone = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
  }
}"""

# Remembers every text the upload rows show, to check the progress line (percent, speed, time left).
RECORD_STATUS_TEXTS = """() => {
  window.uploadTexts = [];
  new MutationObserver(() => {
    document.querySelectorAll(".upload-status").forEach((node) => window.uploadTexts.push(node.textContent));
  }).observe(document.querySelector("[data-upload]"), {subtree: true, childList: true, characterData: true});
}"""

ALL_BARS_FULL = """(count) => {
  const bars = [...document.querySelectorAll(".upload-item progress")];
  return bars.length === count && bars.every((bar) => bar.value === 100 && bar.getAttribute("value") === "100");
}"""


@pytest.fixture
def drawings(organisation: Any) -> Any:
    from kundportal.documents.models import Folder, FolderAccess

    return Folder.objects.create(organisation=organisation, name="Drawings", access=FolderAccess.READ_WRITE)


def test_a_customer_uploads_files_and_a_new_version(page: Any, customer_member: Any, drawings: Any) -> None:
    from kundportal.documents.models import Document

    sign_in(page, "mia@acme.example", PASSWORD)
    follow(page, page.locator("nav.mainnav").get_by_role("link", name="Documents"))
    assert page.get_by_role("heading", level=1).inner_text() == "Documents"
    follow(page, page.get_by_role("link", name="Drawings"))
    assert "This folder is empty" in page.get_by_role("main").inner_text()

    # Two files dragged onto the folder: the script's path, one request and one progress bar per file.
    page.evaluate(RECORD_STATUS_TEXTS)
    page.evaluate(DROP, [[["plan.txt", "first plan"], ["notes.txt", "some notes"]], "[data-dropzone]"])
    page.wait_for_function(ALL_BARS_FULL, arg=2)
    status = page.locator("[data-upload-status]")
    assert status.get_attribute("role") == "status"
    page.wait_for_function(
        "() => document.querySelector('[data-upload-status]').textContent.includes('2 of 2')"
    )
    assert status.inner_text() == "Finished: 2 of 2 files uploaded."
    assert page.locator(".upload-item.is-done").count() == 2
    progress_lines = page.evaluate("window.uploadTexts")
    assert any("%" in text and "MB/s" in text and "left" in text for text in progress_lines), progress_lines
    # The listing is fetched again in place: both rows appear without a page load.
    listing = page.locator("#document-listing")
    listing.get_by_role("link", name="plan.txt", exact=True).wait_for()
    assert listing.get_by_role("link", name="notes.txt", exact=True).is_visible()
    assert listing.locator("text=Latest: v1").count() == 2
    check_page(page)
    assert set(Document.objects.values_list("name", flat=True)) == {"plan.txt", "notes.txt"}

    follow(page, listing.get_by_role("link", name="plan.txt", exact=True))
    history = page.locator("table.versions")
    assert history.locator("tbody tr").count() == 1

    # A second version through the file picker (the change event starts the upload straight away).
    page.get_by_label("Note (optional)").fill("Checked on site")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "plan.txt", "mimeType": "text/plain", "buffer": b"second plan"}]
    )
    page.wait_for_function(ALL_BARS_FULL, arg=1)
    assert "Uploaded as version 2." in page.locator(".upload-item").inner_text()
    page.wait_for_function("() => document.querySelectorAll('table.versions tbody tr').length === 2")
    latest_row = history.locator("tbody tr").filter(has=page.locator(".badge.latest"))
    assert latest_row.count() == 1
    assert latest_row.locator("td").first.inner_text().startswith("v2")
    assert "Checked on site" in latest_row.inner_text()
    assert page.locator(".page-head .badge.latest").inner_text().lower() == "latest"
    check_page(page)
    assert Document.objects.get(name="plan.txt").latest.number == 2
    assert Document.objects.count() == 2  # the same name became a version, not a second document

    # The old version says plainly that it is not the latest, and links to it.
    follow(page, history.get_by_role("link", name="v1", exact=True))
    banner = page.get_by_role("note").filter(has_text="A newer version exists")
    assert "(v2," in banner.inner_text() and "by Mia Member" in banner.inner_text()
    assert page.locator(".page-head .badge.latest").count() == 0
    follow(page, banner.get_by_role("link", name="Go to the latest version (v2)"))
    assert page.locator(".page-head .badge.latest").count() == 1


def test_a_cancelled_upload_keeps_nothing(page: Any, customer_member: Any, drawings: Any) -> None:
    from kundportal.documents.models import Document

    sign_in(page, "mia@acme.example", PASSWORD)
    visit(page, f"/folders/{drawings.pk}/")
    # The first file's request is held on its way, like one on a slow line, so that Cancel always comes
    # in time; the second file waits its turn and is cancelled before it starts.
    held: list[Any] = []
    page.route("**/upload/", lambda route: held.append(route))
    page.evaluate(DROP, [[["big.txt", 5_000_000], ["next.txt", "next"]], "[data-dropzone]"])
    page.wait_for_function("() => document.querySelectorAll('.upload-cancel').length === 2")
    assert page.locator(".upload-item").nth(1).locator(".upload-status").inner_text() == "Waiting…"
    page.locator(".upload-cancel").nth(1).click()
    page.locator(".upload-cancel").first.click()
    page.wait_for_function("() => document.querySelectorAll('.upload-item.is-cancelled').length === 2")
    assert (
        page.locator(".upload-item").first.locator(".upload-status").inner_text()
        == "Cancelled. Nothing was kept."
    )
    assert page.locator("[data-upload-status]").inner_text() == "Finished: 0 of 2 files uploaded."
    assert len(held) == 1  # only the first file's request was ever sent
    check_page(page)
    assert not Document.objects.exists()


def test_the_trash_and_the_staff_view(
    new_page: Any, provider_admin: Any, customer_member: Any, organisation: Any, drawings: Any
) -> None:
    from kundportal.documents.models import Folder, FolderAccess

    Folder.objects.create(organisation=organisation, name="Margins", access=FolderAccess.INTERNAL)
    page = new_page()
    sign_in(page, "mia@acme.example", PASSWORD)
    visit(page, f"/folders/{drawings.pk}/")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "old.txt", "mimeType": "text/plain", "buffer": b"old"}]
    )
    page.locator("#document-listing").get_by_role("link", name="old.txt", exact=True).wait_for()
    follow(page, page.locator("#document-listing").get_by_role("link", name="old.txt", exact=True))
    page.once("dialog", lambda dialog: dialog.accept())
    follow(page, page.get_by_role("button", name="Move to the trash"))
    assert "is in the trash" in page.locator(".messages").inner_text()
    visit(page, f"/organisations/{organisation.pk}/trash/")
    assert "old.txt" in page.get_by_role("main").inner_text()
    follow(page, page.get_by_role("button", name="Restore old.txt"))
    assert "is back in its folder" in page.locator(".messages").inner_text()
    visit(page, f"/organisations/{organisation.pk}/documents/")
    assert "Margins" not in page.get_by_role("main").inner_text()

    staff = new_page()
    sign_in(staff, "alice@provider.example", PASSWORD)
    visit(staff, f"/organisations/{organisation.pk}/")
    follow(staff, staff.get_by_role("main").get_by_role("link", name="Documents", exact=True))
    assert "You are working in the customer Acme AB" in staff.locator(".context-bar").inner_text()
    assert "customers never see this folder" in staff.get_by_role("main").inner_text()
    follow(staff, staff.get_by_role("link", name="Margins"))
    assert staff.locator(".page-head .badge.internal").is_visible()


def test_the_documents_pages_on_a_phone_in_german(new_page: Any, customer_member: Any, drawings: Any) -> None:
    from kundportal.documents.tests.test_pages import stored

    document = stored(customer_member, drawings, name="Lageplan mit sehr langem Dateinamen.pdf").document
    stored(customer_member, drawings, name="Lageplan mit sehr langem Dateinamen.pdf", data=b"zwei")
    page = new_page(viewport=PHONE, locale="de-DE")
    sign_in(page, "mia@acme.example", PASSWORD)
    visit(page, f"/organisations/{drawings.organisation_id}/documents/")
    visit(page, f"/folders/{drawings.pk}/")
    assert "Neueste: v2" in page.get_by_role("main").inner_text()
    visit(page, f"/documents/{document.pk}/?version=1")
    assert "Es gibt eine neuere Version (v2," in page.get_by_role("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_plain_form_uploads_when_the_script_is_missing(
    page: Any, customer_member: Any, drawings: Any
) -> None:
    # upload.js answered empty: the page stays as the server sent it. (Not a context with JavaScript off:
    # axe-core itself runs as page script, and check_page would wait for it for ever.)
    page.route(
        "**/upload.js", lambda route: route.fulfill(status=200, content_type="text/javascript", body="")
    )
    sign_in(page, "mia@acme.example", PASSWORD)
    visit(page, f"/folders/{drawings.pk}/")
    upload = page.get_by_role("region", name="Upload files")
    assert not upload.get_by_text("Uploading starts right away").is_visible()
    upload.get_by_label("Choose files").set_input_files(
        files=[
            {"name": "a.txt", "mimeType": "text/plain", "buffer": b"a"},
            {"name": "b.txt", "mimeType": "text/plain", "buffer": b"b"},
        ]
    )
    follow(page, upload.get_by_role("button", name="Upload"))
    assert page.locator(".messages .message").all_inner_texts() == [
        "“a.txt” was uploaded.",
        "“b.txt” was uploaded.",
    ]
    assert page.locator("#document-listing").get_by_role("link", name="b.txt", exact=True).is_visible()
