"""Fields with legal weight (company name, VAT number, billing country) once there are invoices: a customer's
change becomes a request, whatever the form or the API sends; staff approve (the change applies and is recorded)
or reject with a reason; the customer sees the state."""

from __future__ import annotations

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import OrderStatus
from kundportal.customers.models import Address, ChangeRecord, ChangeRequest, CustomerProfile
from kundportal.customers.tests.self_service import (
    api,
    data_url,
    invoice_something,
    invoice_with_document,
    make_address,
    state,
)

pytestmark = pytest.mark.django_db

PROFILE = {
    "company_name": "Acme AB",
    "vat_number": "",
    "email": "",
    "phone": "",
    "website": "",
    "preferred_language": "en",
    "contact_channel": "email",
}
BERLIN = {"country": "DE", "postal_code": "10115", "city": "Berlin", "street_address": "Unter den Linden 1"}


@pytest.fixture
def billing(organisation):
    return make_address(organisation)


@pytest.fixture
def invoiced(organisation, billing):
    invoice_something(organisation)
    return organisation


# ---------------------------------------------------------------------------------------------------------
# Locked: what makes it so


def test_without_invoices_a_customer_admin_changes_legal_fields_directly(
    login, customer_admin, organisation, billing
):
    invoice_something(organisation, status=OrderStatus.CONFIRMED)  # an order, but no invoice yet
    client = login(customer_admin)
    client.post(data_url(organisation, "profile/"), {**PROFILE, "company_name": "Acme Group AB"})
    client.post(f"/addresses/{billing.pk}/", {"purpose": "billing", **BERLIN})
    organisation.refresh_from_db()
    billing.refresh_from_db()
    assert organisation.name == "Acme Group AB" and billing.country.code == "DE"
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize("how", ["invoiced", "paid", "invoice_document"])
def test_an_invoice_or_an_invoiced_or_paid_order_locks_the_fields(
    login, customer_admin, organisation, billing, how
):
    if how == "invoice_document":
        invoice_with_document(organisation, customer_admin)
    else:
        invoice_something(organisation, status=how)
    login(customer_admin).post(
        data_url(organisation, "profile/"), {**PROFILE, "company_name": "Acme Group AB"}
    )
    organisation.refresh_from_db()
    assert organisation.name == "Acme AB"
    assert ChangeRequest.objects.get().requested_value == "Acme Group AB"


# ---------------------------------------------------------------------------------------------------------
# Locked: the page and the API make requests, whatever is sent


def test_a_customer_admins_page_post_of_locked_fields_becomes_requests(
    login, customer_admin, organisation, invoiced
):
    client = login(customer_admin)
    form = client.get(data_url(organisation, "profile/")).content.decode()
    assert "sent to your account manager for approval" in form
    response = client.post(
        data_url(organisation, "profile/"),
        {
            **PROFILE,
            "company_name": "Acme Group AB",
            "vat_number": "SE556677889901",
            "email": "new@acme.example",
        },
        follow=True,
    )
    page = response.content.decode()
    organisation.refresh_from_db()
    profile = CustomerProfile.objects.get(organisation=organisation)
    assert organisation.name == "Acme AB" and profile.vat_number == ""
    assert profile.email == "new@acme.example"  # not locked: applied
    requests = {r.field: r for r in ChangeRequest.objects.all()}
    assert set(requests) == {"company_name", "vat_number"}
    assert (
        requests["company_name"].current_value == "Acme AB"
        and requests["company_name"].requested_by == customer_admin
    )
    assert "was sent to your account manager for approval" in page
    assert "Requested changes" in page and "Acme Group AB" in page and "Pending" in page
    assert AuditEvent.objects.filter(action=Action.CHANGE_REQUESTED).count() == 2
    assert not ChangeRecord.objects.filter(field__in=["company_name", "vat_number"]).exists()


