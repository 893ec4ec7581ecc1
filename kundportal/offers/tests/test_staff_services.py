"""The provider's offer use cases: writing, publishing, ending and duplicating offers, who may do which, and the
bad input of issue 5 on the staff side (expired periods, targets matching nobody or everyone).

People are the root conftest's: alice (provider admin), mads (account manager of Acme AB), carl (Acme's admin),
otto (admin of Other GmbH). Helpers here are used by the other test_staff_* modules too."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from kundportal.accounts.models import User
from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.tests.factories import make_category, make_interest, make_product
from kundportal.customers.models import Address, CustomerInterest
from kundportal.offers import services
from kundportal.offers.models import Offer, OfferResponse, OfferStatus
from kundportal.offers.services import OfferData
from kundportal.organisations.models import Membership, Organisation

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def data(**changes) -> OfferData:
    values = {
        "title": "Plotter paper, 20 % off",
        "body": "All A3 and A1 rolls.\n\nUntil the end of the month.",
        "starts_on": today(),
        "ends_on": today() + timedelta(days=30),
    }
    values.update(changes)
    return OfferData(**values)


def make_offer(actor, **changes) -> Offer:
    return services.create_offer(actor=actor, data=data(**changes))


def bill_to(organisation, country: str) -> None:
    Address.objects.create(
        organisation=organisation,
        purpose="billing",
        is_default=True,
        street_address="Storgatan 1",
        city="Stockholm",
        country=country,
    )


def accept(offer, user, organisation, *, message: str = "") -> OfferResponse:
    """What the customer side records when a user accepts (the customer pages are tested elsewhere)."""
    return OfferResponse.objects.create(
        offer=offer,
        user=user,
        organisation=organisation,
        seen_at=timezone.now(),
        accepted_at=timezone.now(),
        message=message,
    )


@pytest.fixture
def other_manager(db):
    return User.objects.create_user("nils@provider.example", "x", provider_role="manager", full_name="Nils")


# --- Writing ----------------------------------------------------------------------------------------------


def test_it_creates_a_draft_and_audits_it(provider_admin):
    offer = make_offer(provider_admin, price="1200.50", currency="sek")
    assert offer.status == OfferStatus.DRAFT
    assert (offer.price, offer.currency, offer.manager) == (Decimal("1200.50"), "SEK", None)
    assert offer.body == "All A3 and A1 rolls.\n\nUntil the end of the month."
    assert AuditEvent.objects.filter(action=Action.OFFER_CREATED, target_id=str(offer.pk)).exists()


def test_an_account_managers_offer_reaches_only_their_customers(account_manager):
    assert make_offer(account_manager).manager == account_manager


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 121}, "title"),
        ({"title": "Bad\x00title"}, "title"),
        ({"title": "<script>alert(1)</script>"}, "title"),
        ({"body": "Pay with 4111 1111 1111 1111 today"}, "body"),
        ({"body": "<b>bold</b>"}, "body"),
        ({"body": "Bell\x07"}, "body"),
        ({"starts_on": None}, "starts_on"),
        ({"ends_on": None}, "ends_on"),
        ({"starts_on": today() + timedelta(days=5), "ends_on": today() + timedelta(days=1)}, "ends_on"),
        ({"starts_on": today() - timedelta(days=9), "ends_on": today() - timedelta(days=1)}, "ends_on"),
        ({"price": "12.345", "currency": "SEK"}, "price"),
        ({"price": "-1", "currency": "SEK"}, "price"),
        ({"price": "abc", "currency": "SEK"}, "price"),
        ({"price": "10", "currency": ""}, "currency"),
        ({"price": "10", "currency": "XXX"}, "currency"),
        ({"discount_percent": 0}, "discount_percent"),
        ({"discount_percent": 96}, "discount_percent"),
        ({"price": "10", "currency": "SEK", "discount_percent": 10}, "discount_percent"),
        ({"products": ["not-a-uuid"]}, "products"),
        ({"categories": ["00000000-0000-4000-8000-000000000000"]}, "categories"),
        ({"target": {"segments": ["royalty"]}}, "segments"),
        ({"target": {"countries": ["XX"]}}, "countries"),
        ({"target": {"orders_min": 5, "orders_max": 2}}, "orders_max"),
        ({"target": {"days_since_purchase_min": -1}}, "days_since_purchase_min"),
        ({"target": {"declared_interests": ["00000000-0000-4000-8000-000000000000"]}}, "declared_interests"),
    ],
)
def test_it_refuses_bad_input_naming_the_field(provider_admin, changes, field):
    with pytest.raises(ValidationError) as caught:
        make_offer(provider_admin, **changes)
    assert field in caught.value.message_dict
    assert not Offer.objects.exists()


def test_it_keeps_a_lone_less_than_sign_and_line_breaks(provider_admin):
    offer = make_offer(provider_admin, body="Orders < 3 items:\n\tfree shipping")
    assert offer.body == "Orders < 3 items:\n\tfree shipping"


def test_it_links_products_and_categories_and_derives_personal(provider_admin):
    hardware = make_interest("hardware")
    category = make_category("Plotters", hardware)
    product = make_product("PLOT-1", category=category)
    offer = make_offer(
        provider_admin,
        products=[product.pk],
        categories=[category.pk],
        target={"declared_interests": [str(hardware.pk)], "countries": ["se"]},
    )
    assert list(offer.products.all()) == [product]
    assert list(offer.categories.all()) == [category]
    assert offer.target == {"declared_interests": [str(hardware.pk)], "countries": ["SE"]}
    assert offer.personal is True
    assert make_offer(provider_admin, target={"countries": ["SE"], "kinds": ["company"]}).personal is False


def test_it_changes_a_draft_and_audits_which_fields(provider_admin):
    offer = make_offer(provider_admin)
    services.update_offer(
        actor=provider_admin, offer=offer, data=data(title="New title", discount_percent=15)
    )
    offer.refresh_from_db()
    assert (offer.title, offer.discount_percent) == ("New title", 15)
    event = AuditEvent.objects.get(action=Action.OFFER_CHANGED)
    assert event.data["fields"] == ["discount_percent", "title"]


def test_an_ended_offer_cannot_be_changed(provider_admin, customers):
    offer = make_offer(provider_admin)
    services.publish_offer(actor=provider_admin, offer=offer)
    services.end_offer(actor=provider_admin, offer=offer)
    with pytest.raises(ValidationError, match="ended"):
        services.update_offer(actor=provider_admin, offer=offer, data=data(title="Again"))


# --- Publishing -------------------------------------------------------------------------------------------


def test_publishing_counts_the_reach_and_audits_it(provider_admin, customers):
    offer = make_offer(provider_admin, target={"countries": ["SE"]})
    offer = services.publish_offer(actor=provider_admin, offer=offer)
    assert offer.status == OfferStatus.PUBLISHED
    assert offer.reach == 1 and offer.reach_counted_at is not None
    assert AuditEvent.objects.get(action=Action.OFFER_PUBLISHED).data == {"reach": 1}


def test_it_refuses_to_publish_an_offer_whose_period_has_ended(provider_admin, customers):
    offer = make_offer(provider_admin)
    Offer.objects.filter(pk=offer.pk).update(
        starts_on=today() - timedelta(days=10), ends_on=today() - timedelta(days=1)
    )
    offer.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.publish_offer(actor=provider_admin, offer=offer)
    assert "ends_on" in caught.value.message_dict
    assert "period ended" in caught.value.message_dict["ends_on"][0]
    assert Offer.objects.get().status == OfferStatus.DRAFT


def test_it_refuses_to_publish_a_target_that_matches_nobody(provider_admin, customers):
    offer = make_offer(provider_admin, target={"countries": ["NO"]})
    with pytest.raises(ValidationError) as caught:
        services.publish_offer(actor=provider_admin, offer=offer)
    assert "matches no customer" in caught.value.message_dict["target"][0]
    assert Offer.objects.get().status == OfferStatus.DRAFT


def test_a_published_offer_cannot_be_changed_to_match_nobody(provider_admin, customers):
    offer = services.publish_offer(actor=provider_admin, offer=make_offer(provider_admin))
    with pytest.raises(ValidationError, match="matches no customer"):
        services.update_offer(actor=provider_admin, offer=offer, data=data(target={"countries": ["NO"]}))
    offer = services.update_offer(actor=provider_admin, offer=offer, data=data(target={"countries": ["DE"]}))
    assert offer.reach == 1


def test_only_a_draft_is_published_and_only_a_published_offer_ended(provider_admin, customers):
    offer = make_offer(provider_admin)
    with pytest.raises(ValidationError):
        services.end_offer(actor=provider_admin, offer=offer)
    services.publish_offer(actor=provider_admin, offer=offer)
    with pytest.raises(ValidationError):
        services.publish_offer(actor=provider_admin, offer=offer)
    offer = services.end_offer(actor=provider_admin, offer=offer)
    assert offer.status == OfferStatus.ENDED and offer.ended_at is not None
    assert AuditEvent.objects.filter(action=Action.OFFER_ENDED).count() == 1


def test_a_managers_offer_reaches_only_the_customers_they_look_after(account_manager, customers):
    offer = services.publish_offer(actor=account_manager, offer=make_offer(account_manager))
    assert offer.reach == 1  # Acme only, not Other GmbH
    nobody = make_offer(account_manager, target={"countries": ["DE"]})
    with pytest.raises(ValidationError, match="matches no customer"):
        services.publish_offer(actor=account_manager, offer=nobody)


def test_duplicating_makes_a_draft_scoped_to_whoever_duplicates(provider_admin, account_manager, customers):
    original = services.publish_offer(
        actor=provider_admin, offer=make_offer(provider_admin, discount_percent=5)
    )
    copy = services.duplicate_offer(actor=account_manager, offer=original)
    assert copy.pk != original.pk
    assert (copy.status, copy.manager, copy.discount_percent) == (OfferStatus.DRAFT, account_manager, 5)


# --- Preview ----------------------------------------------------------------------------------------------


def test_the_preview_warns_before_publishing_about_nobody_and_everyone(provider_admin, customers):
    from kundportal.offers.targeting import Target

    nobody = services.preview_target(actor=provider_admin, target=Target(countries=("NO",)))
    assert (nobody.matched, nobody.total, nobody.nobody) == (0, 2, True)
    assert any("matches no customer" in warning for warning in nobody.warnings)
    everyone = services.preview_target(actor=provider_admin, target=Target(countries=("SE", "DE")))
    assert (everyone.matched, everyone.everyone) == (2, True)
    assert any("every customer" in warning for warning in everyone.warnings)
    some = services.preview_target(actor=provider_admin, target=Target(countries=("SE",)))
    assert (some.matched, some.total, some.warnings) == (1, 2, [])


def test_the_preview_counts_the_users_who_opted_in_for_a_personal_target(
    provider_admin, customers, customer_admin, customer_member, outsider
):
    from kundportal.offers.targeting import Target
    from kundportal.privacy.purposes import PERSONALISED_OFFERS
    from kundportal.privacy.services import record_consent

    hardware = make_interest("hardware")
    for organisation in customers:
        CustomerInterest.objects.create(organisation=organisation, category=hardware, declared=True)
    Organisation.objects.create(name="Not interested AB")
    record_consent(actor=customer_admin, user=customer_admin, purpose=PERSONALISED_OFFERS, granted=True)
    record_consent(actor=outsider, user=outsider, purpose=PERSONALISED_OFFERS, granted=True)
    record_consent(actor=outsider, user=outsider, purpose=PERSONALISED_OFFERS, granted=False)  # withdrawn
    preview = services.preview_target(actor=provider_admin, target=Target(declared_interests=(hardware.pk,)))
    assert preview.personal
    assert (preview.matched, preview.users, preview.consenting_users) == (2, 3, 1)
    assert preview.warnings == []
    Membership.objects.filter(user=customer_admin).delete()
    preview = services.preview_target(actor=provider_admin, target=Target(declared_interests=(hardware.pk,)))
    assert preview.consenting_users == 0
    assert any("opted in" in warning for warning in preview.warnings)


# --- Who may do what --------------------------------------------------------------------------------------


def test_managers_see_their_own_and_the_provider_wide_offers_but_not_another_managers(
    provider_admin, account_manager, other_manager
):
    wide = make_offer(provider_admin)
    mine = make_offer(account_manager)
    theirs = make_offer(other_manager)
    assert set(services.staff_offers(account_manager)) == {wide, mine}
    assert set(services.staff_offers(provider_admin)) == {wide, mine, theirs}
    with pytest.raises(Http404):
        services.get_offer_for_staff(account_manager, theirs.pk)
    with pytest.raises(PermissionDenied):
        services.get_offer_for_staff(account_manager, wide.pk, write=True)
    assert services.get_offer_for_staff(account_manager, mine.pk, write=True) == mine
    assert services.get_offer_for_staff(provider_admin, theirs.pk, write=True) == theirs


def test_a_manager_cannot_change_another_managers_or_a_provider_wide_offer(
    provider_admin, account_manager, other_manager, customers
):
    for offer in (make_offer(other_manager), make_offer(provider_admin)):
        for change in (services.publish_offer, services.end_offer):
            with pytest.raises(PermissionDenied):
                change(actor=account_manager, offer=offer)
        with pytest.raises(PermissionDenied):
            services.update_offer(actor=account_manager, offer=offer, data=data(title="Mine now"))
    assert not Offer.objects.filter(title="Mine now").exists()


@pytest.mark.parametrize("who", ["customer_admin", "outsider"])
def test_customers_find_nothing(request, provider_admin, who):
    user = request.getfixturevalue(who)
    offer = make_offer(provider_admin)
    assert not services.staff_offers(user).exists()
    with pytest.raises(Http404):
        services.get_offer_for_staff(user, offer.pk)
    with pytest.raises(Http404):
        services.create_offer(actor=user, data=data())
    with pytest.raises(Http404):
        services.get_offer_for_staff(user, "not-a-uuid")


# --- Acceptances ------------------------------------------------------------------------------------------


def test_acceptances_are_handled_once_by_whoever_looks_after_the_customer(
    provider_admin, account_manager, customers, customer_admin, outsider
):
    acme, other = customers
    offer = services.publish_offer(actor=provider_admin, offer=make_offer(provider_admin))
    at_acme = accept(offer, customer_admin, acme, message="Call me")
    at_other = accept(offer, outsider, other)
    assert list(services.visible_acceptances(account_manager, offer)) == [at_acme]
    with pytest.raises(Http404):
        services.get_acceptance_for_staff(account_manager, offer, at_other.pk)
    handled = services.mark_acceptance_handled(actor=account_manager, response=at_acme)
    assert handled.handled_by == account_manager and handled.handled_at is not None
    again = services.mark_acceptance_handled(actor=provider_admin, response=handled)
    assert again.handled_by == account_manager
    assert AuditEvent.objects.filter(action=Action.OFFER_CHANGED, organisation_id=acme.pk).count() == 1
    assert list(services.visible_acceptances(provider_admin, offer)) == [at_other, at_acme]  # open first


def test_the_nightly_count_updates_every_live_offers_reach(provider_admin, customers):
    from kundportal.offers.tasks import count_reach

    offer = services.publish_offer(actor=provider_admin, offer=make_offer(provider_admin))
    assert offer.reach == 2
    Organisation.objects.create(name="New AB")
    count_reach.enqueue()
    offer.refresh_from_db()
    assert offer.reach == 3
