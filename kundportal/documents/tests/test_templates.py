"""Folder templates: the provider admin's pages, the rules in documents.folders, and applying a template to
customers without touching their files.

alice: provider admin · mads: account manager · carl: customer admin · mia: member · vera: viewer ·
otto: admin of another customer (the outsider).
"""

import html
import io
import uuid

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.documents.access import get_folder_for_user, visible_folders
from kundportal.documents.folders import (
    apply_folder_template,
    create_folder_template,
    default_template,
)
from kundportal.documents.models import Document, Folder, FolderAccess, FolderTemplate, FolderTemplateEntry
from kundportal.documents.services import upload_document_version
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db

NOT_ADMINS = ["account_manager", "customer_admin", "customer_member", "customer_viewer", "outsider"]
STANDARD = ["Offers", "Contracts", "Drawings", "Invoices", "Customer uploads", "Internal"]


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def folder_names(organisation):
    return sorted(Folder.objects.filter(organisation=organisation).values_list("name", flat=True))


def template_data(name, rows, *, is_default=False, initial=0, blank=2, delete=()):
    """The edit form as a browser sends it: rows of (folder name, access, order), then empty rows."""
    data = {
        "name": name,
        "entries-TOTAL_FORMS": str(len(rows) + blank),
        "entries-INITIAL_FORMS": str(initial),
        "entries-MIN_NUM_FORMS": "0",
        "entries-MAX_NUM_FORMS": "100",
    }
    if is_default:
        data["is_default"] = "on"
    for index, (folder, access, order) in enumerate(rows):
        data |= {f"entries-{index}-name": folder, f"entries-{index}-access": access}
        data[f"entries-{index}-ORDER"] = str(order)
        if index in delete:
            data[f"entries-{index}-DELETE"] = "on"
    for index in range(len(rows), len(rows) + blank):
        data |= {f"entries-{index}-name": "", f"entries-{index}-access": "read_write"}
        data[f"entries-{index}-ORDER"] = ""
    return data


def snapshot():
    """Everything a refused change must leave as it was."""
    return (
        sorted(FolderTemplate.objects.values_list("name", "is_default")),
        sorted(FolderTemplateEntry.objects.values_list("template__name", "name", "access", "position")),
        sorted(Folder.objects.values_list("organisation__name", "name", "access")),
        AuditEvent.objects.filter(action__startswith="doc.").count(),
    )


@pytest.fixture
def projects(provider_admin):
    """A second template, not the default."""
    default_template()
    return create_folder_template(
        actor=provider_admin,
        name="Projects",
        entries=[("Plans", "read_write"), ("Contracts", "read_only"), ("Notes", "internal")],
    )


# ---------------------------------------------------------------------------------------------------------
# Who may see the pages


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_it_hides_every_template_page_from_everyone_but_provider_admins(login, request, who, projects):
    client = login(request.getfixturevalue(who))
    before = snapshot()
    pages = ["/staff/folder-templates/", "/staff/folder-templates/new/", "/staff/folder-templates/apply/"]
    pages.append(f"/staff/folder-templates/{projects.pk}/")
    for page in pages:
        assert client.get(page).status_code == 404, page
    assert (
        client.post("/staff/folder-templates/new/", template_data("X", [("A", "read_write", 1)])).status_code
        == 404
    )
    edit = template_data("Hacked", [("A", "internal", 1)], initial=3)
    assert client.post(f"/staff/folder-templates/{projects.pk}/", edit).status_code == 404
    assert client.post(f"/staff/folder-templates/{projects.pk}/delete/").status_code == 404
    apply = {"template": projects.pk, "scope": "all"}
    assert client.post("/staff/folder-templates/apply/", apply).status_code == 404
    assert snapshot() == before


def test_it_sends_anonymous_visitors_to_the_login(client, projects):
    response = client.get("/staff/folder-templates/")
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_it_answers_an_unknown_template_as_not_found(login, provider_admin):
    client = login(provider_admin)
    assert client.get(f"/staff/folder-templates/{uuid.uuid4()}/").status_code == 404
    assert client.post(f"/staff/folder-templates/{uuid.uuid4()}/delete/").status_code == 404


def test_the_settings_page_links_to_the_templates(login, provider_admin):
    assert b'href="/staff/folder-templates/"' in login(provider_admin).get("/staff/").content


