"""The privacy centre in the browser, in German: a customer prepares and downloads their data, sees which provider
staff looked at their data, and deletes their account after giving the password again. The provider admin's
privacy pages too. axe-core and the CSP are checked on every page."""

from __future__ import annotations

import json
import zipfile
from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import PHONE, check_page, follow, sign_in, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def looked_at(organisation: Any, account_manager: Any, customer_member: Any) -> None:
    """The account manager opened Acme's customer data once: the customers see it under "who accessed"."""
    from kundportal.audit.models import Action
    from kundportal.audit.services import record_event

    record_event(
        Action.CUSTOMER_VIEWED, actor=account_manager, organisation=organisation, target=organisation
    )


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_a_customer_downloads_their_data_in_german(
    new_page: Any, viewport: Any, looked_at: None, customer_member: Any, tmp_path: Any
) -> None:
    page = new_page(locale="de-DE", **({"viewport": viewport} if viewport else {}))
    sign_in(page, "mia@acme.example", PASSWORD)
    visit(page, "/privacy/")
    assert page.get_by_role("heading", level=1).inner_text() == "Datenschutz"
    accesses = page.locator("section[aria-labelledby=accesses-title]")
    assert "Mads Manager" in accesses.inner_text()

    # The worker runs the job at once in the tests (django.tasks' immediate backend): ready after the post.
    follow(page, page.get_by_role("button", name="Meine Daten zum Download vorbereiten"))
    status = page.locator("#export-status")
    link = status.get_by_role("link")
    assert link.count() == 1, status.inner_text()
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "export.zip"
    download.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("data.json"))
        assert "README.html" in archive.namelist()
    assert data["format"] == "kundportal-export/1"
    assert "mia@acme.example" in json.dumps(data)
    check_page(page)


def test_a_customer_deletes_their_account_after_giving_the_password_again(
    new_page: Any, customer_member: Any, customer_admin: Any
) -> None:
    from kundportal.accounts.models import User

    page = new_page(locale="de-DE")
    sign_in(page, "mia@acme.example", PASSWORD)
    visit(page, "/privacy/")
    form = page.locator("section[aria-labelledby=erase-title] form")
    form.locator("input[type=password]").fill("not my password")
    follow(page, form.get_by_role("button", name="Mein Konto löschen"))
    assert User.objects.filter(email="mia@acme.example").exists()
    assert page.get_by_role("alert").count() >= 1

    form = page.locator("section[aria-labelledby=erase-title] form")
    form.locator("input[type=password]").fill(PASSWORD)
    follow(page, form.get_by_role("button", name="Mein Konto löschen"))
    assert not User.objects.filter(email="mia@acme.example").exists()
    assert "/privacy/erased/" in page.url

    sign_in(page, "mia@acme.example", PASSWORD)
    assert "/account/login/" in page.url


def test_provider_admin_privacy_pages(new_page: Any, provider_admin: Any, organisation: Any) -> None:
    page = new_page(locale="de-DE")
    sign_in(page, "alice@provider.example", PASSWORD)
    for path in (
        "/privacy/manage/",
        "/privacy/records/",
        "/privacy/notice/",
        "/privacy/notice/edit/",
        "/privacy/purposes/",
        "/audit/",
    ):
        visit(page, path)
