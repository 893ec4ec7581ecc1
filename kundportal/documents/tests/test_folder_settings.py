"""One customer's folder settings: a provider admin adds folders, renames them and changes their access, on the
page and through the API. What the access means is the tenancy policy's (folder_permission): the last tests
check that a changed setting reaches customers through it.
"""

import html
import io
import uuid

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.documents.access import get_folder_for_user
from kundportal.documents.models import Document, Folder, FolderAccess
from kundportal.documents.services import upload_document_version

pytestmark = pytest.mark.django_db

NOT_ADMINS = ["account_manager", "customer_admin", "customer_member", "customer_viewer", "outsider"]
JSON = {"content_type": "application/json"}


def snapshot(organisation):
    return (
        sorted(Folder.objects.filter(organisation=organisation).values_list("name", "access", "position")),
        AuditEvent.objects.filter(action__in=[Action.FOLDER_CREATED, Action.FOLDER_CHANGED]).count(),
    )


@pytest.fixture
def contracts(organisation, account_manager):
    """Acme's "Contracts", read and upload for now, with one document in it."""
    folder = Folder.objects.create(
        organisation=organisation, name="Contracts", access=FolderAccess.READ_WRITE
    )
    access = get_folder_for_user(account_manager, folder.pk, write=True)
    upload_document_version(actor=account_manager, folder=access, name="deal.pdf", stream=io.BytesIO(b"deal"))
    return folder


def form(prefix, name, access):
    return {f"{prefix}-name": name, f"{prefix}-access": access}


# ---------------------------------------------------------------------------------------------------------
# The page


def test_the_documents_page_links_admins_to_the_folder_settings(
    login, provider_admin, account_manager, organisation
):
    link = f'href="/organisations/{organisation.pk}/folders/"'
    assert link in login(provider_admin).get(f"/organisations/{organisation.pk}/documents/").content.decode()
    assert (
        link
        not in login(account_manager).get(f"/organisations/{organisation.pk}/documents/").content.decode()
    )


def test_it_shows_every_folder_with_its_settings(login, provider_admin, organisation, contracts):
    Folder.objects.create(organisation=organisation, name="Notes", access=FolderAccess.INTERNAL)
    response = login(provider_admin).get(f"/organisations/{organisation.pk}/folders/")
    assert response.status_code == 200
    assert [(folder.name, folder.document_count) for folder, _form in response.context["rows"]] == [
        ("Contracts", 1),
        ("Notes", 0),
    ]
    page = response.content.decode()
    assert f'action="/folders/{contracts.pk}/settings/"' in page and "Add a folder" in page
    assert "You are working in the customer Acme AB" in page


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_the_folder_settings_are_for_provider_admins_only(login, request, who, organisation, contracts):
    client = login(request.getfixturevalue(who))
    before = snapshot(organisation)
    assert client.get(f"/organisations/{organisation.pk}/folders/").status_code == 404
    new = form("new", "Sneaky", "read_write")
    assert client.post(f"/organisations/{organisation.pk}/folders/new/", new).status_code == 404
    change = form(contracts.pk, "Hacked", "internal")
    assert client.post(f"/folders/{contracts.pk}/settings/", change).status_code == 404
    assert snapshot(organisation) == before


def test_it_answers_unknown_customers_and_folders_as_not_found(login, provider_admin):
    client = login(provider_admin)
    assert client.get(f"/organisations/{uuid.uuid4()}/folders/").status_code == 404
    assert (
        client.post(f"/organisations/{uuid.uuid4()}/folders/new/", form("new", "A", "read_write")).status_code
        == 404
    )
    assert client.post(f"/folders/{uuid.uuid4()}/settings/", {}).status_code == 404


def test_it_adds_a_folder_after_the_others(login, provider_admin, organisation, contracts):
    Folder.objects.filter(pk=contracts.pk).update(position=4)
    url = f"/organisations/{organisation.pk}/folders/new/"
    response = login(provider_admin).post(url, form("new", "  Drawings ", "upload_only"))
    assert (
        response.status_code == 302 and response["Location"] == f"/organisations/{organisation.pk}/folders/"
    )
    folder = Folder.objects.get(organisation=organisation, name="Drawings")
    assert (folder.access, folder.position) == (FolderAccess.UPLOAD_ONLY, 5)
    [event] = AuditEvent.objects.filter(action=Action.FOLDER_CREATED)
    assert (event.organisation_id, event.target_id, event.data) == (
        organisation.pk,
        str(folder.pk),
        {"access": "upload_only"},
    )


