"""Invitations: by email, a link that works once and expires, a password set by the invited person."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conftest import PASSWORD, HttpsClient
from kundportal.accounts.models import User
from kundportal.audit.models import Action, AuditEvent
from kundportal.organisations.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def invite(client, organisation, email="new@acme.example", role="member", captured=None):
    response = client.post(
        f"/organisations/{organisation.pk}/invite/", {"email": email, "role": role, "full_name": "Nina New"}
    )
    assert response.status_code == 302
    return response


def link_from_last_mail():
    return re.search(r"https?://\S+/invitations/[\w-]+/", mail.outbox[-1].body).group(0)


def path_of(link):
    return "/" + link.split("/", 3)[3]


def test_it_invites_by_email_and_the_invited_person_sets_a_password(
    login, organisation, customer_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(login(customer_admin), organisation, role="viewer")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@acme.example"]
    assert "Acme AB" in mail.outbox[0].subject
    assert mail.outbox[0].alternatives[0][1] == "text/html"
    link = link_from_last_mail()
    assert link.startswith("https://")
    invitation = Invitation.objects.get()
    assert invitation.token_hash not in link  # the link carries the token, the database only its hash

    visitor = HttpsClient()
    page = visitor.get(path_of(link))
    assert page.status_code == 200 and "Acme AB" in page.content.decode()
    response = visitor.post(
        path_of(link), {"full_name": "Nina New", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="new@acme.example")
    assert user.check_password(PASSWORD) and user.full_name == "Nina New"
    assert Membership.objects.get(user=user, organisation=organisation).role == "viewer"
    assert visitor.get("/").status_code == 200
    assert AuditEvent.objects.filter(action=Action.INVITATION_ACCEPTED, actor=user).exists()


def test_it_accepts_an_invitation_link_only_once(
    login, organisation, customer_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(login(customer_admin), organisation)
    path = path_of(link_from_last_mail())
    HttpsClient().post(path, {"full_name": "N", "password1": PASSWORD, "password2": PASSWORD})
    second = HttpsClient().post(path, {"full_name": "Mallory", "password1": "x" * 20, "password2": "x" * 20})
    assert second.status_code == 410
    assert User.objects.get(email="new@acme.example").check_password(PASSWORD)


def test_it_refuses_an_expired_or_withdrawn_invitation(
    login, organisation, customer_admin, django_capture_on_commit_callbacks
):
    client = login(customer_admin)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, organisation)
    path = path_of(link_from_last_mail())
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert HttpsClient().get(path).status_code == 410
    assert (
        HttpsClient().post(path, {"full_name": "N", "password1": PASSWORD, "password2": PASSWORD}).status_code
        == 410
    )
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, organisation, email="second@acme.example")
    path = path_of(link_from_last_mail())
    invitation = Invitation.objects.get(email="second@acme.example")
    client.post(f"/invitations/{invitation.pk}/revoke/")
    assert HttpsClient().get(path).status_code == 410
    assert not User.objects.filter(email__in=["new@acme.example", "second@acme.example"]).exists()


def test_it_replaces_an_unused_invitation_with_a_new_one(
    login, organisation, customer_admin, django_capture_on_commit_callbacks
):
    client = login(customer_admin)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, organisation)
    first = path_of(link_from_last_mail())
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, organisation)
    assert HttpsClient().get(first).status_code == 410
    assert HttpsClient().get(path_of(link_from_last_mail())).status_code == 200


def test_it_answers_a_forged_token_with_not_found():
    assert HttpsClient().get("/invitations/not-a-real-token/").status_code == 404


def test_it_rejects_weak_or_mismatched_passwords_and_creates_nothing(
    login, organisation, customer_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(login(customer_admin), organisation)
    path = path_of(link_from_last_mail())
    weak = HttpsClient().post(path, {"full_name": "N", "password1": "123", "password2": "123"})
    assert weak.status_code == 200 and weak.context["form"].errors
    mismatch = HttpsClient().post(
        path, {"full_name": "N", "password1": PASSWORD, "password2": PASSWORD + "x"}
    )
    assert mismatch.context["form"].errors["password2"]
    assert not User.objects.filter(email="new@acme.example").exists()
    assert Invitation.objects.get().is_pending


def test_it_lets_an_existing_user_join_another_organisation_after_signing_in(
    login, organisation, customer_admin, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(login(customer_admin), organisation, email=outsider.email)
    path = path_of(link_from_last_mail())
    anonymous = HttpsClient()
    assert (
        anonymous.post(path, {"full_name": "X", "password1": PASSWORD, "password2": PASSWORD}).status_code
        == 403
    )
    assert not outsider.memberships.filter(organisation=organisation).exists()
    response = login(outsider).post(path)
    assert response.status_code == 302
    assert outsider.memberships.filter(organisation=organisation, role="member").exists()


def test_it_rejects_invalid_and_duplicate_invitations(login, organisation, customer_admin, customer_member):
    client = login(customer_admin)
    client.post(f"/organisations/{organisation.pk}/invite/", {"email": "not-an-email", "role": "member"})
    client.post(
        f"/organisations/{organisation.pk}/invite/", {"email": customer_member.email, "role": "member"}
    )
    client.post(f"/organisations/{organisation.pk}/invite/", {"email": "x@acme.example", "role": "owner"})
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_it_invites_staff_from_the_settings_page(
    login, provider_admin, account_manager, django_capture_on_commit_callbacks
):
    assert login(account_manager).get("/staff/").status_code == 404
    assert (
        login(account_manager)
        .post("/staff/invite/", {"email": "s@provider.example", "provider_role": "admin"})
        .status_code
        == 404
    )
    with django_capture_on_commit_callbacks(execute=True):
        login(provider_admin).post(
            "/staff/invite/", {"email": "new.staff@provider.example", "provider_role": "manager"}
        )
    path = path_of(link_from_last_mail())
    HttpsClient().post(path, {"full_name": "Nils Staff", "password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.get(email="new.staff@provider.example").provider_role == "manager"


def test_it_hides_invitations_from_outsiders_and_readers(
    login, organisation, customer_admin, customer_viewer, outsider, account_manager
):
    login(customer_admin).post(
        f"/organisations/{organisation.pk}/invite/", {"email": "n@acme.example", "role": "member"}
    )
    invitation = Invitation.objects.get()
    assert login(outsider).post(f"/invitations/{invitation.pk}/revoke/").status_code == 404
    assert login(customer_viewer).post(f"/invitations/{invitation.pk}/revoke/").status_code == 403
    assert (
        "n@acme.example"
        not in login(customer_viewer).get(f"/organisations/{organisation.pk}/").content.decode()
    )
    assert Invitation.objects.get().is_pending
    login(account_manager).post(f"/invitations/{invitation.pk}/revoke/")
    assert not Invitation.objects.get().is_pending
