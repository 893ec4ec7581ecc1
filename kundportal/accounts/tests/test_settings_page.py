"""The account page: profile, language and API tokens."""

import re

import pytest

from kundportal.accounts.models import ApiToken
from kundportal.accounts.services import authenticate_api_token
from kundportal.audit.models import Action, AuditEvent

pytestmark = pytest.mark.django_db


def test_it_shows_a_new_token_once_and_lists_it_with_its_last_use(login, customer_member):
    client = login(customer_member)
    client.post("/account/tokens/", {"name": "ERP import"})
    page = client.get("/account/settings/").content.decode()
    token = ApiToken.objects.get(user=customer_member)
    secret = re.search(r'id="new-token">(kp_[\w-]+)<', page).group(1)
    assert authenticate_api_token(secret) == customer_member
    assert token.token_hash == ApiToken.hash(secret) and secret not in token.token_hash
    again = client.get("/account/settings/").content.decode()
    assert secret not in again and "ERP import" in again
    assert AuditEvent.objects.filter(action=Action.TOKEN_CREATED, actor=customer_member).exists()


def test_it_revokes_only_your_own_tokens(login, customer_member, outsider):
    client = login(customer_member)
    client.post("/account/tokens/", {"name": "mine"})
    token = ApiToken.objects.get()
    assert login(outsider).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.active().filter(pk=token.pk).exists()
    login(customer_member).post(f"/account/tokens/{token.pk}/revoke/")
    assert not ApiToken.objects.active().filter(pk=token.pk).exists()


def test_it_refuses_a_token_without_a_name(login, customer_member):
    login(customer_member).post("/account/tokens/", {"name": "  "})
    assert not ApiToken.objects.exists()


def test_it_saves_name_and_language(login, customer_member):
    response = login(customer_member).post("/account/settings/", {"full_name": "Mia M.", "language": "sv"})
    assert response.status_code == 302
    customer_member.refresh_from_db()
    assert (customer_member.full_name, customer_member.language) == ("Mia M.", "sv")
    page = login(customer_member).get("/account/settings/")
    assert 'lang="sv"' in page.content.decode()


def test_it_rejects_an_unknown_language(login, customer_member):
    response = login(customer_member).post("/account/settings/", {"full_name": "X", "language": "xx"})
    assert response.status_code == 200 and response.context["form"].errors["language"]
    customer_member.refresh_from_db()
    assert customer_member.full_name == "Mia Member"


def test_it_lets_provider_admins_require_mfa_for_staff(login, provider_admin, account_manager):
    from kundportal.core.models import PortalSettings

    assert login(account_manager).post("/staff/settings/", {"require_staff_mfa": "on"}).status_code == 404
    assert not PortalSettings.load().require_staff_mfa
    login(provider_admin).post("/staff/settings/", {"require_staff_mfa": "on"})
    assert PortalSettings.load().require_staff_mfa
    assert AuditEvent.objects.filter(action=Action.PORTAL_SETTINGS).exists()
