"""The "Our data" page and the profile: who reads, who edits, what is validated, the birth date, the change log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from kundportal.audit.models import Action, AuditEvent
from kundportal.core.crypto.fields import FieldIntegrityError, decrypt_value, field_aad
from kundportal.core.models import PortalSettings
from kundportal.customers.models import ChangeRecord, CustomerProfile
from kundportal.customers.services import profile_birth_date
from kundportal.customers.tests.self_service import CARD_NUMBER, api, data_url, make_address, state

pytestmark = pytest.mark.django_db

PROFILE = {
    "company_name": "Acme AB",
    "vat_number": "SE556677889901",
    "email": "billing@acme.example",
    "phone": "070-123 45 67",
    "website": "acme.example",
    "preferred_language": "sv",
    "contact_channel": "email",
}


@pytest.fixture
def private_customer(organisation):
    organisation.kind = "private"
    organisation.name = "Petra Private"
    organisation.save()
    return organisation


@pytest.fixture
def birth_dates_collected():
    settings = PortalSettings.load()
    settings.collect_birth_date = True
    settings.save()


# ---------------------------------------------------------------------------------------------------------
# Reading


def test_the_navigation_leads_a_customer_to_our_data(login, customer_member, organisation):
    client = login(customer_member)
    page = client.get("/").content.decode()
    assert 'href="/data/"' in page and "Our data" in page
    response = client.get("/data/")
    assert response.status_code == 302 and response.url == data_url(organisation)


def test_members_and_viewers_read_without_edit_links(login, customer_member, customer_viewer, organisation):
    make_address(organisation)
    for user in (customer_member, customer_viewer):
        response = login(user).get(data_url(organisation))
        assert response.status_code == 200
        page = response.content.decode()
        assert "Storgatan 1" in page and "Your organisation's admins change them" in page
        assert "Edit profile" not in page and "/delete/" not in page
        assert 'aria-current="page">Our data' in page


def test_an_outsider_gets_404_for_every_page_and_endpoint(login, api_client, outsider, organisation):
    client, bearer = login(outsider), api_client(outsider)
    for rest in ("", "profile/", "changes/", "addresses/new/", "payment-methods/new/"):
        assert client.get(data_url(organisation, rest)).status_code == 404
    assert client.post(data_url(organisation, "profile/"), PROFILE).status_code == 404
    assert bearer.get(api(organisation, "profile")).status_code == 404
    response = bearer.patch(
        api(organisation, "profile"), {"email": "x@y.example"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_staff_see_the_customer_they_look_after(login, account_manager, provider_admin, organisation):
    for user in (account_manager, provider_admin):
        page = login(user).get(data_url(organisation)).content.decode()
        assert "You are working in the customer Acme AB" in page and "Edit profile" in page


# ---------------------------------------------------------------------------------------------------------
# Editing


def test_a_customer_admin_edits_the_profile(login, customer_admin, organisation):
    make_address(organisation)  # billing in Sweden: a national phone number is Swedish
    client = login(customer_admin)
    assert client.get(data_url(organisation, "profile/")).status_code == 200
    response = client.post(data_url(organisation, "profile/"), PROFILE)
    assert response.status_code == 302
    profile = CustomerProfile.objects.get(organisation=organisation)
    assert profile.phone == "+46701234567"
    assert profile.website == "https://acme.example"
    assert (profile.vat_number, profile.email, profile.preferred_language) == (
        "SE556677889901",
        "billing@acme.example",
        "sv",
    )
    records = {r.field: (r.old_value, r.new_value) for r in ChangeRecord.objects.filter(subject="profile")}
    assert records["phone"] == ("", "+46701234567")
    assert records["preferred_language"] == ("en", "sv")
    assert "company_name" not in records  # unchanged
    events = AuditEvent.objects.filter(action=Action.PROFILE_CHANGED)
    assert events.count() == 1 and events.get().actor == customer_admin
    page = client.get(data_url(organisation)).content.decode()
    assert "+46 70 123 45 67" in page and "Your details were saved." in page
    assert "Preferred language" in page and "Swedish" in page  # the change log in words


def test_saving_unchanged_values_records_nothing(login, customer_admin, organisation):
    client = login(customer_admin)
    client.post(data_url(organisation, "profile/"), PROFILE)
    before = ChangeRecord.objects.count(), AuditEvent.objects.filter(action=Action.PROFILE_CHANGED).count()
    client.post(data_url(organisation, "profile/"), PROFILE)
    assert (
        ChangeRecord.objects.count(),
        AuditEvent.objects.filter(action=Action.PROFILE_CHANGED).count(),
    ) == before


def test_the_company_name_is_the_organisations_name(login, customer_admin, organisation):
    login(customer_admin).post(
        data_url(organisation, "profile/"), {**PROFILE, "company_name": "Acme Group AB"}
    )
    organisation.refresh_from_db()
    assert organisation.name == "Acme Group AB"
    assert ChangeRecord.objects.get(field="company_name").subject == "organisation"


def test_staff_edit_the_profile_too(login, account_manager, organisation):
    response = login(account_manager).post(
        data_url(organisation, "profile/"), {**PROFILE, "phone": "+49 30 12345678"}
    )
    assert response.status_code == 302
    assert CustomerProfile.objects.get(organisation=organisation).phone == "+493012345678"


@pytest.mark.parametrize("who", ["customer_member", "customer_viewer"])
def test_members_and_viewers_cannot_edit(request, login, api_client, organisation, who):
    user = request.getfixturevalue(who)
    before = state(organisation)
    client = login(user)
    assert client.get(data_url(organisation, "profile/")).status_code == 403
    assert (
        client.post(data_url(organisation, "profile/"), {**PROFILE, "company_name": "Hacked"}).status_code
        == 403
    )
    response = api_client(user).patch(
        api(organisation, "profile"),
        {"company_name": "Hacked", "email": "x@y.example"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert state(organisation) == before


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("company_name", "<script>alert(1)</script>", "without HTML tags"),
        ("company_name", f"Acme {CARD_NUMBER}", "payment card number"),
        ("company_name", "Acme\x00AB", "Null characters are not allowed."),
        ("phone", "12", "not a valid phone number"),
        ("vat_number", "123", "country prefix"),
        ("website", "javascript:alert(1)", "web address"),
        ("email", "not-an-email", "valid email"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_changes_nothing(
    login, customer_admin, organisation, field, value, words
):
    before = state(organisation)
    response = login(customer_admin).post(data_url(organisation, "profile/"), {**PROFILE, field: value})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page and words in page
    assert "<script>alert(1)</script>" not in page  # shown back escaped, never as markup
    assert state(organisation) == before


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("company_name", "<b>Acme</b>", 422),
        ("company_name", f"Acme {CARD_NUMBER}", 422),
        ("company_name", "Acme\x00AB", 422),
        ("phone", "+46 12", 422),
        ("preferred_language", "fr", 422),
        ("card_number", CARD_NUMBER, 422),
    ],
)
def test_the_api_refuses_the_same_input(api_client, customer_admin, organisation, field, value, status):
    before = state(organisation)
    response = api_client(customer_admin).patch(
        api(organisation, "profile"), {field: value}, content_type="application/json"
    )
    assert response.status_code == status, response.content
    assert state(organisation) == before


def test_markup_stored_by_another_route_is_escaped_on_output(login, customer_admin, organisation):
    """Imports and staff tools may store what the forms refuse: pages still show it as text."""
    organisation.name = "<script>alert(1)</script>"
    organisation.save()
    make_address(organisation, street_address="<img src=x onerror=alert(1)>")
    page = login(customer_admin).get(data_url(organisation)).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_api_reads_and_patches_only_what_is_sent(
    api_client, customer_admin, customer_viewer, organisation
):
    make_address(organisation)
    response = api_client(customer_admin).patch(
        api(organisation, "profile"),
        {"phone": "070 123 45 67", "contact_channel": "phone"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phone"] == "+46701234567" and body["contact_channel"] == "phone"
    assert body["company_name"] == "Acme AB" and body["locked"] is False and body["age"] is None
    read = api_client(customer_viewer).get(api(organisation, "profile"))
    assert read.status_code == 200 and read.json()["phone"] == "+46701234567"


# ---------------------------------------------------------------------------------------------------------
# Birth date


def test_no_birth_date_unless_the_provider_collects_it_from_private_customers(
    login, api_client, customer_admin, organisation, private_customer
):
    assert (
        'name="birth_date"'
        not in login(customer_admin).get(data_url(organisation, "profile/")).content.decode()
    )
    response = api_client(customer_admin).patch(
        api(organisation, "profile"), {"birth_date": "1980-01-01"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert not CustomerProfile.objects.filter(organisation=organisation).exists()


def test_companies_are_never_asked_for_a_birth_date(
    login, api_client, customer_admin, organisation, birth_dates_collected
):
    assert (
        'name="birth_date"'
        not in login(customer_admin).get(data_url(organisation, "profile/")).content.decode()
    )
    response = api_client(customer_admin).patch(
        api(organisation, "profile"), {"birth_date": "1980-01-01"}, content_type="application/json"
    )
    assert response.status_code == 422


def test_a_private_customer_gives_a_birth_date_stored_encrypted_and_shown_as_an_age(
    login, api_client, customer_admin, organisation, private_customer, birth_dates_collected
):
    client = login(customer_admin)
    form = client.get(data_url(organisation, "profile/")).content.decode()
    assert 'name="birth_date"' in form and "Birth date (optional)" in form
    # Never required: the profile saves without one.
    assert (
        client.post(
            data_url(organisation, "profile/"), {**PROFILE, "company_name": "Petra Private"}
        ).status_code
        == 302
    )
    born = timezone.localdate().replace(year=timezone.localdate().year - 40) - timedelta(days=1)
    data = {**PROFILE, "company_name": "Petra Private", "birth_date": born.isoformat()}
    assert client.post(data_url(organisation, "profile/"), data).status_code == 302

    profile = CustomerProfile.objects.get(organisation=organisation)
    assert born.isoformat() not in profile.birth_date_encrypted
    aad = field_aad("customers_customerprofile", "birth_date", profile.pk)
    assert decrypt_value(profile.birth_date_encrypted, aad=aad) == born.isoformat()
    with pytest.raises(FieldIntegrityError):
        decrypt_value(
            profile.birth_date_encrypted, aad=field_aad("customers_customerprofile", "birth_date", "x")
        )
    assert profile_birth_date(profile) == born

    page = client.get(data_url(organisation)).content.decode()
    assert "40 years" in page and born.isoformat() not in page
    record = ChangeRecord.objects.get(field="birth_date")
    assert record.new_value == "••••••" and born.isoformat() not in str(
        AuditEvent.objects.filter(action=Action.PROFILE_CHANGED).values_list("data", flat=True)[::1]
    )
    assert api_client(customer_admin).get(api(organisation, "profile")).json()["age"] == 40


@pytest.mark.parametrize("born", ["2999-01-01", "1850-06-01", "1900-02-30", "tomorrow"])
def test_future_and_impossible_birth_dates_are_refused(
    login, api_client, customer_admin, organisation, private_customer, birth_dates_collected, born
):
    if born == "tomorrow":
        born = (date.today() + timedelta(days=2)).isoformat()
    before = state(organisation)
    data = {**PROFILE, "company_name": "Petra Private", "birth_date": born}
    response = login(customer_admin).post(data_url(organisation, "profile/"), data)
    assert response.status_code == 200 and "Nothing was saved" in response.content.decode()
    response = api_client(customer_admin).patch(
        api(organisation, "profile"), {"birth_date": born}, content_type="application/json"
    )
    assert response.status_code == 422
    assert state(organisation) == before


def test_the_provider_switches_birth_dates_on_in_the_portal_settings(login, provider_admin):
    client = login(provider_admin)
    assert "ask private customers for their birth date" in client.get("/staff/").content.decode().lower()
    client.post("/staff/settings/", {"collect_birth_date": "on"})
    assert PortalSettings.load().collect_birth_date
    assert AuditEvent.objects.filter(action=Action.PORTAL_SETTINGS).get().data == {"collect_birth_date": True}
    client.post("/staff/settings/", {})
    assert not PortalSettings.load().collect_birth_date


# ---------------------------------------------------------------------------------------------------------
# Change log and speed


def test_the_change_log_shows_twenty_and_pages_the_rest(login, customer_admin, customer_viewer, organisation):
    client = login(customer_admin)
    for number in range(25):
        client.post(data_url(organisation, "profile/"), {**PROFILE, "email": f"n{number}@acme.example"})
    page = login(customer_viewer).get(data_url(organisation)).content.decode()
    assert page.count("<tr>") >= 20 and "n24@acme.example" in page and "n3@acme.example" not in page
    assert "Show all changes" in page
    everything = login(customer_viewer).get(data_url(organisation, "changes/")).content.decode()
    assert "n3@acme.example" in everything and "n0@acme.example" in everything


def test_our_data_costs_the_same_number_of_queries_with_1_or_30_of_everything(
    login, customer_admin, organisation, django_assert_max_num_queries
):
    from kundportal.customers.models import ChangeRequest, PaymentMethod

    client = login(customer_admin)

    def grow(count):
        for number in range(count):
            make_address(organisation, purpose="shipping", street_address=f"Gatan {number}")
            PaymentMethod.objects.create(
                organisation=organisation, kind="card", card_brand="visa", card_last4="4242"
            )
            ChangeRecord.objects.create(
                organisation=organisation, actor=customer_admin, subject="profile", field="email"
            )
        ChangeRequest.objects.create(
            organisation=organisation, field="vat_number", requested_value="SE1", requested_by=customer_admin
        )

    grow(1)
    client.get(data_url(organisation))
    with django_assert_max_num_queries(14) as small:
        assert client.get(data_url(organisation)).status_code == 200
    # Counted now: the next request starts a new query log.
    counted = len(small.captured_queries)
    assert counted > 5
    ChangeRequest.objects.all().delete()
    grow(30)
    with django_assert_max_num_queries(counted) as large:
        assert client.get(data_url(organisation)).status_code == 200
        assert len(large.captured_queries) == counted