# ---------------------------------------------------------------------------------------------------------
# The list


def test_it_lists_the_templates_with_their_folders_and_customers(
    login, provider_admin, organisation, projects
):
    apply_folder_template(actor=provider_admin, template=projects, organisation_ids=[organisation.pk])
    response = login(provider_admin).get("/staff/folder-templates/")
    assert response.status_code == 200
    rows = {t.name: t for t in response.context["templates"]}
    assert list(rows) == ["Standard", "Projects"]  # the default first
    assert rows["Standard"].is_default and rows["Standard"].customer_count == 0
    assert rows["Projects"].customer_count == 1
    page = response.content.decode()
    assert "Default for new customers" in page and "6 folders" in page and "3 folders" in page
    assert "1 customer" in page


def test_it_shows_the_starter_template_on_a_fresh_installation(login, provider_admin):
    response = login(provider_admin).get("/staff/folder-templates/")
    [template] = response.context["templates"]
    assert template.name == "Standard" and template.is_default
    assert [e.name for e in template.entries.all()] == STANDARD
    assert template.entries.get(name="Internal").access == FolderAccess.INTERNAL


# ---------------------------------------------------------------------------------------------------------
# Create and edit


def test_it_creates_a_template_in_the_order_given(login, provider_admin):
    data = template_data(
        " Engineering ",
        [("Drawings", "read_write", 2), ("Offers", "read_only", 1), ("Uploads", "upload_only", "")],
    )
    response = login(provider_admin).post("/staff/folder-templates/new/", data)
    assert response.status_code == 302 and response["Location"] == "/staff/folder-templates/"
    template = FolderTemplate.objects.get(name="Engineering")
    entries = list(template.entries.values_list("name", "access", "position"))
    assert entries == [
        ("Offers", "read_only", 0),
        ("Drawings", "read_write", 1),
        ("Uploads", "upload_only", 2),
    ]
    # The first template of an installation becomes the default; here "Standard" never existed.
    assert template.is_default
    [event] = events(Action.FOLDER_TEMPLATE_CREATED)
    assert event.actor == provider_admin and event.target_id == str(template.pk)
    assert event.data["folders"][0] == ["Offers", "read_only"]


def test_it_shows_the_edit_form_with_three_empty_rows(login, provider_admin, projects):
    response = login(provider_admin).get(f"/staff/folder-templates/{projects.pk}/")
    entries = response.context["entries"]
    assert entries.initial_form_count() == 3 and entries.total_form_count() == 6
    assert [form.initial["name"] for form in entries.forms[:3]] == ["Plans", "Contracts", "Notes"]
    page = response.content.decode()
    assert 'name="entries-TOTAL_FORMS"' in page and "Delete this template" in page


def test_it_reorders_renames_removes_and_adds_folders(login, provider_admin, projects):
    data = template_data(
        "Projects 2026",
        [
            ("Plans", "read_write", 3),
            ("Agreements", "read_only", 1),
            ("Notes", "internal", 2),
            ("New", "read_write", 4),
        ],
        initial=3,
        delete={2},
    )
    response = login(provider_admin).post(f"/staff/folder-templates/{projects.pk}/", data)
    assert response.status_code == 302
    projects.refresh_from_db()
    assert projects.name == "Projects 2026"
    assert list(projects.entries.values_list("name", "position")) == [
        ("Agreements", 0),
        ("Plans", 1),
        ("New", 2),
    ]
    [event] = events(Action.FOLDER_TEMPLATE_CHANGED)
    assert event.data["changes"]["name"] == ["Projects", "Projects 2026"]


def test_it_keeps_exactly_one_default(login, provider_admin, projects):
    client = login(provider_admin)
    rows = [("Plans", "read_write", 1), ("Contracts", "read_only", 2), ("Notes", "internal", 3)]
    response = client.post(
        f"/staff/folder-templates/{projects.pk}/", template_data("Projects", rows, is_default=True, initial=3)
    )
    assert response.status_code == 302
    assert list(FolderTemplate.objects.filter(is_default=True)) == [projects]
    # Unticking the default is refused: new customers always get one template.
    response = client.post(
        f"/staff/folder-templates/{projects.pk}/", template_data("Projects", rows, initial=3)
    )
    assert response.status_code == 400
    assert "Make another template the default instead." in response.content.decode()
    assert list(FolderTemplate.objects.filter(is_default=True)) == [projects]