def test_it_renames_a_folder_and_changes_its_access_keeping_its_documents(
    login, provider_admin, organisation, contracts
):
    document = Document.objects.get()
    response = login(provider_admin).post(
        f"/folders/{contracts.pk}/settings/", form(contracts.pk, "Agreements", "read_only"), follow=True
    )
    assert "The folder “Agreements” was saved." in html.unescape(response.content.decode())
    contracts.refresh_from_db()
    assert (contracts.name, contracts.access) == ("Agreements", FolderAccess.READ_ONLY)
    document.refresh_from_db()
    assert document.folder_id == contracts.pk and document.latest is not None
    [event] = AuditEvent.objects.filter(action=Action.FOLDER_CHANGED)
    assert event.data["changes"] == {
        "name": ["Contracts", "Agreements"],
        "access": ["read_write", "read_only"],
    }


def test_a_change_of_capitals_is_a_rename(login, provider_admin, organisation, contracts):
    login(provider_admin).post(
        f"/folders/{contracts.pk}/settings/", form(contracts.pk, "CONTRACTS", "read_write")
    )
    contracts.refresh_from_db()
    assert contracts.name == "CONTRACTS"


def test_saving_unchanged_settings_records_nothing(login, provider_admin, organisation, contracts):
    login(provider_admin).post(
        f"/folders/{contracts.pk}/settings/", form(contracts.pk, "Contracts", "read_write")
    )
    assert not AuditEvent.objects.filter(action=Action.FOLDER_CHANGED).exists()


@pytest.mark.parametrize(
    ("name", "access", "message"),
    [
        ("", "read_write", "This field is required."),
        ("   ", "read_write", "This field is required."),
        ("contracts", "read_write", "This customer has a folder with this name already."),
        ("A\x00B", "read_write", "Null characters are not allowed."),
        ("a\\b", "read_write", "cannot contain / or \\"),
        ("x" * 101, "read_write", "at most 100 characters"),
        ("Fine", "everyone", "Select a valid choice."),
    ],
)
def test_it_refuses_bad_folders_with_a_clear_error_and_changes_nothing(
    login, provider_admin, organisation, contracts, name, access, message
):
    other = Folder.objects.create(organisation=organisation, name="Other")
    client = login(provider_admin)
    before = snapshot(organisation)
    added = client.post(f"/organisations/{organisation.pk}/folders/new/", form("new", name, access))
    renamed = client.post(f"/folders/{other.pk}/settings/", form(other.pk, name, access))
    for response in (added, renamed):
        assert response.status_code == 400
        assert message in html.unescape(response.content.decode())
    assert snapshot(organisation) == before


# ---------------------------------------------------------------------------------------------------------
# The API


def test_the_api_adds_a_folder(api_client, provider_admin, organisation):
    url = f"/api/v1/organisations/{organisation.pk}/folders"
    response = api_client(provider_admin).post(url, {"name": "Invoices", "access": "read_only"}, **JSON)
    assert response.status_code == 201, response.content
    folder = Folder.objects.get(organisation=organisation)
    assert response.json() == {
        "id": str(folder.pk),
        "name": "Invoices",
        "access": "read_only",
        "can_upload": True,
    }


def test_the_api_changes_a_folder(api_client, provider_admin, contracts):
    client = api_client(provider_admin)
    response = client.patch(f"/api/v1/folders/{contracts.pk}", {"access": "internal"}, **JSON)
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Contracts" and response.json()["access"] == "internal"
    response = client.patch(f"/api/v1/folders/{contracts.pk}", {"name": "Old contracts"}, **JSON)
    assert (response.json()["name"], response.json()["access"]) == ("Old contracts", "internal")
    assert AuditEvent.objects.filter(action=Action.FOLDER_CHANGED).count() == 2


