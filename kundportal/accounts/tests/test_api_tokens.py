"""The account API: /me and API tokens, and how bearer tokens and browser sessions authenticate."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from kundportal.accounts.models import ApiToken
from kundportal.accounts.services import create_api_token
from kundportal.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def bearer(client_class: type, secret: str) -> object:
    return client_class(headers={"Authorization": f"Bearer {secret}"})


def database_contains(text: str) -> bool:
    """Whether any value in any table of the database contains `text`."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            if any(text in str(value) for row in cursor.fetchall() for value in row):
                return True
    return False


# --- /me ----------------------------------------------------------------------------------------------------


def test_it_describes_the_current_customer_with_their_memberships(api_client, customer_member, organisation):
    response = api_client(customer_member).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(customer_member.pk),
        "email": "mia@acme.example",
        "full_name": "Mia Member",
        "language": "",
        "provider_role": "",
        "memberships": [
            {"organisation_id": str(organisation.pk), "organisation_name": "Acme AB", "role": "member"}
        ],
    }


def test_it_describes_provider_staff_without_memberships(api_client, provider_admin):
    body = api_client(provider_admin).get("/api/v1/me").json()
    assert body["provider_role"] == "admin"
    assert body["memberships"] == []


def test_it_changes_name_and_language(api_client, customer_member):
    response = api_client(customer_member).patch(
        "/api/v1/me", {"full_name": "  Mia Medlem ", "language": "sv"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "Mia Medlem"
    assert response.json()["language"] == "sv"
    customer_member.refresh_from_db()
    assert (customer_member.full_name, customer_member.language) == ("Mia Medlem", "sv")


@pytest.mark.parametrize(
    "payload",
    [
        {"language": "fr"},
        {"language": ""},
        {"language": "SV"},
        {"language": "en "},
        {"language": 1},
        {"language": "de", "full_name": "x" * 151},
        {"full_name": ["Mia"]},
    ],
)
def test_it_refuses_an_invalid_profile_change(api_client, customer_member, payload):
    response = api_client(customer_member).patch("/api/v1/me", payload, content_type="application/json")
    assert response.status_code == 422
    customer_member.refresh_from_db()
    assert (customer_member.full_name, customer_member.language) == ("Mia Member", "")


def test_it_changes_only_the_language_when_only_the_language_is_sent(api_client, customer_member):
    response = api_client(customer_member).patch(
        "/api/v1/me", {"language": "de"}, content_type="application/json"
    )
    assert response.status_code == 200
    customer_member.refresh_from_db()
    assert (customer_member.full_name, customer_member.language) == ("Mia Member", "de")


@pytest.mark.parametrize("payload", [{"full_name": "Mia M."}, {"full_name": "Mia M.", "language": None}])
def test_it_changes_only_the_name_when_only_the_name_is_sent(api_client, customer_member, payload):
    customer_member.language = "sv"
    customer_member.save(update_fields=["language"])
    response = api_client(customer_member).patch("/api/v1/me", payload, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["language"] == "sv"
    customer_member.refresh_from_db()
    assert (customer_member.full_name, customer_member.language) == ("Mia M.", "sv")


def test_it_answers_me_over_a_browser_session(login, customer_viewer):
    response = login(customer_viewer).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["email"] == "vera@acme.example"


def test_it_refuses_a_session_write_without_a_csrf_token(client, customer_viewer):
    strict = client.__class__(enforce_csrf_checks=True)
    strict.force_login(customer_viewer, backend="django.contrib.auth.backends.ModelBackend")
    response = strict.post("/api/v1/tokens", {"name": "from a forged form"}, content_type="application/json")
    assert response.status_code == 403
    assert not ApiToken.objects.filter(user=customer_viewer).exists()


# --- authentication -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/tokens"])
def test_it_refuses_requests_without_credentials(client, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unauthorized"}


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer kp_",
        "Bearer kp_" + "A" * 43,
        "Bearer kp_" + "x" * 500,
        "Bearer",
        "Bearer  ",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        "kp_nothing-but-a-token",
        "Bearer kp_\u00e5\u00e4\u00f6",
    ],
)
def test_it_refuses_a_garbage_bearer_token(client, customer_admin, header):
    response = client.__class__(headers={"Authorization": header}).get("/api/v1/me")
    assert response.status_code == 401


def test_it_refuses_the_token_of_a_deactivated_user(client, customer_admin):
    _token, secret = create_api_token(actor=customer_admin, name="script")
    assert bearer(client.__class__, secret).get("/api/v1/me").status_code == 200
    customer_admin.is_active = False
    customer_admin.save(update_fields=["is_active"])
    assert bearer(client.__class__, secret).get("/api/v1/me").status_code == 401
    assert bearer(client.__class__, secret).get("/api/v1/organisations").status_code == 401


def test_it_refuses_the_session_of_a_deactivated_user(login, customer_admin):
    session = login(customer_admin)
    customer_admin.is_active = False
    customer_admin.save(update_fields=["is_active"])
    assert session.get("/api/v1/me").status_code == 401


def test_it_refuses_an_expired_token(client, customer_admin):
    token, secret = create_api_token(actor=customer_admin, name="script")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert bearer(client.__class__, secret).get("/api/v1/me").status_code == 401


def test_it_records_when_a_token_was_last_used(client, customer_admin):
    token, secret = create_api_token(actor=customer_admin, name="script")
    assert token.last_used_at is None
    before = timezone.now()
    assert bearer(client.__class__, secret).get("/api/v1/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token.last_used_at >= before
    listed = bearer(client.__class__, secret).get("/api/v1/tokens").json()
    assert listed[0]["last_used_at"] is not None


# --- GET /tokens --------------------------------------------------------------------------------------------


def test_it_lists_only_my_active_tokens_without_their_secrets(client, customer_admin, customer_member):
    mine, secret = create_api_token(actor=customer_admin, name="erp")
    revoked, _secret = create_api_token(actor=customer_admin, name="old")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    create_api_token(actor=customer_member, name="someone else's")
    response = bearer(client.__class__, secret).get("/api/v1/tokens")
    assert response.status_code == 200
    [listed] = response.json()
    assert listed["id"] == str(mine.pk)
    assert listed["name"] == "erp"
    assert listed["hint"] == secret[:7]
    assert set(listed) == {"id", "name", "hint", "created_at", "last_used_at"}
    assert secret not in response.content.decode()
    assert mine.token_hash not in response.content.decode()


# --- POST /tokens -------------------------------------------------------------------------------------------


def test_it_creates_a_token_and_shows_it_once(api_client, customer_admin, client):
    api = api_client(customer_admin)
    response = api.post("/api/v1/tokens", {"name": " ERP sync "}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    secret = body["token"]
    assert secret.startswith("kp_")
    assert len(secret) > 40
    assert body["name"] == "ERP sync"
    assert body["hint"] == secret[:7]
    assert body["last_used_at"] is None
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == customer_admin
    # Shown once: no later answer carries it.
    listing = api.get("/api/v1/tokens")
    assert secret not in listing.content.decode()
    assert {t["id"] for t in listing.json()} >= {body["id"]}
    # It works.
    assert bearer(client.__class__, secret).get("/api/v1/me").json()["email"] == "carl@acme.example"
    event = AuditEvent.objects.get(action=Action.TOKEN_CREATED, target_id=body["id"])
    assert event.actor == customer_admin


def test_it_stores_only_a_hash_of_the_token(api_client, customer_admin):
    secret = (
        api_client(customer_admin)
        .post("/api/v1/tokens", {"name": "ERP"}, content_type="application/json")
        .json()["token"]
    )
    token = ApiToken.objects.get(token_hash=hashlib.sha256(secret.encode()).hexdigest())
    assert token.hint == secret[:7]
    assert database_contains(token.token_hash)  # the scan sees this transaction's rows
    assert not database_contains(secret)
    assert not database_contains(secret[7:])


@pytest.mark.parametrize("payload", [{"name": ""}, {"name": "   "}, {"name": "x" * 101}, {}, {"name": None}])
def test_it_refuses_an_invalid_token_name(api_client, customer_admin, payload):
    api = api_client(customer_admin)
    count = ApiToken.objects.count()
    response = api.post("/api/v1/tokens", payload, content_type="application/json")
    assert response.status_code == 422
    assert ApiToken.objects.count() == count


# --- DELETE /tokens/{id} ------------------------------------------------------------------------------------


def test_it_revokes_a_token_which_then_stops_working(client, customer_admin):
    token, secret = create_api_token(actor=customer_admin, name="laptop")
    other, other_secret = create_api_token(actor=customer_admin, name="server")
    response = bearer(client.__class__, other_secret).delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert bearer(client.__class__, secret).get("/api/v1/me").status_code == 401
    listed = bearer(client.__class__, other_secret).get("/api/v1/tokens").json()
    assert [t["id"] for t in listed] == [str(other.pk)]
    [event] = AuditEvent.objects.filter(action=Action.TOKEN_REVOKED)
    assert event.actor == customer_admin
    assert event.target_id == str(token.pk)


def test_it_lets_a_token_revoke_itself(client, customer_admin):
    token, secret = create_api_token(actor=customer_admin, name="leaked")
    assert bearer(client.__class__, secret).delete(f"/api/v1/tokens/{token.pk}").status_code == 204
    assert bearer(client.__class__, secret).get("/api/v1/tokens").status_code == 401


def test_it_hides_someone_elses_token(client, customer_admin, outsider, provider_admin):
    token, secret = create_api_token(actor=customer_admin, name="carl's")
    for user in (outsider, provider_admin):
        _mine, my_secret = create_api_token(actor=user, name="mine")
        response = bearer(client.__class__, my_secret).delete(f"/api/v1/tokens/{token.pk}")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
    token.refresh_from_db()
    assert token.revoked_at is None
    assert bearer(client.__class__, secret).get("/api/v1/me").status_code == 200
    assert not AuditEvent.objects.filter(action=Action.TOKEN_REVOKED).exists()


def test_it_answers_an_unknown_or_malformed_token_id(api_client, customer_admin):
    api = api_client(customer_admin)
    assert api.delete(f"/api/v1/tokens/{uuid.uuid4()}").status_code == 404
    assert api.delete("/api/v1/tokens/not-a-uuid").status_code == 422


def test_it_requires_authentication_to_create_or_revoke(client, customer_admin):
    token, _secret = create_api_token(actor=customer_admin, name="x")
    assert client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json").status_code == 401
    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code == 401
    assert client.patch("/api/v1/me", {"language": "sv"}, content_type="application/json").status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is None