def test_a_new_default_template_takes_the_role(provider_admin, projects):
    new = create_folder_template(
        actor=provider_admin, name="New", entries=[("A", "read_write")], is_default=True
    )
    assert list(FolderTemplate.objects.filter(is_default=True)) == [new]


@pytest.mark.parametrize(
    ("name", "rows", "message"),
    [
        ("", [("A", "read_write", 1)], "This field is required."),
        ("   ", [("A", "read_write", 1)], "This field is required."),
        (
            "T",
            [("Offers", "read_write", 1), ("offers", "read_only", 2)],
            "The folder “offers” appears twice.",
        ),
        ("T", [("Offers", "read_write", 1), (" Offers ", "read_only", 2)], "appears twice"),
        ("T", [], "Add at least one folder."),
        ("T", [("A\x00B", "read_write", 1)], "Null characters are not allowed."),
        ("T\x00", [("A", "read_write", 1)], "Null characters are not allowed."),
        ("T", [("a/b", "read_write", 1)], "cannot contain / or \\"),
        ("T", [("..", "read_write", 1)], "not only dots or spaces"),
        ("T", [("A", "everyone", 1)], "Select a valid choice."),
        ("T", [("A", "read_write", "first")], "Enter a whole number."),
        ("T", [("x" * 101, "read_write", 1)], "at most 100 characters"),
        ("Standard", [("A", "read_write", 1)], "A template with this name exists already."),
        ("standard", [("A", "read_write", 1)], "A template with this name exists already."),
    ],
)
def test_it_refuses_bad_input_with_a_clear_error_and_changes_nothing(
    login, provider_admin, projects, name, rows, message
):
    client = login(provider_admin)
    before = snapshot()
    response = client.post("/staff/folder-templates/new/", template_data(name, rows))
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert message in page
    assert "Nothing was saved" in page
    assert snapshot() == before


def test_an_empty_name_in_an_existing_row_is_an_error_not_a_removal(login, provider_admin, projects):
    before = snapshot()
    data = template_data(
        "Projects",
        [("", "read_write", 1), ("Contracts", "read_only", 2), ("Notes", "internal", 3)],
        initial=3,
    )
    response = login(provider_admin).post(f"/staff/folder-templates/{projects.pk}/", data)
    assert response.status_code == 400 and response.context["entries"].forms[0].errors["name"]
    assert snapshot() == before


def test_it_refuses_a_forged_management_form(login, provider_admin, projects):
    before = snapshot()
    data = template_data("Projects", [("A", "read_write", 1)])
    data["entries-TOTAL_FORMS"] = "100000"
    response = login(provider_admin).post("/staff/folder-templates/new/", data)
    assert response.status_code == 400
    assert snapshot() == before


# ---------------------------------------------------------------------------------------------------------
# Delete


def test_it_deletes_a_template_and_keeps_the_folders_it_gave(login, provider_admin, organisation, projects):
    apply_folder_template(actor=provider_admin, template=projects, organisation_ids=[organisation.pk])
    response = login(provider_admin).post(f"/staff/folder-templates/{projects.pk}/delete/")
    assert response.status_code == 302
    assert not FolderTemplate.objects.filter(pk=projects.pk).exists()
    assert folder_names(organisation) == ["Contracts", "Notes", "Plans"]
    [event] = events(Action.FOLDER_TEMPLATE_DELETED)
    assert event.target_label == "Projects"


def test_it_refuses_to_delete_the_default_template(login, provider_admin, projects):
    standard = default_template()
    response = login(provider_admin).post(f"/staff/folder-templates/{standard.pk}/delete/", follow=True)
    assert FolderTemplate.objects.filter(pk=standard.pk, is_default=True).exists()
    assert "Make another template the default first." in response.content.decode()
    assert not events(Action.FOLDER_TEMPLATE_DELETED)


def test_it_only_deletes_with_post(login, provider_admin, projects):
    assert login(provider_admin).get(f"/staff/folder-templates/{projects.pk}/delete/").status_code == 405
    assert FolderTemplate.objects.filter(pk=projects.pk).exists()