def test_the_api_hides_folder_settings_from_the_outsider(api_client, outsider, organisation, contracts):
    client = api_client(outsider)
    before = snapshot(organisation)
    response = client.post(f"/api/v1/organisations/{organisation.pk}/folders", {"name": "X"}, **JSON)
    assert response.status_code == 404
    assert client.patch(f"/api/v1/folders/{contracts.pk}", {"name": "X"}, **JSON).status_code == 404
    assert snapshot(organisation) == before


@pytest.mark.parametrize("who", ["account_manager", "customer_admin", "customer_member", "customer_viewer"])
def test_the_api_forbids_folder_settings_to_everyone_else_who_sees_the_customer(
    api_client, request, who, organisation, contracts
):
    client = api_client(request.getfixturevalue(who))
    before = snapshot(organisation)
    response = client.post(f"/api/v1/organisations/{organisation.pk}/folders", {"name": "X"}, **JSON)
    assert response.status_code == 403
    response = client.patch(f"/api/v1/folders/{contracts.pk}", {"access": "internal"}, **JSON)
    assert response.status_code == 403
    assert snapshot(organisation) == before


def test_the_api_does_not_reveal_an_internal_folder_to_customers(api_client, customer_admin, organisation):
    internal = Folder.objects.create(organisation=organisation, name="Internal", access=FolderAccess.INTERNAL)
    response = api_client(customer_admin).patch(
        f"/api/v1/folders/{internal.pk}", {"access": "read_write"}, **JSON
    )
    assert response.status_code == 404
    internal.refresh_from_db()
    assert internal.access == FolderAccess.INTERNAL


def test_the_api_answers_unknown_and_malformed_ids(api_client, provider_admin):
    client = api_client(provider_admin)
    assert (
        client.post(f"/api/v1/organisations/{uuid.uuid4()}/folders", {"name": "X"}, **JSON).status_code == 404
    )
    assert client.patch(f"/api/v1/folders/{uuid.uuid4()}", {"name": "X"}, **JSON).status_code == 404
    assert client.patch("/api/v1/folders/nope", {"name": "X"}, **JSON).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "  "},
        {"name": "contracts"},
        {"name": "A\x00"},
        {"name": "a/b"},
        {"name": "x" * 101},
        {"name": "Fine", "access": "everyone"},
        {"access": "public"},
        {"name": 7},
    ],
)
def test_the_api_refuses_bad_folders_and_changes_nothing(
    api_client, provider_admin, organisation, contracts, body
):
    other = Folder.objects.create(organisation=organisation, name="Other")
    client = api_client(provider_admin)
    before = snapshot(organisation)
    post = {"name": "Fine", **body}
    assert client.post(f"/api/v1/organisations/{organisation.pk}/folders", post, **JSON).status_code == 422
    assert client.patch(f"/api/v1/folders/{other.pk}", body, **JSON).status_code == 422
    assert snapshot(organisation) == before


# ---------------------------------------------------------------------------------------------------------
# The setting reaches customers through the tenancy policy


def test_a_read_only_folder_refuses_customer_uploads(api_client, provider_admin, customer_member, contracts):
    api_client(provider_admin).patch(f"/api/v1/folders/{contracts.pk}", {"access": "read_only"}, **JSON)
    client = api_client(customer_member)
    upload = io.BytesIO(b"mine")
    upload.name = "mine.pdf"
    assert client.post(f"/api/v1/folders/{contracts.pk}/documents", {"file": upload}).status_code == 403
    assert [
        f["can_upload"]
        for f in client.get(f"/api/v1/organisations/{contracts.organisation_id}/folders").json()
    ] == [False]


def test_a_folder_made_internal_disappears_for_customers(
    api_client, login, provider_admin, customer_viewer, contracts
):
    login(provider_admin).post(
        f"/folders/{contracts.pk}/settings/", form(contracts.pk, "Contracts", "internal")
    )
    client = api_client(customer_viewer)
    assert client.get(f"/api/v1/organisations/{contracts.organisation_id}/folders").json() == []
    assert client.get(f"/api/v1/documents/{Document.objects.get().pk}").status_code == 404
