"""Conversations in the browser: a customer replies in a thread about a drawing, the account manager's unread count
rises without a reload, the manager adds an internal note that the customer never sees. axe-core and the CSP
are checked on every page, also in the phone layout."""

from __future__ import annotations

import io
from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import PHONE, check_page, follow, sign_in, visit

pytestmark = pytest.mark.browser

NOTE = "Check the price with purchasing before answering"
BADGE_WAIT_MS = 30_000  # the navigation polls every 20 s


@pytest.fixture
def drawing_thread(organisation: Any, customer_member: Any, account_manager: Any) -> Any:
    """Acme's drawing "facade.pdf" and a conversation about it that the account manager started."""
    from kundportal.documents.access import get_folder_for_user
    from kundportal.documents.models import Folder, FolderAccess
    from kundportal.documents.services import upload_document_version
    from kundportal.messaging import threads

    folder = Folder.objects.create(organisation=organisation, name="Drawings", access=FolderAccess.READ_WRITE)
    access = get_folder_for_user(account_manager, folder.pk, write=True)
    version = upload_document_version(
        actor=account_manager, folder=access, name="facade.pdf", stream=io.BytesIO(b"%PDF-1.4 facade")
    )
    thread = threads.start_thread(
        actor=account_manager,
        organisation=organisation,
        subject="Facade colour",
        body="Here is the facade drawing. Which **colour** do you prefer?",
        document=version.document,
    )
    return thread


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_customer_replies_manager_sees_count_and_adds_an_internal_note(
    new_page: Any, viewport: Any, drawing_thread: Any
) -> None:
    options = {"viewport": viewport} if viewport else {}
    manager = new_page(**options)
    sign_in(manager, "mads@provider.example", PASSWORD)
    count = manager.locator("#nav-thread-count")
    manager.wait_for_load_state("networkidle")
    assert count.inner_text().strip() == ""

    # The customer finds the conversation on the drawing's page and replies.
    customer = new_page(**options)
    sign_in(customer, "mia@acme.example", PASSWORD)
    visit(customer, f"/documents/{drawing_thread.document_id}/")
    threads_card = customer.locator("section.object-threads")
    assert "Facade colour" in threads_card.inner_text()
    follow(customer, threads_card.get_by_role("link", name="Facade colour"))
    assert customer.get_by_role("heading", level=1).inner_text() == "Facade colour"
    assert "facade.pdf" in customer.locator("dl.facts").inner_text()
    reply = customer.locator("form[action$='/reply/']")
    reply.get_by_label("Your reply").fill("We prefer *dark grey*, like the roof.")
    follow(customer, reply.get_by_role("button", name="Send reply"))
    assert customer.locator("em", has_text="dark grey").count() == 1

    # The manager's navigation shows the unread conversation without a reload.
    url_before = manager.url
    count.get_by_text("1", exact=True).wait_for(timeout=BADGE_WAIT_MS)
    assert manager.url == url_before
    assert "1 unread conversation" in count.inner_text() or count.locator(".visually-hidden").count() == 1
    check_page(manager)

    follow(manager, manager.locator("nav.mainnav").get_by_role("link", name="Messages"))
    follow(manager, manager.get_by_role("link", name="Facade colour"))
    assert "dark grey" in manager.locator("ol.message-list").inner_text()
    note = manager.locator("form[action$='/note/']")
    note.get_by_role("textbox").fill(NOTE)
    follow(manager, note.get_by_role("button", name="Add internal note"))
    shown = manager.locator("li.internal-note")
    assert NOTE in shown.inner_text()
    assert "customers cannot see this" in shown.inner_text()

    # The customer reloads: the note is nowhere, not in the thread, the list or a search for its words.
    visit(customer, f"/messages/{drawing_thread.pk}/")
    assert NOTE not in customer.content()
    assert customer.locator("li.internal-note").count() == 0
    visit(customer, "/messages/?q=purchasing")
    assert "Facade colour" not in customer.locator("main").inner_text()
    assert NOTE not in customer.content()


def test_thread_pages_in_german(new_page: Any, drawing_thread: Any, customer_admin: Any) -> None:
    page = new_page(locale="de-DE")
    sign_in(page, "carl@acme.example", PASSWORD)
    visit(page, "/messages/")
    assert page.get_by_role("heading", level=1).inner_text() == "Nachrichten"
    follow(page, page.get_by_role("link", name="Facade colour"))
    assert page.get_by_role("button", name="Antwort senden").count() == 1
    visit(page, "/messages/new/")
    visit(page, "/notifications/")
    visit(page, "/notifications/settings/")
