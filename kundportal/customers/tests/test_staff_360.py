"""The customer 360° view for staff (page and GET /api/v1/customers/{id}): everything about one customer,
recorded as staff access, in a constant number of queries; account managers only for their customers."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import OrderStatus
from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
from kundportal.core.crypto.fields import encrypt_value, field_aad
from kundportal.customers.interests import recompute_organisation_interests
from kundportal.customers.models import (
    Address,
    ChangeRecord,
    ChangeRequest,
    CustomerInterest,
    CustomerProfile,
    PaymentMethod,
)
from kundportal.customers.queries import OrderSummary

pytestmark = pytest.mark.django_db


def at(day: str) -> datetime:
    return timezone.make_aware(datetime.fromisoformat(day))


def upload(user, folder, name: str, data: bytes = b"%PDF-1.4 test"):
    from kundportal.documents.access import get_folder_for_user
    from kundportal.documents.services import upload_document_version

    access = get_folder_for_user(user, folder.pk, write=True)
    return upload_document_version(actor=user, folder=access, name=name, stream=io.BytesIO(data)).document


@pytest.fixture
def acme(organisation, customer_admin, account_manager):
    from kundportal.documents.models import Folder

    profile = CustomerProfile.objects.create(
        organisation=organisation,
        external_id="C-100",
        vat_number="SE556677889901",
        email="info@acme.example",
        phone="+46701234567",
        preferred_language="sv",
        contact_channel="phone",
    )
    Address.objects.create(
        organisation=organisation,
        purpose="billing",
        is_default=True,
        street_address="Storgatan 1",
        postal_code="111 22",
        city="Stockholm",
        country="SE",
    )
    # An IBAN token that cannot be decrypted: the view must never try.
    PaymentMethod.objects.create(
        organisation=organisation,
        kind="sepa",
        is_default=True,
        iban_encrypted="v1:nokey:AAAA",
        iban_country="SE",
        iban_last4="1234",
    )
    drawing = make_interest("drawing", "Drawing software", sv="Ritprogram")
    training = make_interest("training", "Training")
    make_interest("hardware", "Hardware")
    cad = make_product("CAD-1", "CAD Pro", category=make_category("Software", drawing))
    make_order(organisation, (cad, 1), placed_at=at("2026-01-01"), placed_by=customer_admin)
    make_order(organisation, (cad, 2), placed_at=at("2026-01-11"))
    make_order(organisation, (cad, 1), placed_at=at("2026-01-31"), currency="EUR")
    make_order(organisation, (cad, 9), placed_at=at("2026-02-15"), status=OrderStatus.CANCELLED)
    recompute_organisation_interests(organisation)
    CustomerInterest.objects.create(organisation=organisation, category=training, declared=True)
    folder = Folder.objects.create(organisation=organisation, name="Contracts")
    upload(account_manager, folder, "contract.pdf")
    ChangeRequest.objects.create(
        organisation=organisation,
        field="vat_number",
        current_value="SE556677889901",
        requested_value="SE999999999901",
        requested_by=customer_admin,
    )
    ChangeRecord.objects.create(
        organisation=organisation,
        actor=customer_admin,
        actor_label=customer_admin.email,
        subject="profile",
        field="email",
        old_value="old@acme.example",
        new_value="info@acme.example",
    )
    return {"organisation": organisation, "profile": profile, "folder": folder, "cad": cad}


def url(organisation) -> str:
    return reverse("customer_360", args=[organisation.pk])


def test_it_shows_everything_about_the_customer(login, account_manager, acme):
    response = login(account_manager).get(url(acme["organisation"]))
    assert response.status_code == 200
    html = response.content.decode()
    for expected in [
        "You are working in the customer Acme AB",
        "info@acme.example",
        "+46701234567",
        "SE556677889901",
        "Storgatan 1",
        "SE•• •••• •••• 1234",  # masked
        "300.00 SEK",
        "100.00 EUR",
        "Bought 4 items in Drawing software.",
        "Training",
        "contract.pdf",
        "SE999999999901",
        "old@acme.example",
        "15 days on average",
    ]:
        assert expected in html, expected
    summary = response.context["summary"]
    assert all(order.number in html for order in summary.latest_orders)
    assert summary.orders.count == 3  # the cancelled order does not count
    assert [(m.currency, str(m.amount)) for m in summary.orders.revenue] == [
        ("EUR", "100.00"),
        ("SEK", "300.00"),
    ]
    assert summary.orders.last == at("2026-01-31")
    assert len(summary.latest_orders) == 4  # the list shows every order, with its status
    assert [i.name for i in summary.declared_interests] == ["Training"]
    assert [i.category.slug for i in summary.inferred_interests] == ["drawing"]


def test_each_view_is_recorded_as_staff_access(login, api_client, account_manager, acme):
    login(account_manager).get(url(acme["organisation"]))
    api_client(account_manager).get(f"/api/v1/customers/{acme['organisation'].pk}")
    events = AuditEvent.objects.filter(action=Action.CUSTOMER_VIEWED)
    assert events.count() == 2
    assert {(e.actor_id, e.organisation_id) for e in events} == {
        (account_manager.pk, acme["organisation"].pk)
    }


def test_suppressed_interests_are_marked(login, provider_admin, acme):
    CustomerInterest.objects.filter(category__slug="drawing").update(suppressed=True)
    html = login(provider_admin).get(url(acme["organisation"])).content.decode()
    assert "turned off by the customer" in html


def test_the_age_is_shown_from_the_encrypted_birth_date(login, provider_admin, acme):
    profile = acme["profile"]
    born = timezone.localdate().replace(year=timezone.localdate().year - 40) - timedelta(days=1)
    aad = field_aad("customers_customerprofile", "birth_date", profile.pk)
    profile.birth_date_encrypted = encrypt_value(born.isoformat(), aad=aad)
    profile.save()
    response = login(provider_admin).get(url(acme["organisation"]))
    assert response.context["summary"].age == 40
    assert "40 years" in response.content.decode()
    assert born.isoformat() not in response.content.decode()


def test_a_customer_without_data_shows_empty_states(login, provider_admin, other_organisation):
    html = login(provider_admin).get(url(other_organisation)).content.decode()
    for expected in [
        "The customer has not filled in a profile yet.",
        "No address yet.",
        "No payment method yet.",
        "No orders yet.",
        "No interests yet",
        "No documents yet.",
        "No change request is waiting.",
        "No changes recorded yet.",
    ]:
        assert expected in html, expected


def test_an_account_manager_of_another_organisation_gets_404(
    login, api_client, account_manager, other_organisation
):
    assert login(account_manager).get(url(other_organisation)).status_code == 404
    assert api_client(account_manager).get(f"/api/v1/customers/{other_organisation.pk}").status_code == 404
    assert not AuditEvent.objects.filter(action=Action.CUSTOMER_VIEWED).exists()


@pytest.mark.parametrize("who", ["customer_admin", "customer_viewer", "outsider"])
def test_customers_get_404_even_for_their_own_organisation(request, login, api_client, acme, who):
    user = request.getfixturevalue(who)
    assert login(user).get(url(acme["organisation"])).status_code == 404
    assert api_client(user).get(f"/api/v1/customers/{acme['organisation'].pk}").status_code == 404
    assert not AuditEvent.objects.filter(action=Action.CUSTOMER_VIEWED).exists()


def test_unknown_and_malformed_ids_are_404(login, api_client, provider_admin):
    client = login(provider_admin)
    assert client.get("/customers/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/customers/not-a-uuid/").status_code == 404
    assert api_client(provider_admin).get("/api/v1/customers/not-a-uuid").status_code == 422


def test_the_page_costs_the_same_queries_as_the_data_grows(
    login, account_manager, customer_admin, acme, django_assert_max_num_queries
):
    organisation = acme["organisation"]
    client = login(account_manager)
    client.get(url(organisation))
    with django_assert_max_num_queries(20) as few:
        client.get(url(organisation))
    for n in range(30):
        make_order(organisation, (acme["cad"], 1), placed_by=customer_admin)
        upload(account_manager, acme["folder"], f"drawing-{n}.pdf")
        ChangeRecord.objects.create(
            organisation=organisation, subject="profile", field="phone", new_value=str(n)
        )
        Address.objects.create(
            organisation=organisation, purpose="shipping", street_address=f"Gatan {n}", country="SE"
        )
        make_interest(f"topic-{n}")
    with django_assert_max_num_queries(len(few)):
        response = client.get(url(organisation))
    summary = response.context["summary"]
    assert len(summary.latest_orders) == len(summary.documents) == len(summary.changes) == 10


def test_the_api_summary(api_client, provider_admin, acme):
    body = api_client(provider_admin).get(f"/api/v1/customers/{acme['organisation'].pk}").json()
    assert (body["name"], body["profile"]["external_id"], body["profile"]["contact_channel"]) == (
        "Acme AB",
        "C-100",
        "phone",
    )
    assert body["payment_methods"] == [
        {
            "id": str(PaymentMethod.objects.get().pk),
            "kind": "sepa",
            "is_default": True,
            "masked": "SE•• •••• •••• 1234",
        }
    ]
    assert "iban_encrypted" not in str(body)
    assert body["addresses"][0]["country"] == "SE"
    orders = body["orders"]
    assert (orders["count"], orders["average_days_between"], len(orders["latest"])) == (3, 15.0, 4)
    assert orders["revenue"] == [
        {"currency": "EUR", "amount": "100.00"},
        {"currency": "SEK", "amount": "300.00"},
    ]
    assert {i["slug"]: i["reason"] for i in body["interests"]} == {
        "drawing": "Bought 4 items in Drawing software.",
        "training": "",
    }
    assert [d["name"] for d in body["documents"]] == ["contract.pdf"]
    assert body["pending_change_requests"][0]["requested_value"] == "SE999999999901"
    assert body["recent_changes"][0]["old"] == "old@acme.example"
    assert body["account_managers"] == ["mads@provider.example"]


def test_average_days_between_orders():
    assert (
        OrderSummary(count=1, revenue=[], first=at("2026-01-01"), last=at("2026-01-01")).average_days is None
    )
    summary = OrderSummary(count=4, revenue=[], first=at("2026-01-01"), last=at("2026-01-11"))
    assert (summary.average_days_between, summary.average_days) == (3.3, 3)