# ---------------------------------------------------------------------------------------------------------
# Applying


@pytest.fixture
def offers_with_a_file(organisation, account_manager):
    """Acme already has a folder "offers" (other capitals than the template's), with a document in it."""
    folder = Folder.objects.create(
        organisation=organisation, name="offers", access=FolderAccess.READ_WRITE, position=7
    )
    Folder.objects.create(
        organisation=organisation, name="Own folder", access=FolderAccess.INTERNAL, position=0
    )
    access = get_folder_for_user(account_manager, folder.pk, write=True)
    upload_document_version(
        actor=account_manager, folder=access, name="offer.pdf", stream=io.BytesIO(b"offer v1")
    )
    return folder


def test_applying_creates_only_the_missing_folders_and_leaves_documents_alone(
    provider_admin, organisation, offers_with_a_file
):
    document = Document.objects.get()
    before = (document.folder_id, document.name, document.latest_id, document.updated_at, document.deleted_at)
    result = apply_folder_template(
        actor=provider_admin, template=default_template(), organisation_ids=[organisation.pk]
    )
    assert [f.name for f in result.created[organisation.pk]] == STANDARD[1:]  # "offers" is there already
    assert folder_names(organisation) == sorted(["offers", "Own folder", *STANDARD[1:]])
    offers_with_a_file.refresh_from_db()
    assert (offers_with_a_file.name, offers_with_a_file.access, offers_with_a_file.position) == (
        "offers",
        FolderAccess.READ_WRITE,
        7,
    )
    document.refresh_from_db()
    assert (
        document.folder_id,
        document.name,
        document.latest_id,
        document.updated_at,
        document.deleted_at,
    ) == before
    assert document.versions.count() == 1
    [event] = events(Action.FOLDERS_APPLIED)
    assert event.organisation_id == organisation.pk and event.actor == provider_admin
    assert event.data["folders"] == STANDARD[1:] and event.data["access_changed"] == []
    assert organisation.folder_templates.get() == default_template()


def test_applying_again_changes_nothing(provider_admin, organisation):
    template = default_template()
    apply_folder_template(actor=provider_admin, template=template, organisation_ids=[organisation.pk])
    before = snapshot()
    result = apply_folder_template(
        actor=provider_admin, template=template, organisation_ids=[organisation.pk]
    )
    assert result.created_count == 0 and result.changed_organisations == 0
    assert snapshot() == before


def test_applying_changes_access_of_existing_folders_only_when_asked(
    provider_admin, organisation, offers_with_a_file
):
    template = default_template()
    apply_folder_template(actor=provider_admin, template=template, organisation_ids=[organisation.pk])
    offers_with_a_file.refresh_from_db()
    assert offers_with_a_file.access == FolderAccess.READ_WRITE
    result = apply_folder_template(
        actor=provider_admin, template=template, organisation_ids=[organisation.pk], update_access=True
    )
    assert result.created_count == 0 and result.access_changed_count == 1
    offers_with_a_file.refresh_from_db()
    assert (offers_with_a_file.name, offers_with_a_file.access) == ("offers", FolderAccess.READ_ONLY)
    assert Document.objects.get().folder_id == offers_with_a_file.pk
    event = AuditEvent.objects.filter(action=Action.FOLDERS_APPLIED).order_by("at").last()
    assert event.data["access_changed"] == [["offers", "read_write", "read_only"]]


@pytest.mark.parametrize("who", ["customer_admin", "customer_member", "customer_viewer"])
def test_internal_folders_stay_invisible_to_customers_after_applying(
    provider_admin, organisation, request, api_client, login, who
):
    apply_folder_template(actor=provider_admin, template=default_template(), organisation_ids=None)
    internal = Folder.objects.get(organisation=organisation, name="Internal")
    customer = request.getfixturevalue(who)
    assert not visible_folders(customer).filter(pk=internal.pk).exists()
    listed = api_client(customer).get(f"/api/v1/organisations/{organisation.pk}/folders").json()
    assert [f["name"] for f in listed] == STANDARD[:-1]
    client = login(customer)
    assert "Internal" not in client.get(f"/organisations/{organisation.pk}/documents/").content.decode()
    assert client.get(f"/folders/{internal.pk}/").status_code == 404


