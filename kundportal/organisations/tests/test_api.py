"""The organisations API: who sees which organisation, and who may manage its people and invitations.

Every endpoint is tried by someone allowed, by the outsider (otto, admin of another customer), with ids that
do not exist or are not ids at all, and by customers who may read but not manage.
"""

from __future__ import annotations

import uuid

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.organisations.models import Invitation, Membership, Organisation, StaffAssignment

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not Found"}
FORBIDDEN = {"detail": "You may not do this."}
LAST_ADMIN = "An organisation needs at least one admin. Make someone else admin first."


def events(action: Action) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def membership_of(user: object) -> Membership:
    return Membership.objects.get(user=user)


def names(response: object) -> list[str]:
    return [item["name"] for item in response.json()["items"]]


@pytest.fixture
def pending_invitation(organisation: Organisation, customer_admin: object) -> Invitation:
    from kundportal.organisations.access import organisation_access
    from kundportal.organisations.services import invite_member

    return invite_member(
        actor=customer_admin,
        access=organisation_access(customer_admin, organisation),
        email="nina@acme.example",
        role="member",
    )


@pytest.fixture
def other_manager(other_organisation: Organisation) -> object:
    """An account manager who looks after the other customer only."""
    from kundportal.accounts.models import User

    manager = User.objects.create_user(
        "olle@provider.example", "x-unused-password-x", provider_role="manager"
    )
    StaffAssignment.objects.create(organisation=other_organisation, user=manager)
    return manager


# --- GET /organisations -------------------------------------------------------------------------------------


def test_it_lists_every_organisation_for_a_provider_admin(
    api_client, provider_admin, customer_admin, outsider
):
    response = api_client(provider_admin).get("/api/v1/organisations")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert names(response) == ["Acme AB", "Other GmbH"]
    acme = body["items"][0]
    assert acme["kind"] == "company"
    assert acme["require_mfa"] is False
    assert acme["member_count"] == 1
    uuid.UUID(acme["id"])


def test_it_lists_only_assigned_organisations_for_an_account_manager(
    api_client, account_manager, organisation, other_organisation
):
    response = api_client(account_manager).get("/api/v1/organisations")
    assert response.status_code == 200
    assert names(response) == ["Acme AB"]
    assert response.json()["count"] == 1


def test_it_lists_only_their_own_organisation_for_a_customer(api_client, customer_viewer, outsider):
    assert names(api_client(customer_viewer).get("/api/v1/organisations")) == ["Acme AB"]
    assert names(api_client(outsider).get("/api/v1/organisations")) == ["Other GmbH"]


@pytest.mark.parametrize("who", ["customer_viewer", "account_manager", "provider_admin"])
def test_it_counts_every_member_whoever_lists(
    api_client, request, customer_admin, customer_member, customer_viewer, who
):
    response = api_client(request.getfixturevalue(who)).get("/api/v1/organisations")
    assert [item["member_count"] for item in response.json()["items"]] == [3]


def test_it_pages_the_organisation_list(api_client, provider_admin, organisation, other_organisation):
    response = api_client(provider_admin).get("/api/v1/organisations?limit=1&offset=1")
    assert response.status_code == 200
    assert response.json()["count"] == 2
    assert names(response) == ["Other GmbH"]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "offset=-1", "offset=99999999999999999999", "limit=abc"]
)
def test_it_refuses_page_parameters_out_of_range(api_client, provider_admin, organisation, query):
    response = api_client(provider_admin).get(f"/api/v1/organisations?{query}")
    assert response.status_code == 422


def test_it_answers_an_offset_past_the_end_with_an_empty_page(api_client, provider_admin, organisation):
    response = api_client(provider_admin).get(f"/api/v1/organisations?offset={2**63 - 1}")
    assert response.status_code == 200
    assert response.json() == {"items": [], "count": 1}


# --- POST /organisations ------------------------------------------------------------------------------------


