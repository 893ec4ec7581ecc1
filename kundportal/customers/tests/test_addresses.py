"""Addresses: country-aware forms and checks, one default per purpose, the change log, pages and API alike."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from kundportal.audit.models import Action, AuditEvent
from kundportal.customers.models import Address, ChangeRecord
from kundportal.customers.tests.self_service import CARD_NUMBER, api, data_url, make_address, state

pytestmark = pytest.mark.django_db

STOCKHOLM = {
    "purpose": "billing",
    "country": "SE",
    "street_address": "Storgatan 1",
    "postal_code": "114 55",
    "city": "Stockholm",
}


def new_address(organisation):
    return data_url(organisation, "addresses/new/")


# ---------------------------------------------------------------------------------------------------------
# The form, per country


def test_the_form_names_and_requires_fields_as_the_country_does(login, customer_admin, organisation):
    client = login(customer_admin)
    us = client.get(new_address(organisation) + "?country=US").content.decode()
    assert "ZIP code" in us and "State" in us and '<option value="NY">New York</option>' in us
    se = client.get(new_address(organisation) + "?country=SE").content.decode()
    assert 'name="country_area"' not in se and "For example 11455" in se
    gb = client.get(new_address(organisation) + "?country=GB").content.decode()
    assert "Post town" in gb


def test_changing_the_country_relabels_the_form_without_saving(login, customer_admin, organisation):
    response = login(customer_admin).post(
        new_address(organisation), {**STOCKHOLM, "country": "US", "postal_code": "", "refresh": "1"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "ZIP code" in page and "Storgatan 1" in page
    assert "Nothing was saved" not in page  # relabelled, not validated
    assert not Address.objects.exists()


# ---------------------------------------------------------------------------------------------------------
# Adding, editing, defaults, deleting


def test_a_customer_admin_adds_an_address_which_becomes_the_default(login, customer_admin, organisation):
    client = login(customer_admin)
    assert client.post(new_address(organisation), STOCKHOLM).status_code == 302
    address = Address.objects.get()
    assert address.is_default and address.city == "Stockholm" and address.country.code == "SE"
    assert (
        ChangeRecord.objects.get(subject="address").new_value == "Billing: Storgatan 1, 114 55 Stockholm, SE"
    )
    assert AuditEvent.objects.filter(action=Action.ADDRESS_CHANGED).count() == 1
    # A second billing address is not the default unless asked.
    client.post(new_address(organisation), {**STOCKHOLM, "street_address": "Kungsgatan 2"})
    assert Address.objects.filter(is_default=True).count() == 1
    client.post(
        new_address(organisation), {**STOCKHOLM, "street_address": "Drottninggatan 3", "is_default": "on"}
    )
    assert Address.objects.get(is_default=True).street_address == "Drottninggatan 3"


def test_editing_records_each_changed_field(login, customer_admin, organisation):
    address = make_address(organisation)
    client = login(customer_admin)
    assert client.get(f"/addresses/{address.pk}/").status_code == 200
    response = client.post(
        f"/addresses/{address.pk}/", {**STOCKHOLM, "street_address": "Storgatan 2", "postal_code": "11456"}
    )
    assert response.status_code == 302
    address.refresh_from_db()
    assert (address.street_address, address.postal_code) == ("Storgatan 2", "11456")
    changes = {
        r.field: (r.old_value, r.new_value) for r in ChangeRecord.objects.filter(subject_id=address.pk)
    }
    assert changes == {"street_address": ("Storgatan 1", "Storgatan 2"), "postal_code": ("114 55", "11456")}


def test_one_default_per_purpose_is_kept_by_the_service_and_the_database(login, customer_admin, organisation):
    first = make_address(organisation)
    second = make_address(organisation, street_address="Kungsgatan 2")
    shipping = make_address(organisation, purpose="shipping")
    assert first.is_default and not second.is_default and shipping.is_default
    assert login(customer_admin).post(f"/addresses/{second.pk}/default/").status_code == 302
    defaults = set(Address.objects.filter(is_default=True).values_list("pk", flat=True))
    assert defaults == {second.pk, shipping.pk}
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.filter(pk=first.pk).update(is_default=True)


def test_deleting_the_default_picks_no_other_and_says_so(login, api_client, customer_admin, organisation):
    first = make_address(organisation)
    second = make_address(organisation, street_address="Kungsgatan 2")
    client = login(customer_admin)
    response = client.post(f"/addresses/{first.pk}/delete/", follow=True)
    assert "none is the default now" in response.content.decode()
    assert not Address.objects.filter(is_default=True).exists()
    assert ChangeRecord.objects.filter(field="address", new_value="").count() == 1
    response = api_client(customer_admin).delete(f"/api/v1/addresses/{second.pk}")
    assert response.status_code == 200 and response.json()["was_default"] is False


# ---------------------------------------------------------------------------------------------------------
# Bad input


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"postal_code": "1234"}, "postal_code"),
        ({"country": "DE", "postal_code": "ABCDE", "city": "Berlin"}, "postal_code"),
        ({"country": "US", "postal_code": "1234", "city": "New York", "country_area": "NY"}, "postal_code"),
        ({"city": ""}, "city"),
        ({"country": "CH", "postal_code": "8001", "city": ""}, "city"),
        ({"country": "GB", "postal_code": "SW1A 1AA", "city": ""}, "city"),
        ({"street_address": f"Storgatan {CARD_NUMBER}"}, "street_address"),
        ({"name": CARD_NUMBER}, "name"),
        ({"name": "<script>alert(1)</script>"}, "name"),
        ({"company_name": "Acme\x00"}, "company_name"),
        ({"country": "XX"}, "country"),
    ],
)
def test_bad_addresses_are_refused_next_to_the_field_and_change_nothing(
    login, api_client, customer_admin, organisation, changes, field
):
    before = state(organisation)
    response = login(customer_admin).post(new_address(organisation), {**STOCKHOLM, **changes})
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert "Nothing was saved" in response.content.decode()
    response = api_client(customer_admin).post(
        api(organisation, "addresses"), {**STOCKHOLM, **changes}, content_type="application/json"
    )
    assert response.status_code == 422
    assert state(organisation) == before


def test_the_api_names_the_field_in_its_error(api_client, customer_admin, organisation):
    response = api_client(customer_admin).post(
        api(organisation, "addresses"), {**STOCKHOLM, "postal_code": "1234"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert "postal code" in response.json()["errors"]["postal_code"][0]


# ---------------------------------------------------------------------------------------------------------
# Who may


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_members_and_viewers_change_no_address(request, login, api_client, organisation, who):
    address = make_address(organisation)
    other = make_address(organisation, street_address="Kungsgatan 2")
    user = request.getfixturevalue(who)
    before = state(organisation)
    client, bearer = login(user), api_client(user)
    assert client.get(new_address(organisation)).status_code == 403
    assert client.post(new_address(organisation), STOCKHOLM).status_code == 403
    assert client.get(f"/addresses/{address.pk}/").status_code == 403
    assert client.post(f"/addresses/{address.pk}/", STOCKHOLM).status_code == 403
    assert client.post(f"/addresses/{other.pk}/default/").status_code == 403
    assert client.post(f"/addresses/{address.pk}/delete/").status_code == 403
    assert (
        bearer.post(api(organisation, "addresses"), STOCKHOLM, content_type="application/json").status_code
        == 403
    )
    assert (
        bearer.patch(
            f"/api/v1/addresses/{address.pk}", {"city": "Uppsala"}, content_type="application/json"
        ).status_code
        == 403
    )
    assert bearer.delete(f"/api/v1/addresses/{address.pk}").status_code == 403
    assert bearer.get(f"/api/v1/addresses/{address.pk}").status_code == 200
    assert state(organisation) == before


def test_forged_ids_of_another_organisation_are_not_found(
    login, api_client, customer_admin, other_organisation
):
    theirs = make_address(other_organisation)
    before = state(other_organisation)
    client, bearer = login(customer_admin), api_client(customer_admin)
    assert client.get(f"/addresses/{theirs.pk}/").status_code == 404
    assert client.post(f"/addresses/{theirs.pk}/", STOCKHOLM).status_code == 404
    assert client.post(f"/addresses/{theirs.pk}/default/").status_code == 404
    assert client.post(f"/addresses/{theirs.pk}/delete/").status_code == 404
    assert client.post(new_address(other_organisation), STOCKHOLM).status_code == 404
    assert bearer.get(f"/api/v1/addresses/{theirs.pk}").status_code == 404
    assert (
        bearer.patch(
            f"/api/v1/addresses/{theirs.pk}", {"city": "X"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert bearer.delete(f"/api/v1/addresses/{theirs.pk}").status_code == 404
    assert bearer.get(api(other_organisation, "addresses")).status_code == 404
    assert (
        bearer.post(
            api(other_organisation, "addresses"), STOCKHOLM, content_type="application/json"
        ).status_code
        == 404
    )
    assert state(other_organisation) == before


# ---------------------------------------------------------------------------------------------------------
# API


def test_the_api_lists_adds_changes_and_makes_default(api_client, customer_admin, organisation):
    bearer = api_client(customer_admin)
    created = bearer.post(
        api(organisation, "addresses"),
        {
            "purpose": "shipping",
            "country": "US",
            "street_address": "1 Main St",
            "postal_code": "10001",
            "city": "New York",
            "country_area": "new york",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["country_area"] == "NY"
        and body["is_default"] is True
        and body["country_name"] == "United States of America"
    )
    second = bearer.post(
        api(organisation, "addresses"), {**STOCKHOLM, "purpose": "shipping"}, content_type="application/json"
    ).json()
    assert second["is_default"] is False
    patched = bearer.patch(
        f"/api/v1/addresses/{second['id']}",
        {"is_default": True, "street_address": "Storgatan 9"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["is_default"] is True
    assert patched.json()["street_address"] == "Storgatan 9"
    listed = bearer.get(api(organisation, "addresses")).json()
    assert [a["is_default"] for a in listed] == [True, False]
    # A country change is checked against the new country's rules.
    refused = bearer.patch(
        f"/api/v1/addresses/{second['id']}", {"country": "DE"}, content_type="application/json"
    )
    assert refused.status_code == 422 and "postal_code" in refused.json()["errors"]
    # Unknown fields are refused rather than ignored.
    assert (
        bearer.patch(
            f"/api/v1/addresses/{second['id']}", {"card_number": CARD_NUMBER}, content_type="application/json"
        ).status_code
        == 422
    )
