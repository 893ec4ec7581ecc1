"""The API against its own OpenAPI document: generated requests never crash it, answers match the schema.

Schemathesis calls the WSGI application in-process (no server, no network), over HTTPS as in production,
with a provider admin's bearer token so that requests get past authentication into the endpoints.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

BASE_URL = "https://localhost"


@pytest.fixture
def admin_token(provider_admin: object) -> str:
    from kundportal.accounts.services import create_api_token

    _token, secret = create_api_token(actor=provider_admin, name="schemathesis")
    return secret


@pytest.fixture
def known_ids(
    provider_admin: object, customer_admin: object, customer_member: object, outsider: object
) -> dict:
    """Ids of objects that exist, for path parameters: random UUIDs alone would only ever reach the 404s."""
    from kundportal.accounts.services import create_api_token
    from kundportal.documents.folders import default_template
    from kundportal.organisations.access import organisation_access
    from kundportal.organisations.models import Membership
    from kundportal.organisations.services import invite_member

    membership = Membership.objects.select_related("organisation").get(user=customer_member)
    organisation = membership.organisation
    invitation = invite_member(
        actor=customer_admin,
        access=organisation_access(customer_admin, organisation),
        email="nina@acme.example",
        role="viewer",
    )
    spare_token, _secret = create_api_token(actor=provider_admin, name="spare, to be revoked")
    from kundportal.commerce.models import ProductCategory
    from kundportal.commerce.tests.factories import make_order, make_product

    product_category = ProductCategory.objects.create(name="Schemathesis")
    product = make_product("SCHEMA-1", price="10.00", category=product_category)
    order = make_order(organisation, (product, 2), placed_by=customer_member)
    return {
        "order_id": order.pk,
        "product_id": product.pk,
        "product_category_id": product_category.pk,
        "template_id": default_template().pk,
        "organisation_id": organisation.pk,
        "membership_id": membership.pk,
        "invitation_id": invitation.pk,
        "token_id": spare_token.pk,
    }


def load_schema() -> schemathesis.schemas.BaseSchema:
    # Loaded when the module is collected: schemathesis' lazy `from_fixture` loader fails under pytest 9
    # (it writes the private `Function._nodeid`). Serving the document needs no database.
    from kundportal.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, base_url=BASE_URL)


schema = load_schema()


# The real WSGI handler (unlike Django's test client) closes the database connection after each request, which
# a test inside a transaction cannot survive on PostgreSQL (in-memory SQLite ignores the close): so this test
# commits for real and pytest-django flushes the database afterwards.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_it_answers_generated_requests_without_errors_and_as_documented(case, admin_token, known_ids):
    def call_and_validate() -> None:
        case.call_and_validate(
            base_url=BASE_URL,
            headers={"Authorization": f"Bearer {admin_token}"},
            checks=[not_a_server_error, response_schema_conformance],
        )

    call_and_validate()
    # Once more with ids that exist (the generated query and body stay), to get past the lookups.
    existing = {name: str(known_ids[name]) for name in case.path_parameters or {} if name in known_ids}
    if existing:
        case.path_parameters = {**case.path_parameters, **existing}
        call_and_validate()


# --- The document and the interactive docs -----------------------------------------------------------------


@pytest.mark.django_db
def test_it_serves_an_openapi_31_document_declaring_bearer_tokens(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Kundportal API"
    schemes = document["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()
    for path in (
        "/api/v1/organisations",
        "/api/v1/organisations/{organisation_id}/members",
        "/api/v1/me",
        "/api/v1/tokens",
    ):
        assert path in document["paths"]


@pytest.mark.django_db
def test_it_serves_the_openapi_document_to_a_bearer_client(api_client, customer_member):
    response = api_client(customer_member).get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_from_the_docs_to_the_login(client):
    response = client.get("/api/v1/docs")
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"].startswith("/account/login/")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "outsider"])
def test_it_hides_the_docs_from_customers(login, request, who):
    response = login(request.getfixturevalue(who)).get("/api/v1/docs")
    assert response.status_code == 404


@pytest.mark.django_db
def test_it_hides_the_docs_from_a_bearer_client_without_a_session(api_client, provider_admin):
    response = api_client(provider_admin).get("/api/v1/docs")
    assert response.status_code in (302, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["provider_admin", "account_manager"])
def test_it_shows_the_docs_to_staff_with_only_local_scripts(login, request, who):
    response = login(request.getfixturevalue(who)).get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/openapi.json" in html
    sources = re.findall(r"<script[^>]*\bsrc=[\"']([^\"']+)", html)
    assert sources, "the docs page loads its scripts"
    for source in sources:
        assert source.startswith("/static/"), source
        assert "cdn" not in source.lower()
        assert "http" not in source.lower()
    stylesheets = re.findall(r"<link[^>]*\bhref=[\"']([^\"']+)", html)
    assert all(href.startswith("/static/") for href in stylesheets), stylesheets
    # Whatever inline <script> there is must be data, not code: the CSP allows no inline scripts.
    for attributes in re.findall(r"<script([^>]*)>", html):
        assert "src=" in attributes or 'type="application/json"' in attributes, attributes
