"""A new customer starts with the folders of the template staff choose (the default one when they choose none),
on the page and through the API."""

import uuid

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.documents.folders import create_folder_template, default_template
from kundportal.documents.models import Folder
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db

STANDARD = ["Contracts", "Customer uploads", "Drawings", "Internal", "Invoices", "Offers"]
JSON = {"content_type": "application/json"}


@pytest.fixture
def projects(provider_admin):
    default_template()
    return create_folder_template(
        actor=provider_admin, name="Projects", entries=[("Plans", "read_write"), ("Notes", "internal")]
    )


def folders_of(name):
    return sorted(Folder.objects.filter(organisation__name=name).values_list("name", flat=True))


def test_the_form_offers_every_template_with_the_default_chosen(login, account_manager, projects):
    response = login(account_manager).get("/organisations/new/")
    field = response.context["form"]["folder_template"]
    assert field.value() == default_template().pk
    page = response.content.decode()
    assert f'<option value="{default_template().pk}" selected>Standard</option>' in page
    assert f'<option value="{projects.pk}">Projects</option>' in page


@pytest.mark.parametrize("who", ["provider_admin", "account_manager"])
def test_staff_create_a_customer_from_the_template_they_choose(login, request, who, projects):
    data = {"name": "Beta AB", "kind": "company", "folder_template": projects.pk}
    response = login(request.getfixturevalue(who)).post("/organisations/new/", data)
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Beta AB")
    assert folders_of("Beta AB") == ["Notes", "Plans"]
    assert list(organisation.folder_templates.all()) == [projects]
    assert AuditEvent.objects.filter(action=Action.FOLDERS_APPLIED, organisation=organisation).exists()


def test_the_default_template_is_used_when_none_is_sent(login, provider_admin, projects):
    login(provider_admin).post("/organisations/new/", {"name": "Gamma AB", "kind": "company"})
    assert folders_of("Gamma AB") == STANDARD


@pytest.mark.parametrize("value", [str(uuid.uuid4()), "not-an-id"])
def test_the_form_refuses_a_forged_template(login, provider_admin, projects, value):
    data = {"name": "Delta AB", "kind": "company", "folder_template": value}
    response = login(provider_admin).post("/organisations/new/", data)
    assert response.status_code == 200 and response.context["form"].errors["folder_template"]
    assert not Organisation.objects.exists() and not Folder.objects.exists()


def test_customers_still_cannot_create_customers(login, customer_admin, projects):
    data = {"name": "Sneaky", "kind": "company", "folder_template": projects.pk}
    assert login(customer_admin).post("/organisations/new/", data).status_code == 404
    assert not Organisation.objects.filter(name="Sneaky").exists()


@pytest.mark.parametrize("who", ["provider_admin", "account_manager"])
def test_the_api_creates_a_customer_from_a_chosen_template(api_client, request, who, projects):
    body = {"name": "Beta AB", "folder_template_id": str(projects.pk)}
    response = api_client(request.getfixturevalue(who)).post("/api/v1/organisations", body, **JSON)
    assert response.status_code == 201, response.content
    assert folders_of("Beta AB") == ["Notes", "Plans"]


def test_the_api_uses_the_default_template_without_a_choice(api_client, provider_admin, projects):
    response = api_client(provider_admin).post("/api/v1/organisations", {"name": "Gamma AB"}, **JSON)
    assert response.status_code == 201
    assert folders_of("Gamma AB") == STANDARD


@pytest.mark.parametrize("template_id", [str(uuid.uuid4()), "nope", "", 5])
def test_the_api_refuses_an_unknown_template_and_creates_nothing(api_client, provider_admin, template_id):
    body = {"name": "Delta AB", "folder_template_id": template_id}
    response = api_client(provider_admin).post("/api/v1/organisations", body, **JSON)
    assert response.status_code == 422
    assert not Organisation.objects.exists() and not Folder.objects.exists()


@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "outsider"])
@pytest.mark.parametrize("known", [True, False])
def test_the_api_tells_customers_nothing_about_templates(api_client, request, who, known, projects):
    body = {"name": "Sneaky", "folder_template_id": str(projects.pk if known else uuid.uuid4())}
    response = api_client(request.getfixturevalue(who)).post("/api/v1/organisations", body, **JSON)
    # Forbidden as without a template, whether the template exists or not.
    assert response.status_code == 403
    assert response.json() == {"detail": "You may not do this."}
    assert not Organisation.objects.filter(name="Sneaky").exists()