def test_it_lets_a_provider_admin_create_an_organisation(api_client, provider_admin):
    response = api_client(provider_admin).post(
        "/api/v1/organisations",
        {"name": "  Beta AB ", "kind": "private", "require_mfa": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    organisation = Organisation.objects.get(pk=body["id"])
    assert body == {**body, "name": "Beta AB", "kind": "private", "require_mfa": True, "member_count": 0}
    assert organisation.name == "Beta AB"
    assert not organisation.staff_assignments.exists()
    [event] = events(Action.ORGANISATION_CREATED)
    assert event.actor == provider_admin
    assert event.organisation_id == organisation.pk
    assert event.target_id == str(organisation.pk)


def test_it_assigns_a_new_organisation_to_the_account_manager_who_creates_it(api_client, account_manager):
    client = api_client(account_manager)
    response = client.post("/api/v1/organisations", {"name": "Gamma AB"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["kind"] == "company"
    assert StaffAssignment.objects.filter(
        organisation_id=response.json()["id"], user=account_manager
    ).exists()
    assert "Gamma AB" in names(client.get("/api/v1/organisations"))
    assert len(events(Action.ORGANISATION_CREATED)) == 1


@pytest.mark.parametrize("who", ["customer_admin", "customer_member", "customer_viewer", "outsider"])
def test_it_forbids_customers_to_create_organisations(api_client, request, who):
    response = api_client(request.getfixturevalue(who)).post(
        "/api/v1/organisations", {"name": "Sneaky AB"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert not Organisation.objects.filter(name="Sneaky AB").exists()
    assert not events(Action.ORGANISATION_CREATED)


@pytest.mark.parametrize(
    "payload",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 201},
        {},
        {"name": "Beta AB", "kind": "government"},
        {"name": 42},
    ],
)
def test_it_refuses_an_invalid_organisation(api_client, provider_admin, payload):
    response = api_client(provider_admin).post(
        "/api/v1/organisations", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert not Organisation.objects.exists()
    assert not events(Action.ORGANISATION_CREATED)


def test_it_refuses_a_body_that_is_not_json(api_client, provider_admin):
    response = api_client(provider_admin).post(
        "/api/v1/organisations", "{nope", content_type="application/json"
    )
    assert response.status_code in (400, 422)
    assert not Organisation.objects.exists()


# --- GET /organisations/{id} --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "account_manager", "provider_admin"])
def test_it_shows_an_organisation_to_those_who_may_see_it(
    api_client, request, organisation, customer_member, who
):
    response = api_client(request.getfixturevalue(who)).get(f"/api/v1/organisations/{organisation.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(organisation.pk)
    assert body["name"] == "Acme AB"
    assert body["member_count"] == Membership.objects.filter(organisation=organisation).count()


def test_it_hides_another_customers_organisation(api_client, outsider, organisation):
    response = api_client(outsider).get(f"/api/v1/organisations/{organisation.pk}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_it_hides_an_unassigned_organisation_from_an_account_manager(
    api_client, account_manager, other_organisation
):
    response = api_client(account_manager).get(f"/api/v1/organisations/{other_organisation.pk}")
    assert response.status_code == 404


def test_it_answers_an_unknown_organisation_id_as_not_found(api_client, provider_admin):
    response = api_client(provider_admin).get(f"/api/v1/organisations/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1", "00000000-0000-0000-0000-00000000000g", "%00"])
def test_it_refuses_a_malformed_organisation_id(api_client, provider_admin, bad_id):
    response = api_client(provider_admin).get(f"/api/v1/organisations/{bad_id}")
    assert response.status_code in (404, 422)


# --- GET /organisations/{id}/members ------------------------------------------------------------------------


def test_it_lists_members_to_a_viewer(
    api_client, organisation, customer_admin, customer_member, customer_viewer
):
    response = api_client(customer_viewer).get(f"/api/v1/organisations/{organisation.pk}/members")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(m["email"], m["role"]) for m in body["items"]] == [
        ("carl@acme.example", "admin"),
        ("mia@acme.example", "member"),
        ("vera@acme.example", "viewer"),
    ]
    mia = body["items"][1]
    assert mia["id"] == str(membership_of(customer_member).pk)
    assert mia["user_id"] == str(customer_member.pk)
    assert mia["full_name"] == "Mia Member"


@pytest.mark.parametrize("who", ["account_manager", "provider_admin"])
def test_it_lists_members_to_staff_of_the_organisation(
    api_client, request, organisation, customer_admin, who
):
    response = api_client(request.getfixturevalue(who)).get(
        f"/api/v1/organisations/{organisation.pk}/members"
    )
    assert response.status_code == 200
    assert [m["email"] for m in response.json()["items"]] == ["carl@acme.example"]


def test_it_hides_another_customers_members(api_client, outsider, organisation, customer_admin):
    response = api_client(outsider).get(f"/api/v1/organisations/{organisation.pk}/members")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_it_hides_members_of_an_unassigned_organisation_from_a_manager(
    api_client, account_manager, outsider, other_organisation
):
    response = api_client(account_manager).get(f"/api/v1/organisations/{other_organisation.pk}/members")
    assert response.status_code == 404


def test_it_answers_members_of_an_unknown_or_malformed_id(api_client, provider_admin):
    client = api_client(provider_admin)
    assert client.get(f"/api/v1/organisations/{uuid.uuid4()}/members").status_code == 404
    assert client.get("/api/v1/organisations/nope/members").status_code == 422


# --- PATCH /members/{id} ------------------------------------------------------------------------------------


def test_it_lets_a_customer_admin_change_a_role(api_client, customer_admin, customer_member):
    membership = membership_of(customer_member)
    response = api_client(customer_admin).patch(
        f"/api/v1/members/{membership.pk}", {"role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json() == {
        **response.json(),
        "id": str(membership.pk),
        "email": "mia@acme.example",
        "role": "viewer",
    }
    membership.refresh_from_db()
    assert membership.role == "viewer"
    [event] = events(Action.ROLE_CHANGED)
    assert event.actor == customer_admin
    assert event.organisation_id == membership.organisation_id
    assert event.data == {"email": "mia@acme.example", "old": "member", "new": "viewer"}


def test_it_lets_the_account_manager_change_a_role(api_client, account_manager, customer_viewer):
    membership = membership_of(customer_viewer)
    response = api_client(account_manager).patch(
        f"/api/v1/members/{membership.pk}", {"role": "admin"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert len(events(Action.ROLE_CHANGED)) == 1


def test_it_records_nothing_when_the_role_stays_the_same(api_client, customer_admin, customer_member):
    response = api_client(customer_admin).patch(
        f"/api/v1/members/{membership_of(customer_member).pk}",
        {"role": "member"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert not events(Action.ROLE_CHANGED)


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_it_forbids_members_and_viewers_to_change_roles(api_client, request, customer_admin, who):
    user = request.getfixturevalue(who)
    for target in (membership_of(customer_admin), membership_of(user)):
        response = api_client(user).patch(
            f"/api/v1/members/{target.pk}", {"role": "admin"}, content_type="application/json"
        )
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
    assert membership_of(customer_admin).role == "admin"
    assert membership_of(user).role == who.removeprefix("customer_")
    assert not events(Action.ROLE_CHANGED)


def test_it_hides_another_customers_member_from_the_outsider(api_client, outsider, customer_member):
    response = api_client(outsider).patch(
        f"/api/v1/members/{membership_of(customer_member).pk}",
        {"role": "viewer"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert membership_of(customer_member).role == "member"


def test_it_hides_a_member_of_an_unassigned_organisation_from_a_manager(
    api_client, account_manager, outsider
):
    response = api_client(account_manager).patch(
        f"/api/v1/members/{membership_of(outsider).pk}", {"role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert membership_of(outsider).role == "admin"


def test_it_answers_an_unknown_or_malformed_member_id(api_client, customer_admin):
    client = api_client(customer_admin)
    response = client.patch(
        f"/api/v1/members/{uuid.uuid4()}", {"role": "viewer"}, content_type="application/json"
    )
    assert response.status_code == 404
    response = client.patch("/api/v1/members/12345", {"role": "viewer"}, content_type="application/json")
    assert response.status_code == 422


@pytest.mark.parametrize("payload", [{"role": "owner"}, {"role": ""}, {}, {"role": None}])
def test_it_refuses_an_unknown_role(api_client, customer_admin, customer_member, payload):
    response = api_client(customer_admin).patch(
        f"/api/v1/members/{membership_of(customer_member).pk}", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert membership_of(customer_member).role == "member"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_it_keeps_the_last_customer_admin_from_demoting_themselves(api_client, customer_admin, role):
    response = api_client(customer_admin).patch(
        f"/api/v1/members/{membership_of(customer_admin).pk}", {"role": role}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid input.", "errors": {"__all__": [LAST_ADMIN]}}
    assert membership_of(customer_admin).role == "admin"
    assert not events(Action.ROLE_CHANGED)


def test_it_lets_an_admin_step_down_when_another_admin_remains(api_client, customer_admin, customer_member):
    Membership.objects.filter(user=customer_member).update(role="admin")
    response = api_client(customer_admin).patch(
        f"/api/v1/members/{membership_of(customer_admin).pk}",
        {"role": "member"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert membership_of(customer_admin).role == "member"


def test_it_lets_staff_demote_the_last_customer_admin(api_client, account_manager, customer_admin):
    """Provider staff can always step in, e.g. when the customer's only admin has left the company."""
    response = api_client(account_manager).patch(
        f"/api/v1/members/{membership_of(customer_admin).pk}",
        {"role": "member"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert membership_of(customer_admin).role == "member"


# --- DELETE /members/{id} -----------------------------------------------------------------------------------


def test_it_lets_a_customer_admin_remove_a_member(api_client, customer_admin, customer_member):
    membership = membership_of(customer_member)
    response = api_client(customer_admin).delete(f"/api/v1/members/{membership.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Membership.objects.filter(pk=membership.pk).exists()
    [event] = events(Action.MEMBER_REMOVED)
    assert event.actor == customer_admin
    assert event.target_id == str(membership.pk)
    assert event.data == {"email": "mia@acme.example", "role": "member"}


def test_it_lets_the_provider_admin_remove_a_member(api_client, provider_admin, outsider):
    response = api_client(provider_admin).delete(f"/api/v1/members/{membership_of(outsider).pk}")
    assert response.status_code == 204
    assert not Membership.objects.filter(user=outsider).exists()
    assert len(events(Action.MEMBER_REMOVED)) == 1


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_it_forbids_members_and_viewers_to_remove_anyone(api_client, request, customer_admin, who):
    user = request.getfixturevalue(who)
    for target in (membership_of(customer_admin), membership_of(user)):
        response = api_client(user).delete(f"/api/v1/members/{target.pk}")
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
    assert Membership.objects.filter(user__in=[customer_admin, user]).count() == 2
    assert not events(Action.MEMBER_REMOVED)


def test_it_hides_another_customers_member_from_removal(api_client, outsider, customer_member):
    response = api_client(outsider).delete(f"/api/v1/members/{membership_of(customer_member).pk}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert Membership.objects.filter(user=customer_member).exists()


def test_it_answers_removal_of_an_unknown_or_malformed_member(api_client, customer_admin):
    client = api_client(customer_admin)
    assert client.delete(f"/api/v1/members/{uuid.uuid4()}").status_code == 404
    assert client.delete("/api/v1/members/..%2f..%2fetc").status_code in (404, 422)
    assert client.delete("/api/v1/members/abc").status_code == 422


def test_it_keeps_the_last_customer_admin_from_removing_themselves(
    api_client, customer_admin, customer_member
):
    response = api_client(customer_admin).delete(f"/api/v1/members/{membership_of(customer_admin).pk}")
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid input.", "errors": {"__all__": [LAST_ADMIN]}}
    assert Membership.objects.filter(user=customer_admin).exists()
    assert not events(Action.MEMBER_REMOVED)


# --- GET /organisations/{id}/invitations --------------------------------------------------------------------


@pytest.mark.parametrize("who", ["customer_admin", "account_manager", "provider_admin"])
def test_it_lists_pending_invitations_to_those_who_manage_members(
    api_client, request, organisation, pending_invitation, who
):
    withdrawn = Invitation.objects.create(
        organisation=organisation,
        email="old@acme.example",
        role="viewer",
        token_hash="0" * 64,
        expires_at=Invitation.default_expiry(),
    )
    from django.utils import timezone

    Invitation.objects.filter(pk=withdrawn.pk).update(revoked_at=timezone.now())
    response = api_client(request.getfixturevalue(who)).get(
        f"/api/v1/organisations/{organisation.pk}/invitations"
    )
    assert response.status_code == 200
    [invitation] = response.json()
    assert invitation["id"] == str(pending_invitation.pk)
    assert invitation["email"] == "nina@acme.example"
    assert invitation["role"] == "member"
    assert invitation["status"] == "pending"


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_it_forbids_members_and_viewers_to_list_invitations(
    api_client, request, organisation, pending_invitation, who
):
    response = api_client(request.getfixturevalue(who)).get(
        f"/api/v1/organisations/{organisation.pk}/invitations"
    )
    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_it_hides_another_customers_invitations(api_client, outsider, organisation, pending_invitation):
    response = api_client(outsider).get(f"/api/v1/organisations/{organisation.pk}/invitations")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_it_answers_invitations_of_an_unknown_or_malformed_id(api_client, provider_admin):
    client = api_client(provider_admin)
    assert client.get(f"/api/v1/organisations/{uuid.uuid4()}/invitations").status_code == 404
    assert client.get("/api/v1/organisations/zzz/invitations").status_code == 422


# --- POST /organisations/{id}/invitations -------------------------------------------------------------------


def invite(client: object, organisation: Organisation, **payload: object) -> object:
    return client.post(
        f"/api/v1/organisations/{organisation.pk}/invitations", payload, content_type="application/json"
    )


def test_it_invites_by_email_and_sends_exactly_one_message(
    api_client, customer_admin, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(
            api_client(customer_admin),
            organisation,
            email=" Nina@Acme.example ",
            role="viewer",
            full_name="Nina New",
        )
    assert response.status_code == 201
    body = response.json()
    assert body == {**body, "email": "nina@acme.example", "role": "viewer", "status": "pending"}
    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.organisation == organisation
    assert invitation.invited_by == customer_admin
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["nina@acme.example"]
    assert "/invitations/" in mailoutbox[0].body
    [event] = events(Action.INVITATION_SENT)
    assert event.actor == customer_admin
    assert event.organisation_id == organisation.pk
    assert event.data == {"email": "nina@acme.example", "role": "viewer"}


def test_it_lets_the_account_manager_invite(
    api_client, account_manager, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(api_client(account_manager), organisation, email="nina@acme.example")
    assert response.status_code == 201
    assert response.json()["role"] == "member"
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    "email", ["not-an-email", "", "nina@", "@acme.example", "nina acme@example.com", "a" * 250 + "@x.se"]
)
def test_it_refuses_an_invalid_email(
    api_client, customer_admin, organisation, mailoutbox, django_capture_on_commit_callbacks, email
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(api_client(customer_admin), organisation, email=email)
    assert response.status_code == 422
    assert not Invitation.objects.exists()
    assert mailoutbox == []
    assert not events(Action.INVITATION_SENT)


@pytest.mark.parametrize("email", ["mia@acme.example", "MIA@ACME.EXAMPLE", " mia@acme.example "])
def test_it_refuses_to_invite_someone_who_is_already_a_member(
    api_client,
    customer_admin,
    customer_member,
    organisation,
    mailoutbox,
    django_capture_on_commit_callbacks,
    email,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(api_client(customer_admin), organisation, email=email)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"email": ["This person is already a member."]},
    }
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_it_refuses_to_invite_provider_staff_as_a_customer(
    api_client, customer_admin, account_manager, organisation, mailoutbox
):
    response = invite(api_client(customer_admin), organisation, email="mads@provider.example")
    assert response.status_code == 422
    assert "email" in response.json()["errors"]
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "nina@acme.example", "role": "owner"},
        {"role": "member"},
        {"email": "nina@acme.example", "full_name": "x" * 151},
    ],
)
def test_it_refuses_an_invalid_invitation(api_client, customer_admin, organisation, payload):
    response = api_client(customer_admin).post(
        f"/api/v1/organisations/{organisation.pk}/invitations", payload, content_type="application/json"
    )
    assert response.status_code == 422
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_it_forbids_members_and_viewers_to_invite(
    api_client, request, organisation, mailoutbox, django_capture_on_commit_callbacks, who
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(api_client(request.getfixturevalue(who)), organisation, email="nina@acme.example")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_it_hides_another_organisation_from_an_inviting_outsider(
    api_client, outsider, organisation, mailoutbox, django_capture_on_commit_callbacks
):
    client = api_client(outsider)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, organisation, email="spy@other.example")
        unknown = client.post(
            f"/api/v1/organisations/{uuid.uuid4()}/invitations",
            {"email": "spy@other.example"},
            content_type="application/json",
        )
        malformed = client.post(
            "/api/v1/organisations/acme/invitations",
            {"email": "spy@other.example"},
            content_type="application/json",
        )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert unknown.status_code == 404
    assert malformed.status_code == 422
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_it_replaces_an_earlier_pending_invitation_to_the_same_address(
    api_client, customer_admin, organisation, pending_invitation
):
    response = invite(api_client(customer_admin), organisation, email="nina@acme.example", role="viewer")
    assert response.status_code == 201
    pending_invitation.refresh_from_db()
    assert pending_invitation.status == "revoked"
    assert [
        i["id"]
        for i in api_client(customer_admin).get(f"/api/v1/organisations/{organisation.pk}/invitations").json()
    ] == [response.json()["id"]]


# --- DELETE /invitations/{id} -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["customer_admin", "account_manager", "provider_admin"])
def test_it_lets_those_who_manage_members_withdraw_an_invitation(
    api_client, request, pending_invitation, who
):
    user = request.getfixturevalue(who)
    response = api_client(user).delete(f"/api/v1/invitations/{pending_invitation.pk}")
    assert response.status_code == 204
    pending_invitation.refresh_from_db()
    assert pending_invitation.status == "revoked"
    [event] = events(Action.INVITATION_REVOKED)
    assert event.actor == user
    assert event.target_id == str(pending_invitation.pk)


def test_it_withdraws_an_invitation_only_once(api_client, customer_admin, pending_invitation):
    client = api_client(customer_admin)
    assert client.delete(f"/api/v1/invitations/{pending_invitation.pk}").status_code == 204
    assert client.delete(f"/api/v1/invitations/{pending_invitation.pk}").status_code == 204
    assert len(events(Action.INVITATION_REVOKED)) == 1


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_it_forbids_members_and_viewers_to_withdraw_invitations(api_client, request, pending_invitation, who):
    response = api_client(request.getfixturevalue(who)).delete(f"/api/v1/invitations/{pending_invitation.pk}")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    pending_invitation.refresh_from_db()
    assert pending_invitation.status == "pending"
    assert not events(Action.INVITATION_REVOKED)


def test_it_hides_another_customers_invitation_from_the_outsider(api_client, outsider, pending_invitation):
    response = api_client(outsider).delete(f"/api/v1/invitations/{pending_invitation.pk}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    pending_invitation.refresh_from_db()
    assert pending_invitation.status == "pending"


def test_it_hides_another_customers_invitation_from_an_unassigned_manager(
    api_client, other_manager, pending_invitation
):
    response = api_client(other_manager).delete(f"/api/v1/invitations/{pending_invitation.pk}")
    assert response.status_code == 404
    pending_invitation.refresh_from_db()
    assert pending_invitation.status == "pending"


def test_it_answers_withdrawal_of_an_unknown_or_malformed_invitation(api_client, provider_admin):
    client = api_client(provider_admin)
    assert client.delete(f"/api/v1/invitations/{uuid.uuid4()}").status_code == 404
    assert client.delete("/api/v1/invitations/not-an-id").status_code == 422


def test_it_lets_only_the_provider_admin_withdraw_a_staff_invitation(
    api_client, provider_admin, account_manager, customer_admin
):
    from kundportal.organisations.services import invite_staff

    invitation = invite_staff(actor=provider_admin, email="new@provider.example", provider_role="manager")
    for user in (account_manager, customer_admin):
        assert api_client(user).delete(f"/api/v1/invitations/{invitation.pk}").status_code == 404
    assert api_client(provider_admin).delete(f"/api/v1/invitations/{invitation.pk}").status_code == 204
    invitation.refresh_from_db()
    assert invitation.status == "revoked"


# --- Authentication ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/organisations"),
        ("post", "/api/v1/organisations"),
        ("get", "/api/v1/organisations/{org}"),
        ("get", "/api/v1/organisations/{org}/members"),
        ("patch", "/api/v1/members/{member}"),
        ("delete", "/api/v1/members/{member}"),
        ("get", "/api/v1/organisations/{org}/invitations"),
        ("post", "/api/v1/organisations/{org}/invitations"),
        ("delete", "/api/v1/invitations/{invitation}"),
    ],
)
def test_it_requires_authentication_for_every_endpoint(
    client, organisation, customer_admin, pending_invitation, method, path
):
    url = path.format(
        org=organisation.pk, member=membership_of(customer_admin).pk, invitation=pending_invitation.pk
    )
    response = getattr(client, method)(url, {}, content_type="application/json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_it_refuses_text_with_nul_characters(api_client, provider_admin, organisation, customer_admin):
    client = api_client(provider_admin)
    response = client.post("/api/v1/organisations", {"name": "Acme\x00AB"}, content_type="application/json")
    assert response.status_code == 422
    response = client.post(
        f"/api/v1/organisations/{organisation.pk}/invitations",
        {"email": "a\x00@acme.example", "role": "member"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Acme AB"]
