"""The folder templates API: staff read, provider admins change and apply; customers are not told templates
exist (404), account managers may look but not change (403). Bad input is refused with 422 and changes nothing.
"""

import uuid

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.documents.folders import apply_folder_template, create_folder_template, default_template
from kundportal.documents.models import Folder, FolderAccess, FolderTemplate, FolderTemplateEntry
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db

CUSTOMERS = ["customer_admin", "customer_member", "customer_viewer", "outsider"]
NOT_FOUND = {"detail": "Not Found"}
FORBIDDEN = {"detail": "You may not do this."}
JSON = {"content_type": "application/json"}
ENTRIES = [{"name": "Plans", "access": "read_write"}, {"name": "Secret", "access": "internal"}]


def snapshot():
    return (
        sorted(FolderTemplate.objects.values_list("name", "is_default")),
        sorted(FolderTemplateEntry.objects.values_list("template__name", "name", "access", "position")),
        sorted(Folder.objects.values_list("organisation__name", "name", "access")),
        AuditEvent.objects.filter(action__startswith="doc.").count(),
    )


@pytest.fixture
def projects(provider_admin):
    default_template()
    return create_folder_template(
        actor=provider_admin, name="Projects", entries=[("Plans", "read_write"), ("Contracts", "read_only")]
    )


def every_call(template_id):
    """Each endpoint with a body that would be valid for a provider admin."""
    body = {"name": "Changed", "entries": ENTRIES}
    return [
        ("get", "/api/v1/folder-templates", None),
        ("post", "/api/v1/folder-templates", body),
        ("get", f"/api/v1/folder-templates/{template_id}", None),
        ("put", f"/api/v1/folder-templates/{template_id}", body),
        ("delete", f"/api/v1/folder-templates/{template_id}", None),
        ("post", f"/api/v1/folder-templates/{template_id}/apply", {"all_organisations": True}),
    ]


def call(client, method, url, body):
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, body, **JSON)


# ---------------------------------------------------------------------------------------------------------
# Who may do what


@pytest.mark.parametrize("who", CUSTOMERS)
def test_customers_are_not_told_templates_exist(api_client, request, who, organisation, projects):
    client = api_client(request.getfixturevalue(who))
    before = snapshot()
    for method, url, body in every_call(projects.pk):
        response = call(client, method, url, body)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), (method, url)
    assert snapshot() == before


def test_an_account_manager_reads_templates_but_may_not_change_them(
    api_client, account_manager, organisation, projects
):
    client = api_client(account_manager)
    before = snapshot()
    for method, url, body in every_call(projects.pk):
        response = call(client, method, url, body)
        expected = 200 if method == "get" else 403
        assert response.status_code == expected, (method, url, response.content)
        if expected == 403:
            assert response.json() == FORBIDDEN
    assert snapshot() == before


def test_it_answers_unknown_and_malformed_template_ids(api_client, provider_admin):
    client = api_client(provider_admin)
    for method, url, body in every_call(uuid.uuid4())[2:]:
        assert call(client, method, url, body).status_code == 404, (method, url)
    assert client.get("/api/v1/folder-templates/nope").status_code == 422


def test_it_needs_a_login(client, projects):
    assert client.get("/api/v1/folder-templates").status_code == 401


# ---------------------------------------------------------------------------------------------------------
# Read


def test_it_lists_templates_with_folders_and_use(api_client, provider_admin, organisation, projects):
    apply_folder_template(actor=provider_admin, template=projects, organisation_ids=[organisation.pk])
    body = api_client(provider_admin).get("/api/v1/folder-templates").json()
    assert [(t["name"], t["is_default"], t["customer_count"]) for t in body] == [
        ("Standard", True, 0),
        ("Projects", False, 1),
    ]
    assert body[1]["entries"] == [
        {"name": "Plans", "access": "read_write", "position": 0, "message_attachments": False},
        {"name": "Contracts", "access": "read_only", "position": 1, "message_attachments": False},
    ]
    one = api_client(provider_admin).get(f"/api/v1/folder-templates/{projects.pk}").json()
    assert one == body[1]


# ---------------------------------------------------------------------------------------------------------
# Create, replace, delete


