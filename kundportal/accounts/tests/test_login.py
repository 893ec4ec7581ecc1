"""Signing in: email and password, throttling, no account enumeration, no open sign-up, MFA policy."""

import time

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail

from conftest import PASSWORD, HttpsClient
from kundportal.audit.models import Action, AuditEvent
from kundportal.core.models import PortalSettings

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=PASSWORD):
    return client.post("/account/login/", {"login": email, "password": password})


def reauthenticate(client, password=PASSWORD):
    """allauth asks for the password again before security changes such as adding a second factor."""
    return client.post("/account/reauthenticate/", {"password": password})


def test_it_signs_in_with_email_and_password_and_records_it(client, customer_admin):
    response = sign_in(client, "Carl@Acme.example")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=customer_admin).exists()


def test_it_stores_passwords_with_argon2id(settings, customer_admin):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    customer_admin.set_password("a new long passphrase")
    assert customer_admin.password.startswith("argon2$argon2id$")


def test_it_answers_wrong_password_and_unknown_email_alike(client, customer_admin):
    wrong = sign_in(client, customer_admin.email, "not the password")
    unknown = sign_in(client, "nobody@acme.example", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].errors == unknown.context["form"].errors
    failed = AuditEvent.objects.filter(action=Action.LOGIN_FAILED)
    assert set(failed.values_list("actor_label", flat=True)) == {customer_admin.email, "nobody@acme.example"}


def test_it_throttles_failed_logins_per_account(client, customer_admin):
    for _ in range(5):
        sign_in(client, customer_admin.email, "wrong")
    # Even the right password is refused while the account is throttled, from another address too.
    other_client = HttpsClient(REMOTE_ADDR="10.9.8.7")
    response = sign_in(other_client, customer_admin.email)
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in other_client.session
    assert "Too many" in response.content.decode()


def test_it_throttles_failed_logins_per_address(client, customer_admin, customer_member):
    for attempt in range(20):
        sign_in(client, f"guess{attempt}@acme.example", "wrong")
    response = sign_in(client, customer_member.email)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_it_has_no_open_sign_up(client):
    response = client.get("/account/signup/")
    assert "closed" in response.content.decode().lower() or response.status_code == 404
    client.post("/account/signup/", {"email": "new@example.com", "password1": PASSWORD})
    from kundportal.accounts.models import User

    assert not User.objects.filter(email="new@example.com").exists()


def test_it_resets_passwords_by_email_without_telling_who_exists(client, customer_admin):
    known = client.post("/account/password/reset/", {"email": customer_admin.email})
    unknown = client.post("/account/password/reset/", {"email": "nobody@acme.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    reset_mails = [m for m in mail.outbox if customer_admin.email in m.to]
    assert len(reset_mails) == 1 and "/account/password/reset/key/" in reset_mails[0].body


def enrol_totp(user):
    secret = pyotp.random_base32()
    TOTP.activate(user, secret)
    return secret


def test_it_asks_for_the_totp_code_after_the_password(client, customer_admin):
    secret = enrol_totp(customer_admin)
    response = sign_in(client, customer_admin.email)
    assert response["Location"] == "/account/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    response = client.post("/account/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(customer_admin.pk)


def test_it_sends_staff_to_set_up_mfa_when_the_provider_requires_it(client, account_manager):
    portal = PortalSettings.load()
    portal.require_staff_mfa = True
    portal.save()
    sign_in(client, account_manager.email)
    response = client.get("/organisations/")
    assert response.status_code == 302 and response["Location"] == "/account/2fa/totp/activate/"
    reauthenticate(client)
    assert client.get("/account/2fa/totp/activate/").status_code == 200  # the way out stays open
    enrol_totp(account_manager)
    assert client.get("/organisations/").status_code == 200


def test_it_sends_members_of_an_mfa_organisation_to_set_up_mfa(
    login, organisation, customer_member, outsider
):
    organisation.require_mfa = True
    organisation.save()
    assert login(customer_member).get("/").status_code == 302
    assert login(outsider).get("/").status_code == 200


def test_it_records_mfa_changes(client, customer_admin, django_capture_on_commit_callbacks):
    sign_in(client, customer_admin.email)
    reauthenticate(client)
    response = client.get("/account/2fa/totp/activate/")
    secret = response.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/2fa/totp/activate/", {"code": pyotp.TOTP(secret).now()})
    assert Authenticator.objects.filter(user=customer_admin, type="totp").exists()
    assert AuditEvent.objects.filter(action=Action.MFA_ADDED, actor=customer_admin).exists()


def test_it_ends_idle_sessions(login, customer_admin, settings):
    client = login(customer_admin)
    assert client.get("/").status_code == 200
    session = client.session
    session["kp_seen"] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
    session.save()
    assert client.get("/").status_code == 302


def test_it_ends_sessions_after_their_absolute_lifetime(login, customer_admin, settings):
    client = login(customer_admin)
    client.get("/")
    session = client.session
    session["kp_started"] = int(time.time()) - settings.SESSION_COOKIE_AGE - 5
    session.save()
    assert client.get("/").status_code == 302


def test_it_lists_sessions_and_signs_out_everywhere_else(customer_admin):
    laptop, phone = HttpsClient(), HttpsClient()
    sign_in(laptop, customer_admin.email)
    sign_in(phone, customer_admin.email, PASSWORD)
    page = laptop.get("/account/sessions/")
    assert page.status_code == 200 and len(page.context["sessions"]) == 2
    laptop.post("/account/sessions/", {})
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert AuditEvent.objects.filter(action=Action.SESSIONS_ENDED, actor=customer_admin).exists()


def test_it_opens_the_django_admin_to_provider_admins_only(
    login, provider_admin, account_manager, customer_admin
):
    assert login(provider_admin).get("/admin/").status_code == 200
    assert login(account_manager).get("/admin/", follow=True).status_code == 404
    assert login(customer_admin).get("/admin/organisations/organisation/", follow=True).status_code == 404
    anonymous = HttpsClient().get("/admin/", follow=True)
    assert anonymous.redirect_chain[-1][0].startswith("/account/login/")


def test_it_uses_the_language_the_user_chose(login, customer_admin):
    customer_admin.language = "de"
    customer_admin.save()
    response = login(customer_admin).get("/", HTTP_ACCEPT_LANGUAGE="sv")
    assert 'lang="de"' in response.content.decode()


def test_it_remembers_a_language_switch_on_the_account(login, customer_admin):
    client = login(customer_admin)
    client.post("/i18n/setlang/", {"language": "sv", "next": "/"})
    customer_admin.refresh_from_db()
    assert customer_admin.language == "sv"
