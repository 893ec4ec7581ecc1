"""A provider admin builds a folder template, makes a mistake on the way, and applies it to a customer; every
page is checked by axe-core and for CSP violations (also on a phone)."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import PASSWORD

from .conftest import PHONE, follow, sign_in, visit

pytestmark = pytest.mark.browser


def test_an_admin_builds_a_template_and_applies_it(page: Any, provider_admin: Any, organisation: Any) -> None:
    from kundportal.documents.models import Folder

    sign_in(page, "alice@provider.example", PASSWORD)
    follow(page, page.locator("nav.mainnav").get_by_role("link", name="Settings"))
    follow(page, page.get_by_role("link", name="Folder templates"))
    follow(page, page.get_by_role("link", name="New template"))

    page.get_by_label("Template name").fill("Engineering")
    page.get_by_label("Folder name, row 1").fill("Drawings")
    page.get_by_label("Folder name, row 2").fill("drawings")
    follow(page, page.get_by_role("button", name="Save template"))
    main = page.get_by_role("main")
    assert "The folder “drawings” appears twice." in main.inner_text()

    page.get_by_label("Folder name, row 2").fill("Internal notes")
    page.get_by_label("Customer access, row 2").select_option("internal")
    follow(page, page.get_by_role("button", name="Save template"))
    assert "The template “Engineering” was created." in main.inner_text()

    follow(page, page.get_by_role("link", name="Apply Engineering"))
    page.get_by_label("Acme AB").check()
    follow(page, page.get_by_role("button", name="Apply template"))
    assert "Created 2 folders for 1 customer." in main.inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Folder settings"
    assert sorted(Folder.objects.filter(organisation=organisation).values_list("name", "access")) == [
        ("Drawings", "read_write"),
        ("Internal notes", "internal"),
    ]

    page.set_viewport_size(PHONE)
    visit(page, f"/organisations/{organisation.pk}/folders/")
    visit(page, "/staff/folder-templates/")