def test_it_creates_a_template(api_client, provider_admin, projects):
    body = {"name": "Engineering", "entries": ENTRIES, "is_default": True}
    response = api_client(provider_admin).post("/api/v1/folder-templates", body, **JSON)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "Engineering" and created["is_default"] and created["customer_count"] == 0
    assert [e["name"] for e in created["entries"]] == ["Plans", "Secret"]
    assert list(FolderTemplate.objects.filter(is_default=True).values_list("name", flat=True)) == [
        "Engineering"
    ]
    assert AuditEvent.objects.filter(action=Action.FOLDER_TEMPLATE_CREATED, target_id=created["id"]).exists()


def test_it_replaces_a_template(api_client, provider_admin, organisation, projects):
    apply_folder_template(actor=provider_admin, template=projects, organisation_ids=[organisation.pk])
    body = {"name": "Projects v2", "entries": [{"name": "Contracts", "access": "internal"}]}
    response = api_client(provider_admin).put(f"/api/v1/folder-templates/{projects.pk}", body, **JSON)
    assert response.status_code == 200, response.content
    assert response.json()["entries"] == [
        {"name": "Contracts", "access": "internal", "position": 0, "message_attachments": False}
    ]
    # The customer's folders are theirs: changing the template changes none of them.
    assert sorted(Folder.objects.filter(organisation=organisation).values_list("name", "access")) == [
        ("Contracts", "read_only"),
        ("Plans", "read_write"),
    ]
    [event] = AuditEvent.objects.filter(action=Action.FOLDER_TEMPLATE_CHANGED)
    assert event.data["changes"]["name"] == ["Projects", "Projects v2"]


def test_it_refuses_to_take_the_default_role_away_without_a_successor(api_client, provider_admin, projects):
    standard = default_template()
    before = snapshot()
    body = {"name": "Standard", "entries": ENTRIES, "is_default": False}
    response = api_client(provider_admin).put(f"/api/v1/folder-templates/{standard.pk}", body, **JSON)
    assert response.status_code == 422
    assert "is_default" in response.json()["errors"]
    assert snapshot() == before


def test_it_deletes_a_template_but_not_the_default(api_client, provider_admin, projects):
    client = api_client(provider_admin)
    response = client.delete(f"/api/v1/folder-templates/{default_template().pk}")
    assert response.status_code == 422
    assert "Make another template the default first." in response.json()["errors"]["__all__"][0]
    assert client.delete(f"/api/v1/folder-templates/{projects.pk}").status_code == 204
    assert list(FolderTemplate.objects.values_list("name", flat=True)) == ["Standard"]
    assert AuditEvent.objects.filter(action=Action.FOLDER_TEMPLATE_DELETED).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "entries": ENTRIES}, "name"),
        ({"name": "   ", "entries": ENTRIES}, "name"),
        ({"name": "X", "entries": []}, "entries"),
        (
            {
                "name": "X",
                "entries": [{"name": "A", "access": "read_write"}, {"name": "a", "access": "internal"}],
            },
            "entries",
        ),
        ({"name": "X", "entries": [{"name": " ", "access": "read_write"}]}, "entries"),
        ({"name": "X", "entries": [{"name": "A/B", "access": "read_write"}]}, "entries"),
        ({"name": "X\x00", "entries": ENTRIES}, None),
        ({"name": "X", "entries": [{"name": "A\x00", "access": "read_write"}]}, None),
        ({"name": "X", "entries": [{"name": "A", "access": "everyone"}]}, None),
        ({"name": "X" * 101, "entries": ENTRIES}, None),
        ({"name": "X", "entries": [{"name": f"F{n}", "access": "read_write"} for n in range(101)]}, None),
        ({"name": "projects", "entries": ENTRIES}, "name"),
        ({"entries": ENTRIES}, None),
        ({"name": "X", "entries": "Plans"}, None),
    ],
)
def test_it_refuses_bad_templates_and_changes_nothing(api_client, provider_admin, projects, body, field):
    client = api_client(provider_admin)
    before = snapshot()
    calls = [("post", "/api/v1/folder-templates"), ("put", f"/api/v1/folder-templates/{projects.pk}")]
    if body.get("name") == "projects":
        calls = calls[:1]  # for the template itself, its own name in other capitals is a fine rename
    for method, url in calls:
        response = call(client, method, url, body)
        assert response.status_code == 422, (method, response.content)
        if field is not None:
            assert field in response.json()["errors"], response.json()
    assert snapshot()[:3] == before[:3]