def test_applying_to_every_customer_takes_the_same_queries_for_many(
    provider_admin, django_assert_max_num_queries
):
    template = default_template()

    def apply_to_customers(count):
        Organisation.objects.all().delete()
        Organisation.objects.bulk_create(Organisation(name=f"Customer {n}") for n in range(count))
        with django_assert_max_num_queries(9) as captured:
            result = apply_folder_template(actor=provider_admin, template=template, organisation_ids=None)
        assert result.created_count == count * len(STANDARD)
        return len(captured)

    few, many = apply_to_customers(2), apply_to_customers(60)
    assert few == many
    assert AuditEvent.objects.filter(action=Action.FOLDERS_APPLIED).count() == 62  # one row per customer


def test_applying_refuses_unknown_customers_and_changes_nothing(provider_admin, organisation):
    before = snapshot()
    with pytest.raises(Exception) as refused:
        apply_folder_template(
            actor=provider_admin,
            template=default_template(),
            organisation_ids=[organisation.pk, uuid.uuid4()],
        )
    assert "do not exist" in str(refused.value)
    assert snapshot()[2:] == before[2:]


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_only_provider_admins_may_apply(request, who, organisation):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        apply_folder_template(
            actor=request.getfixturevalue(who),
            template=default_template(),
            organisation_ids=[organisation.pk],
        )
    assert not Folder.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# The apply page


def test_the_apply_page_preselects_what_the_link_says(login, provider_admin, organisation, projects):
    response = login(provider_admin).get(
        f"/staff/folder-templates/apply/?template={projects.pk}&organisation={organisation.pk}"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'value="{organisation.pk}" id="id_organisations_0" checked' in page
    assert response.context["form"].initial["template"] == str(projects.pk)
    assert "never renamed, moved or deleted" in page


def test_the_apply_page_applies_to_every_customer_and_sums_up(
    login, provider_admin, organisation, other_organisation, offers_with_a_file
):
    data = {"template": default_template().pk, "scope": "all"}
    response = login(provider_admin).post("/staff/folder-templates/apply/", data, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/folder-templates/"
    page = response.content.decode()
    assert "Created 11 folders for 2 customers." in page
    assert folder_names(other_organisation) == sorted(STANDARD)
    offers_with_a_file.refresh_from_db()
    assert offers_with_a_file.access == FolderAccess.READ_WRITE  # not ticked: left alone


def test_the_apply_page_changes_access_when_ticked(login, provider_admin, organisation, offers_with_a_file):
    data = {
        "template": default_template().pk,
        "scope": "chosen",
        "organisations": [organisation.pk],
        "update_access": "on",
    }
    response = login(provider_admin).post("/staff/folder-templates/apply/", data, follow=True)
    # One customer: back to its folder settings, where the new folders show.
    assert response.redirect_chain[-1][0] == f"/organisations/{organisation.pk}/folders/"
    page = response.content.decode()
    assert "Created 5 folders for 1 customer." in page and "Changed the access of 1 existing folder." in page
    offers_with_a_file.refresh_from_db()
    assert offers_with_a_file.access == FolderAccess.READ_ONLY


def test_the_apply_page_says_when_nothing_was_missing(login, provider_admin, organisation):
    apply_folder_template(
        actor=provider_admin, template=default_template(), organisation_ids=[organisation.pk]
    )
    data = {"template": default_template().pk, "scope": "chosen", "organisations": [organisation.pk]}
    response = login(provider_admin).post("/staff/folder-templates/apply/", data, follow=True)
    assert "Nothing was changed." in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"scope": "chosen"},
        {"scope": "chosen", "organisations": [str(uuid.uuid4())]},
        {"scope": "chosen", "organisations": ["not-an-id"]},
        {"scope": "everyone"},
        {"scope": "all", "template": str(uuid.uuid4())},
    ],
)
def test_the_apply_page_refuses_bad_choices_and_changes_nothing(login, provider_admin, organisation, data):
    data = {"template": default_template().pk, **data}
    before = snapshot()
    response = login(provider_admin).post("/staff/folder-templates/apply/", data)
    assert response.status_code == 400
    assert "Nothing was changed." in response.content.decode()
    assert snapshot() == before
