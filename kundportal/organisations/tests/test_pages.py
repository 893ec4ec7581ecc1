"""Organisation pages: who sees what, who may change what, in the browser's HTML interface."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import make_user
from kundportal.audit.models import Action, AuditEvent
from kundportal.organisations.models import Invitation, Membership, Organisation, StaffAssignment

pytestmark = pytest.mark.django_db


def test_it_lists_only_the_organisations_a_user_may_see(
    login, provider_admin, account_manager, organisation, other_organisation, customer_admin
):
    assert {o.name for o in login(provider_admin).get("/organisations/").context["organisations"]} == {
        "Acme AB",
        "Other GmbH",
    }
    assert [o.name for o in login(account_manager).get("/organisations/").context["organisations"]] == [
        "Acme AB"
    ]
    assert login(customer_admin).get("/organisations/")["Location"] == f"/organisations/{organisation.pk}/"


def test_it_hides_another_organisation_from_an_outsider(login, organisation, outsider, customer_member):
    client = login(outsider)
    membership = Membership.objects.get(user=customer_member)
    assert client.get(f"/organisations/{organisation.pk}/").status_code == 404
    assert client.get(f"/organisations/{uuid.uuid4()}/").status_code == 404
    assert (
        client.post(
            f"/organisations/{organisation.pk}/invite/", {"email": "x@x.example", "role": "admin"}
        ).status_code
        == 404
    )
    assert client.post(f"/members/{membership.pk}/role/", {"role": "admin"}).status_code == 404
    assert client.post(f"/members/{membership.pk}/remove/").status_code == 404
    assert Membership.objects.get(pk=membership.pk).role == "member"


def test_it_hides_unassigned_customers_from_an_account_manager(login, account_manager, other_organisation):
    assert login(account_manager).get(f"/organisations/{other_organisation.pk}/").status_code == 404


def test_it_lets_members_and_viewers_read_but_not_manage(
    login, organisation, customer_member, customer_viewer
):
    for user in (customer_member, customer_viewer):
        client = login(user)
        page = client.get(f"/organisations/{organisation.pk}/")
        assert page.status_code == 200 and "Send invitation" not in page.content.decode()
        assert (
            client.post(
                f"/organisations/{organisation.pk}/invite/", {"email": "new@acme.example", "role": "admin"}
            ).status_code
            == 403
        )
        target = Membership.objects.get(user=customer_viewer)
        assert client.post(f"/members/{target.pk}/role/", {"role": "admin"}).status_code == 403
        assert client.post(f"/members/{target.pk}/remove/").status_code == 403
    assert not Invitation.objects.exists()
    assert Membership.objects.get(user=customer_viewer).role == "viewer"


def test_it_lets_staff_create_a_customer(login, provider_admin):
    response = login(provider_admin).post(
        "/organisations/new/", {"name": "Neue Kunde GmbH", "kind": "company"}
    )
    organisation = Organisation.objects.get(name="Neue Kunde GmbH")
    assert response["Location"] == f"/organisations/{organisation.pk}/"
    assert AuditEvent.objects.filter(action=Action.ORGANISATION_CREATED, organisation=organisation).exists()


def test_it_assigns_a_customer_to_the_account_manager_who_creates_it(login, account_manager):
    login(account_manager).post("/organisations/new/", {"name": "Mine AB", "kind": "private"})
    assert StaffAssignment.objects.filter(organisation__name="Mine AB", user=account_manager).exists()


def test_it_refuses_customers_creating_organisations(login, customer_admin):
    client = login(customer_admin)
    assert client.get("/organisations/new/").status_code == 404
    assert client.post("/organisations/new/", {"name": "Sneaky", "kind": "company"}).status_code == 404
    assert not Organisation.objects.filter(name="Sneaky").exists()


def test_it_rejects_a_blank_organisation_name(login, provider_admin):
    response = login(provider_admin).post("/organisations/new/", {"name": "  ", "kind": "company"})
    assert response.status_code == 200 and response.context["form"].errors["name"]
    assert not Organisation.objects.exists()


def test_it_lets_a_customer_admin_change_roles_and_remove_colleagues(
    login, organisation, customer_admin, customer_member
):
    client = login(customer_admin)
    membership = Membership.objects.get(user=customer_member)
    client.post(f"/members/{membership.pk}/role/", {"role": "viewer"})
    assert Membership.objects.get(pk=membership.pk).role == "viewer"
    event = AuditEvent.objects.get(action=Action.ROLE_CHANGED)
    assert event.data == {"email": customer_member.email, "old": "member", "new": "viewer"}
    client.post(f"/members/{membership.pk}/remove/")
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_it_keeps_at_least_one_customer_admin(login, organisation, customer_admin):
    client = login(customer_admin)
    membership = Membership.objects.get(user=customer_admin)
    response = client.post(f"/members/{membership.pk}/role/", {"role": "member"}, follow=True)
    assert "at least one admin" in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).role == "admin"
    client.post(f"/members/{membership.pk}/remove/")
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_it_rejects_an_unknown_role(login, organisation, customer_admin, customer_member):
    membership = Membership.objects.get(user=customer_member)
    login(customer_admin).post(f"/members/{membership.pk}/role/", {"role": "owner"})
    assert Membership.objects.get(pk=membership.pk).role == "member"


def test_it_lets_only_provider_admins_assign_account_managers(
    login, provider_admin, account_manager, other_organisation
):
    payload = {"manager": account_manager.pk, "action": "assign"}
    assert (
        login(account_manager).post(f"/organisations/{other_organisation.pk}/managers/", payload).status_code
        == 404
    )
    login(provider_admin).post(f"/organisations/{other_organisation.pk}/managers/", payload)
    assert StaffAssignment.objects.filter(organisation=other_organisation, user=account_manager).exists()
    assert login(account_manager).get(f"/organisations/{other_organisation.pk}/").status_code == 200
    login(provider_admin).post(
        f"/organisations/{other_organisation.pk}/managers/",
        {"manager": account_manager.pk, "action": "unassign"},
    )
    assert login(account_manager).get(f"/organisations/{other_organisation.pk}/").status_code == 404


def test_it_lets_staff_require_mfa_for_an_organisation(login, account_manager, organisation, customer_admin):
    assert (
        login(customer_admin)
        .post(f"/organisations/{organisation.pk}/settings/", {"name": "Acme AB", "require_mfa": "on"})
        .status_code
        == 403
    )
    login(account_manager).post(
        f"/organisations/{organisation.pk}/settings/", {"name": "Acme AB", "require_mfa": "on"}
    )
    organisation.refresh_from_db()
    assert organisation.require_mfa


def test_it_keeps_the_dashboard_and_member_list_query_counts_flat(
    login, organisation, customer_admin, provider_admin, django_assert_max_num_queries
):
    def add_members(count):
        start = Membership.objects.count()
        users = [make_user(f"p{n}@acme.example") for n in range(start, start + count)]
        Membership.objects.bulk_create([Membership(organisation=organisation, user=user) for user in users])

    def counts(client):
        client.get(
            "/"
        )  # the first request of a session records it (allauth usersessions): not part of the page
        with CaptureQueriesContext(connection) as dashboard:
            assert client.get("/").status_code == 200
        with CaptureQueriesContext(connection) as member_list:
            response = client.get(f"/organisations/{organisation.pk}/")
        assert response.status_code == 200
        return len(dashboard), len(member_list)

    add_members(10)
    for user in (customer_admin, provider_admin):  # a returning user: the dashboard looks for news since then
        user.last_dashboard_visit = timezone.now() - timedelta(days=1)
        user.save(update_fields=["last_dashboard_visit"])
    small = {user: counts(login(user)) for user in (customer_admin, provider_admin)}
    add_members(990)
    for user in (customer_admin, provider_admin):
        client = login(user)
        client.get("/")
        with django_assert_max_num_queries(small[user][0]):
            assert client.get("/").status_code == 200
        with django_assert_max_num_queries(small[user][1]):
            response = client.get(f"/organisations/{organisation.pk}/")
        assert response.context["page"].paginator.count == 1001
        assert len(response.context["page"].object_list) == 50
        assert max(small[user]) <= 16


def test_it_counts_all_members_when_a_customer_lists_organisations(
    login, organisation, customer_admin, customer_member, customer_viewer
):
    from kundportal.core.dashboard import _organisations

    assert [o.member_count for o in _organisations(customer_admin)] == [3]
    response = login(customer_admin).get("/organisations/")
    assert response.status_code == 302 and response["Location"] == f"/organisations/{organisation.pk}/"


def test_it_pages_and_searches_the_people_of_an_organisation(login, organisation, customer_admin):
    users = [make_user(f"p{n:03}@acme.example", full_name=f"Person {n:03}") for n in range(60)]
    Membership.objects.bulk_create([Membership(organisation=organisation, user=user) for user in users])
    client = login(customer_admin)
    second = client.get(f"/organisations/{organisation.pk}/", {"page": 2})
    assert second.context["page"].object_list[0].user.email == "p049@acme.example"
    found = client.get(f"/organisations/{organisation.pk}/", {"q": "person 007"})
    assert [m.user.email for m in found.context["page"].object_list] == ["p007@acme.example"]
    assert client.get(f"/organisations/{organisation.pk}/", {"page": "999"}).status_code == 200