def test_nul_characters_are_refused_with_their_reason(api_client, provider_admin):
    body = {"name": "X", "entries": [{"name": "A\x00", "access": "read_write"}]}
    response = api_client(provider_admin).post("/api/v1/folder-templates", body, **JSON)
    assert response.status_code == 422
    assert "Null characters are not allowed." in response.content.decode()


# ---------------------------------------------------------------------------------------------------------
# Apply


def test_it_applies_to_chosen_customers(
    api_client, provider_admin, organisation, other_organisation, projects
):
    Folder.objects.create(organisation=organisation, name="PLANS", access=FolderAccess.READ_ONLY)
    url = f"/api/v1/folder-templates/{projects.pk}/apply"
    response = api_client(provider_admin).post(url, {"organisation_ids": [str(organisation.pk)]}, **JSON)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "template_id": str(projects.pk),
        "organisations": 1,
        "changed_organisations": 1,
        "created_folders": 1,
        "access_changed_folders": 0,
        "changes": [
            {"organisation_id": str(organisation.pk), "created": ["Contracts"], "access_changed": []}
        ],
    }
    assert sorted(Folder.objects.filter(organisation=organisation).values_list("name", "access")) == [
        ("Contracts", "read_only"),
        ("PLANS", "read_only"),
    ]
    assert not Folder.objects.filter(organisation=other_organisation).exists()


def test_it_applies_to_every_customer_and_updates_access_when_asked(
    api_client, provider_admin, organisation, other_organisation, projects
):
    Folder.objects.create(organisation=organisation, name="PLANS", access=FolderAccess.READ_ONLY)
    body = {"all_organisations": True, "update_access": True}
    response = api_client(provider_admin).post(f"/api/v1/folder-templates/{projects.pk}/apply", body, **JSON)
    answer = response.json()
    assert (answer["organisations"], answer["created_folders"], answer["access_changed_folders"]) == (2, 3, 1)
    assert Folder.objects.get(organisation=organisation, name="PLANS").access == FolderAccess.READ_WRITE
    assert Folder.objects.filter(organisation=other_organisation).count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"organisation_ids": []},
        {"all_organisations": False},
        {"organisation_ids": ["ORG"], "all_organisations": True},
        {"organisation_ids": [str(uuid.uuid4())]},
        {"organisation_ids": ["ORG", str(uuid.uuid4())]},
        {"organisation_ids": ["not-a-uuid"]},
        {"organisation_ids": "ORG"},
    ],
)
def test_it_refuses_a_bad_choice_of_customers_and_changes_nothing(
    api_client, provider_admin, organisation, projects, body
):
    body = {
        key: (
            [str(organisation.pk) if i == "ORG" else i for i in value] if isinstance(value, list) else value
        )
        for key, value in body.items()
    }
    if body.get("organisation_ids") == "ORG":
        body["organisation_ids"] = str(organisation.pk)
    before = snapshot()
    response = api_client(provider_admin).post(f"/api/v1/folder-templates/{projects.pk}/apply", body, **JSON)
    assert response.status_code == 422, response.content
    assert snapshot() == before


def test_applying_through_the_api_takes_the_same_queries_for_many_customers(
    api_client, provider_admin, projects, django_assert_max_num_queries
):
    client = api_client(provider_admin)
    client.get("/api/v1/folder-templates")  # the token's first use writes its "last used" time

    def apply_to(count):
        Organisation.objects.all().delete()
        Organisation.objects.bulk_create(Organisation(name=f"Customer {n}") for n in range(count))
        with django_assert_max_num_queries(14) as captured:
            response = client.post(
                f"/api/v1/folder-templates/{projects.pk}/apply", {"all_organisations": True}, **JSON
            )
        assert response.json()["created_folders"] == 2 * count
        return len(captured)

    assert apply_to(2) == apply_to(40)