def test_a_customer_admins_api_patch_of_locked_fields_becomes_requests(
    api_client, customer_admin, organisation, invoiced
):
    response = api_client(customer_admin).patch(
        api(organisation, "profile"),
        {"company_name": "Acme Group AB", "vat_number": "SE556677889901"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["company_name"] == "Acme AB" and body["vat_number"] == "" and body["locked"] is True
    assert {r["field"] for r in body["change_requests"]} == {"company_name", "vat_number"}
    organisation.refresh_from_db()
    assert organisation.name == "Acme AB"


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_a_member_or_viewer_cannot_touch_a_locked_field_at_all(
    request, login, api_client, organisation, invoiced, billing, who
):
    user = request.getfixturevalue(who)
    before = state(organisation)
    assert (
        login(user)
        .post(data_url(organisation, "profile/"), {**PROFILE, "company_name": "Hacked"})
        .status_code
        == 403
    )
    bearer = api_client(user)
    assert (
        bearer.patch(
            api(organisation, "profile"), {"company_name": "Hacked"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert (
        bearer.patch(
            f"/api/v1/addresses/{billing.pk}", {"country": "DE"}, content_type="application/json"
        ).status_code
        == 403
    )
    response = bearer.post(
        api(organisation, "change-requests"),
        {"field": "company_name", "requested_value": "Hacked"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert state(organisation) == before


def test_a_new_billing_country_makes_a_request_for_the_whole_address(
    login, customer_admin, organisation, invoiced, billing
):
    before = Address.objects.values().get(pk=billing.pk)
    response = login(customer_admin).post(
        f"/addresses/{billing.pk}/", {"purpose": "billing", **BERLIN}, follow=True
    )
    assert "was sent to your account manager for approval" in response.content.decode()
    assert Address.objects.values().get(pk=billing.pk) == before  # nothing applied yet
    change_request = ChangeRequest.objects.get()
    assert (change_request.field, change_request.current_value, change_request.requested_value) == (
        "billing_country",
        "SE",
        "DE",
    )
    assert change_request.address == billing
    assert change_request.requested_address["postal_code"] == "10115"
    page = response.content.decode()
    assert "Unter den Linden 1, 10115 Berlin, Germany" in page


def test_other_billing_address_fields_change_directly(login, customer_admin, organisation, invoiced, billing):
    login(customer_admin).post(
        f"/addresses/{billing.pk}/",
        {
            "purpose": "billing",
            "country": "SE",
            "street_address": "Storgatan 2",
            "postal_code": "11455",
            "city": "Stockholm",
        },
    )
    billing.refresh_from_db()
    assert billing.street_address == "Storgatan 2" and not ChangeRequest.objects.exists()


def test_the_billing_country_cannot_move_by_other_routes(
    login, api_client, customer_admin, organisation, invoiced, billing
):
    client, bearer = login(customer_admin), api_client(customer_admin)
    before = state(organisation)
    # A new billing address elsewhere, a shipping address turned billing elsewhere, deleting the default.
    response = client.post(data_url(organisation, "addresses/new/"), {"purpose": "billing", **BERLIN})
    assert response.status_code == 200 and "stay in Sweden" in response.content.decode()
    assert (
        bearer.post(
            api(organisation, "addresses"), {"purpose": "billing", **BERLIN}, content_type="application/json"
        ).status_code
        == 422
    )
    assert client.post(f"/addresses/{billing.pk}/delete/").status_code == 302
    assert state(organisation) == before
    shipping = make_address(organisation, purpose="shipping", **BERLIN)
    before = state(organisation)
    assert (
        bearer.patch(
            f"/api/v1/addresses/{shipping.pk}", {"purpose": "billing"}, content_type="application/json"
        ).status_code
        == 422
    )
    assert (
        bearer.patch(
            f"/api/v1/addresses/{billing.pk}", {"purpose": "shipping"}, content_type="application/json"
        ).status_code
        == 422
    )
    assert state(organisation) == before


def test_a_second_request_for_the_same_field_waits_for_the_first(
    api_client, customer_admin, organisation, invoiced
):
    bearer = api_client(customer_admin)
    bearer.patch(
        api(organisation, "profile"), {"company_name": "Acme Group AB"}, content_type="application/json"
    )
    response = bearer.patch(
        api(organisation, "profile"), {"company_name": "Acme Holding AB"}, content_type="application/json"
    )
    assert response.status_code == 422 and "already waiting" in response.json()["errors"]["company_name"][0]
    assert ChangeRequest.objects.count() == 1


def test_staff_change_locked_fields_directly_and_it_is_recorded(
    login, account_manager, organisation, invoiced
):
    login(account_manager).post(
        data_url(organisation, "profile/"), {**PROFILE, "company_name": "Acme Group AB"}
    )
    organisation.refresh_from_db()
    assert organisation.name == "Acme Group AB" and not ChangeRequest.objects.exists()
    assert ChangeRecord.objects.get(field="company_name").actor == account_manager


def test_the_api_asks_explicitly(api_client, customer_admin, organisation, invoiced, billing):
    bearer = api_client(customer_admin)
    response = bearer.post(
        api(organisation, "change-requests"),
        {"field": "vat_number", "requested_value": "se 5566 7788 9901"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["requested_value"] == "SE556677889901"
    # A billing country the current address does not fit: the address itself must change.
    response = bearer.post(
        api(organisation, "change-requests"),
        {"field": "billing_country", "requested_value": "DE"},
        content_type="application/json",
    )
    assert (
        response.status_code == 422
        and "does not fit the new country" in response.json()["errors"]["requested_value"][0]
    )
    # One that it fits (Swedish and Finnish postal codes are both five digits).
    Address.objects.filter(pk=billing.pk).update(postal_code="11455")
    response = bearer.post(
        api(organisation, "change-requests"),
        {"field": "billing_country", "requested_value": "FI", "address_id": str(billing.pk)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    listed = bearer.get(api(organisation, "change-requests")).json()
    assert listed["count"] == 2


# ---------------------------------------------------------------------------------------------------------
# Deciding


def _request_company_name(api_client, customer_admin, organisation):
    api_client(customer_admin).patch(
        api(organisation, "profile"), {"company_name": "Acme Group AB"}, content_type="application/json"
    )
    return ChangeRequest.objects.get()


def test_staff_approve_and_the_change_applies_and_is_recorded(
    login, api_client, customer_admin, account_manager, organisation, invoiced
):
    change_request = _request_company_name(api_client, customer_admin, organisation)
    client = login(account_manager)
    page = client.get("/change-requests/").content.decode()
    assert "Acme Group AB" in page and "Approve" in page
    response = client.post(f"/change-requests/{change_request.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302
    organisation.refresh_from_db()
    change_request.refresh_from_db()
    assert organisation.name == "Acme Group AB"
    assert change_request.status == "approved" and change_request.decided_by == account_manager
    record = ChangeRecord.objects.get(field="company_name")
    assert (record.old_value, record.new_value, record.actor) == ("Acme AB", "Acme Group AB", account_manager)
    assert AuditEvent.objects.filter(action=Action.CHANGE_DECIDED).get().data["decision"] == "approved"
    customer_page = login(customer_admin).get(data_url(organisation)).content.decode()
    assert "Approved" in customer_page


def test_approving_a_billing_country_applies_the_whole_address(
    login, customer_admin, account_manager, organisation, invoiced, billing
):
    login(customer_admin).post(f"/addresses/{billing.pk}/", {"purpose": "billing", **BERLIN})
    change_request = ChangeRequest.objects.get()
    response = login(account_manager).post(
        f"/change-requests/{change_request.pk}/decide/", {"decision": "approve", "return_to": "data"}
    )
    assert response.url == data_url(organisation)
    billing.refresh_from_db()
    assert (billing.country.code, billing.postal_code, billing.city) == ("DE", "10115", "Berlin")
    assert set(ChangeRecord.objects.filter(subject_id=billing.pk).values_list("field", flat=True)) >= {
        "country",
        "postal_code",
    }


def test_staff_reject_with_a_reason_the_customer_sees(
    login, api_client, customer_admin, account_manager, organisation, invoiced
):
    change_request = _request_company_name(api_client, customer_admin, organisation)
    client = login(account_manager)
    client.post(f"/change-requests/{change_request.pk}/decide/", {"decision": "reject"})
    change_request.refresh_from_db()
    assert change_request.status == "pending"  # a rejection needs a reason
    client.post(
        f"/change-requests/{change_request.pk}/decide/",
        {"decision": "reject", "reason": "Send us the registration certificate."},
    )
    change_request.refresh_from_db()
    organisation.refresh_from_db()
    assert change_request.status == "rejected" and organisation.name == "Acme AB"
    page = login(customer_admin).get(data_url(organisation)).content.decode()
    assert "Rejected" in page and "Send us the registration certificate." in page
    # Decided once: not again.
    response = api_client(account_manager).post(f"/api/v1/change-requests/{change_request.pk}/approve")
    assert response.status_code == 422


def test_the_api_approves_and_rejects(api_client, customer_admin, provider_admin, organisation, invoiced):
    change_request = _request_company_name(api_client, customer_admin, organisation)
    bearer = api_client(provider_admin)
    assert (
        bearer.post(
            f"/api/v1/change-requests/{change_request.pk}/reject",
            {"reason": ""},
            content_type="application/json",
        ).status_code
        == 422
    )
    response = bearer.post(f"/api/v1/change-requests/{change_request.pk}/approve")
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert response.json()["decided_by"] == provider_admin.email


def test_customers_cannot_decide_and_outsiders_learn_nothing(
    login, api_client, customer_admin, outsider, organisation, invoiced
):
    change_request = _request_company_name(api_client, customer_admin, organisation)
    before = state(organisation)
    assert (
        login(customer_admin)
        .post(f"/change-requests/{change_request.pk}/decide/", {"decision": "approve"})
        .status_code
        == 403
    )
    assert (
        api_client(customer_admin).post(f"/api/v1/change-requests/{change_request.pk}/approve").status_code
        == 403
    )
    assert login(customer_admin).get("/change-requests/").status_code == 404
    assert (
        login(outsider)
        .post(f"/change-requests/{change_request.pk}/decide/", {"decision": "approve"})
        .status_code
        == 404
    )
    assert (
        api_client(outsider).post(f"/api/v1/change-requests/{change_request.pk}/approve").status_code == 404
    )
    assert api_client(outsider).get(api(organisation, "change-requests")).status_code == 404
    assert state(organisation) == before


def test_account_managers_see_only_the_requests_of_their_customers(
    login, api_client, customer_admin, outsider, account_manager, organisation, other_organisation, invoiced
):
    _request_company_name(api_client, customer_admin, organisation)
    invoice_something(other_organisation)
    api_client(outsider).patch(
        api(other_organisation, "profile"), {"company_name": "Other AG"}, content_type="application/json"
    )
    assert ChangeRequest.objects.count() == 2
    page = login(account_manager).get("/change-requests/").content.decode()
    assert "Acme Group AB" in page and "Other AG" not in page


def test_the_change_log_is_in_the_api_for_customers_and_staff(
    api_client, customer_admin, customer_viewer, account_manager, organisation
):
    api_client(customer_admin).patch(
        api(organisation, "profile"), {"email": "a@acme.example"}, content_type="application/json"
    )
    for user in (customer_viewer, account_manager):
        body = api_client(user).get(api(organisation, "changes")).json()
        assert body["count"] == 1
        assert body["items"][0]["field"] == "email" and body["items"][0]["actor"] == customer_admin.email


def test_the_change_requests_page_keeps_its_query_count(
    login, api_client, customer_admin, provider_admin, django_assert_max_num_queries
):
    from kundportal.organisations.models import Organisation

    client = login(provider_admin)

    def grow(count):
        for number in range(count):
            organisation = Organisation.objects.create(name=f"Customer {number}")
            ChangeRequest.objects.create(
                organisation=organisation,
                field="vat_number",
                requested_value=f"SE{number}",
                requested_by=customer_admin,
            )

    grow(1)
    client.get("/change-requests/")
    with django_assert_max_num_queries(12) as small:
        assert client.get("/change-requests/").status_code == 200
    counted = len(small.captured_queries)  # now: the next request starts a new query log
    assert counted > 3
    grow(30)
    with django_assert_max_num_queries(counted):
        assert client.get("/change-requests/").status_code == 200


# ---------------------------------------------------------------------------------------------------------
# Withdrawing


def test_a_customer_withdraws_an_open_request_on_the_page(
    login, api_client, customer_admin, organisation, invoiced
):
    change_request = _request_company_name(api_client, customer_admin, organisation)
    client = login(customer_admin)
    page = client.get(data_url(organisation)).content.decode()
    assert f"/change-requests/{change_request.pk}/withdraw/" in page
    response = client.post(f"/change-requests/{change_request.pk}/withdraw/", follow=True)
    assert "Request withdrawn" in response.content.decode()
    change_request.refresh_from_db()
    organisation.refresh_from_db()
    assert change_request.status == "withdrawn" and change_request.decided_by == customer_admin
    assert organisation.name == "Acme AB"
    event = AuditEvent.objects.get(action=Action.CHANGE_WITHDRAWN)
    assert event.actor == customer_admin and event.organisation_id == organisation.pk
    assert (
        f"/change-requests/{change_request.pk}/withdraw/"
        not in client.get(data_url(organisation)).content.decode()
    )
    # The field is free for a new request.
    _request = api_client(customer_admin).patch(
        api(organisation, "profile"), {"company_name": "Acme Nord AB"}, content_type="application/json"
    )
    assert ChangeRequest.objects.filter(status="pending", requested_value="Acme Nord AB").exists()


def test_the_api_withdraws_once(api_client, customer_admin, organisation, invoiced):
    change_request = _request_company_name(api_client, customer_admin, organisation)
    bearer = api_client(customer_admin)
    response = bearer.post(f"/api/v1/change-requests/{change_request.pk}/withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    again = bearer.post(f"/api/v1/change-requests/{change_request.pk}/withdraw")
    assert again.status_code == 422
    listed = bearer.get(api(organisation, "change-requests") + "?status=withdrawn").json()
    assert [item["id"] for item in listed["items"]] == [str(change_request.pk)]


def test_only_editors_of_the_customer_withdraw(
    login, api_client, customer_admin, customer_viewer, account_manager, outsider, organisation, invoiced
):
    change_request = _request_company_name(api_client, customer_admin, organisation)
    url = f"/change-requests/{change_request.pk}/withdraw/"
    assert login(customer_viewer).post(url).status_code == 403
    assert api_client(customer_viewer).post(f"/api/v1{url.rstrip('/')}").status_code == 403
    assert login(outsider).post(url).status_code == 404
    assert api_client(outsider).post(f"/api/v1{url.rstrip('/')}").status_code == 404
    # Staff reject with a reason instead.
    assert api_client(account_manager).post(f"/api/v1{url.rstrip('/')}").status_code == 403
    assert login(customer_admin).get(url).status_code == 405
    change_request.refresh_from_db()
    assert change_request.status == "pending"
    assert not AuditEvent.objects.filter(action=Action.CHANGE_WITHDRAWN).exists()
