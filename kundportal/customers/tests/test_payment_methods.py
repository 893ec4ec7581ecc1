"""Payment methods: invoice, SEPA with a checked IBAN stored encrypted and always shown masked, cards only as a
payment provider's token; one default, and removing it says so instead of picking another."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kundportal.audit.models import Action, AuditEvent
from kundportal.core.crypto.fields import FieldIntegrityError, decrypt_value, field_aad
from kundportal.customers.forms import PaymentMethodForm
from kundportal.customers.models import ChangeRecord, PaymentMethod
from kundportal.customers.payment_methods import payment_method_iban
from kundportal.customers.tests.self_service import (
    CARD_NUMBER,
    VALID_IBAN,
    VALID_IBAN_COMPACT,
    api,
    data_url,
    state,
)

pytestmark = pytest.mark.django_db

SEPA = {"kind": "sepa", "account_holder": "Acme AB", "iban": VALID_IBAN}
CARD = {
    "kind": "card",
    "card_provider": "Stripe",
    "card_token": "pm_1Nx2abcDEF",
    "card_brand": "visa",
    "card_last4": "4242",
    "card_exp_month": 12,
    "card_exp_year": date.today().year + 2,
}


def new_method(organisation):
    return data_url(organisation, "payment-methods/new/")


def no_full_iban(text: str) -> None:
    compact = text.replace(" ", "")
    assert VALID_IBAN_COMPACT not in compact and "370400440532013000" not in compact


# ---------------------------------------------------------------------------------------------------------
# SEPA


def test_a_customer_admin_adds_an_iban_and_only_ever_sees_it_masked(
    login, api_client, customer_admin, organisation
):
    client = login(customer_admin)
    response = client.post(new_method(organisation), SEPA, follow=True)
    page = response.content.decode()
    assert "DE•• •••• •••• 3000" in page and "was added" in page
    no_full_iban(page)

    method = PaymentMethod.objects.get()
    assert (method.kind, method.iban_country, method.iban_last4, method.bic) == (
        "sepa",
        "DE",
        "3000",
        "COBADEFFXXX",
    )
    assert method.is_default  # the first method
    assert VALID_IBAN_COMPACT not in method.iban_encrypted
    aad = field_aad("customers_paymentmethod", "iban", method.pk)
    assert decrypt_value(method.iban_encrypted, aad=aad) == VALID_IBAN_COMPACT
    assert payment_method_iban(method) == VALID_IBAN_COMPACT

    # The change log, the audit trail and the API: masked everywhere.
    no_full_iban(json.dumps(list(ChangeRecord.objects.values_list("old_value", "new_value"))))
    no_full_iban(json.dumps(list(AuditEvent.objects.values_list("data", "target_label"))))
    assert AuditEvent.objects.filter(action=Action.PAYMENT_METHOD_CHANGED).count() == 1
    listed = api_client(customer_admin).get(api(organisation, "payment-methods"))
    no_full_iban(listed.content.decode())
    assert listed.json()[0]["masked"] == "DE•• •••• •••• 3000"
    no_full_iban(login(customer_admin).get(data_url(organisation, "changes/")).content.decode())


def test_an_encrypted_iban_copied_to_another_row_does_not_decrypt(login, customer_admin, organisation):
    client = login(customer_admin)
    client.post(new_method(organisation), SEPA)
    client.post(new_method(organisation), {**SEPA, "iban": "SE45 5000 0000 0583 9825 7466"})
    first, second = PaymentMethod.objects.order_by("created_at")
    second.iban_encrypted = first.iban_encrypted
    with pytest.raises(FieldIntegrityError):
        payment_method_iban(second)


@pytest.mark.parametrize(
    ("iban", "words"),
    [
        ("DE89 3704 0044 0532 0130 01", "check digits"),
        ("DE89 3704 0044 0532 0130 0", "different length"),
        ("SE45 5000 0000 0583 9825 74661", "different length"),
        ("XX00 1234", "country code"),
        ("", "Enter the IBAN"),
    ],
)
def test_invalid_ibans_are_refused_on_the_page_and_in_the_api(
    login, api_client, customer_admin, organisation, iban, words
):
    before = state(organisation)
    response = login(customer_admin).post(new_method(organisation), {**SEPA, "iban": iban})
    assert response.status_code == 200 and words in response.content.decode()
    response = api_client(customer_admin).post(
        api(organisation, "payment-methods"), {**SEPA, "iban": iban}, content_type="application/json"
    )
    assert response.status_code == 422 and words in response.json()["errors"]["iban"][0]
    assert state(organisation) == before


def test_the_bic_is_checked_or_taken_from_the_iban(api_client, customer_admin, organisation):
    bearer = api_client(customer_admin)
    bad = bearer.post(
        api(organisation, "payment-methods"), {**SEPA, "bic": "XX"}, content_type="application/json"
    )
    assert bad.status_code == 422 and "bic" in bad.json()["errors"]
    good = bearer.post(
        api(organisation, "payment-methods"), {**SEPA, "bic": "COBA DE FF"}, content_type="application/json"
    )
    assert good.status_code == 201 and good.json()["bic"] == "COBADEFF"


def test_the_same_iban_twice_is_refused(api_client, customer_admin, organisation):
    bearer = api_client(customer_admin)
    assert (
        bearer.post(api(organisation, "payment-methods"), SEPA, content_type="application/json").status_code
        == 201
    )
    again = bearer.post(
        api(organisation, "payment-methods"),
        {**SEPA, "iban": VALID_IBAN_COMPACT.lower()},
        content_type="application/json",
    )
    assert again.status_code == 422 and "already" in again.json()["errors"]["iban"][0]


def test_a_card_number_in_the_account_holder_is_refused(login, customer_admin, organisation):
    response = login(customer_admin).post(
        new_method(organisation), {**SEPA, "account_holder": f"Acme {CARD_NUMBER}"}
    )
    assert "payment card number" in response.content.decode()
    assert not PaymentMethod.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Cards: tokens only


def test_the_form_has_no_card_number_field():
    assert not any("card" in name or "number" in name for name in PaymentMethodForm.base_fields)


def test_a_card_is_a_providers_token_with_brand_last_four_and_expiry(
    api_client, customer_admin, organisation
):
    response = api_client(customer_admin).post(
        api(organisation, "payment-methods"), CARD, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["masked"] == "visa •••• 4242" and "card_token" not in body
    method = PaymentMethod.objects.get()
    assert method.card_token == "pm_1Nx2abcDEF"


@pytest.mark.parametrize(
    "changes",
    [
        {"card_token": CARD_NUMBER.replace(" ", "")},
        {"card_token": CARD_NUMBER},
        {"card_number": CARD_NUMBER},
        {"card_last4": "42"},
        {"card_brand": "monopoly"},
        {"card_exp_month": 13},
        {"card_exp_year": 2001},
        {"card_provider": f"Stripe {CARD_NUMBER}"},
    ],
)
def test_anything_that_is_not_a_token_is_refused(api_client, customer_admin, organisation, changes):
    response = api_client(customer_admin).post(
        api(organisation, "payment-methods"), {**CARD, **changes}, content_type="application/json"
    )
    assert response.status_code == 422
    assert not PaymentMethod.objects.exists()


def test_a_card_number_posted_to_the_page_is_never_stored(login, customer_admin, organisation):
    login(customer_admin).post(new_method(organisation), {"kind": "card", "card_number": CARD_NUMBER, **SEPA})
    digits = CARD_NUMBER.replace(" ", "")
    for method in PaymentMethod.objects.values():
        assert digits not in json.dumps(method, default=str)


# ---------------------------------------------------------------------------------------------------------
# Default, invoice, removing


def test_one_default_and_removing_it_picks_none_and_says_so(login, api_client, customer_admin, organisation):
    client, bearer = login(customer_admin), api_client(customer_admin)
    client.post(new_method(organisation), {"kind": "invoice"})
    client.post(new_method(organisation), SEPA)
    invoice, sepa = PaymentMethod.objects.order_by("created_at")
    assert invoice.is_default and not sepa.is_default
    response = bearer.patch(
        f"/api/v1/payment-methods/{sepa.pk}", {"is_default": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["is_default"] is True
    assert list(PaymentMethod.objects.filter(is_default=True)) == [sepa]

    page = client.post(f"/payment-methods/{sepa.pk}/delete/", follow=True).content.decode()
    assert "you have no default payment method now" in page
    assert "None of the payment methods is the default" in page
    assert not PaymentMethod.objects.filter(is_default=True).exists()
    client.post(f"/payment-methods/{invoice.pk}/default/")
    invoice.refresh_from_db()
    assert invoice.is_default
    response = bearer.delete(f"/api/v1/payment-methods/{invoice.pk}")
    assert response.status_code == 200 and response.json()["was_default"] is True
    assert "no default payment method" in response.json()["detail"]


def test_invoice_is_one_method_only(api_client, customer_admin, organisation):
    bearer = api_client(customer_admin)
    assert (
        bearer.post(
            api(organisation, "payment-methods"), {"kind": "invoice"}, content_type="application/json"
        ).status_code
        == 201
    )
    assert (
        bearer.post(
            api(organisation, "payment-methods"), {"kind": "invoice"}, content_type="application/json"
        ).status_code
        == 422
    )


# ---------------------------------------------------------------------------------------------------------
# Who may


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_members_and_viewers_change_no_payment_method(request, login, api_client, organisation, who):
    method = PaymentMethod.objects.create(organisation=organisation, kind="invoice", is_default=True)
    other = PaymentMethod.objects.create(
        organisation=organisation, kind="card", card_brand="visa", card_last4="1"
    )
    user = request.getfixturevalue(who)
    before = state(organisation)
    client, bearer = login(user), api_client(user)
    assert client.get(new_method(organisation)).status_code == 403
    assert client.post(new_method(organisation), SEPA).status_code == 403
    assert client.post(f"/payment-methods/{other.pk}/default/").status_code == 403
    assert client.post(f"/payment-methods/{method.pk}/delete/").status_code == 403
    assert (
        bearer.post(api(organisation, "payment-methods"), SEPA, content_type="application/json").status_code
        == 403
    )
    assert (
        bearer.patch(
            f"/api/v1/payment-methods/{other.pk}", {"is_default": True}, content_type="application/json"
        ).status_code
        == 403
    )
    assert bearer.delete(f"/api/v1/payment-methods/{method.pk}").status_code == 403
    assert bearer.get(api(organisation, "payment-methods")).status_code == 200
    assert state(organisation) == before


def test_forged_ids_of_another_organisation_are_not_found(
    login, api_client, customer_admin, other_organisation
):
    theirs = PaymentMethod.objects.create(organisation=other_organisation, kind="invoice")
    before = state(other_organisation)
    client, bearer = login(customer_admin), api_client(customer_admin)
    assert client.post(f"/payment-methods/{theirs.pk}/default/").status_code == 404
    assert client.post(f"/payment-methods/{theirs.pk}/delete/").status_code == 404
    assert client.get(new_method(other_organisation)).status_code == 404
    assert (
        bearer.patch(
            f"/api/v1/payment-methods/{theirs.pk}", {"is_default": True}, content_type="application/json"
        ).status_code
        == 404
    )
    assert bearer.delete(f"/api/v1/payment-methods/{theirs.pk}").status_code == 404
    assert bearer.get(api(other_organisation, "payment-methods")).status_code == 404
    assert state(other_organisation) == before
