"""Interests inferred from purchases, and what the customer declares and turns off (customers.interests)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import override

from kundportal.audit.models import Action, AuditEvent
from kundportal.commerce.models import OrderStatus
from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
from kundportal.customers.interests import (
    change_interests,
    customer_interests,
    recompute_interests,
    recompute_organisation_interests,
)
from kundportal.customers.models import CustomerInterest
from kundportal.organisations.access import get_organisation_for_user
from kundportal.organisations.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    drawing = make_interest("drawing", "Drawing software", sv="Ritprogram", de="Zeichensoftware")
    training = make_interest("training", "Training", sv="Utbildning", de="Schulung")
    hardware = make_interest("hardware", "Hardware")
    software = make_category("Software", drawing)
    cad = make_product("CAD-1", "CAD Pro", category=software)
    course = make_product("TRAIN-1", "CAD course")
    course.interest_categories.set([training, drawing])  # its own, one of them also its category's
    screen = make_product("HW-1", "Screen")
    screen.interest_categories.set([hardware])
    plain = make_product("MISC-1", "Coffee")
    return {
        "drawing": drawing,
        "training": training,
        "hardware": hardware,
        "cad": cad,
        "course": course,
        "screen": screen,
        "plain": plain,
    }


def items(organisation) -> dict[str, int]:
    return dict(
        CustomerInterest.objects.filter(organisation=organisation).values_list(
            "category__slug", "inferred_items"
        )
    )


def test_it_counts_items_per_interest_from_the_products_and_their_categories(organisation, catalogue):
    make_order(organisation, (catalogue["cad"], 2), (catalogue["screen"], 1), (catalogue["plain"], 5))
    make_order(organisation, (catalogue["cad"], 1))
    # The course names "drawing" itself and not through a category: it counts once there.
    make_order(organisation, (catalogue["course"], 4))
    recompute_organisation_interests(organisation)
    assert items(organisation) == {"drawing": 7, "training": 4, "hardware": 1}


def test_it_counts_a_product_once_when_it_and_its_category_name_the_same_interest(organisation, catalogue):
    software = catalogue["cad"].category
    both = make_product("CAD-2", "CAD Lite", category=software)
    both.interest_categories.set([catalogue["drawing"]])
    make_order(organisation, (both, 3))
    recompute_organisation_interests(organisation)
    assert items(organisation) == {"drawing": 3}


def test_it_ignores_cancelled_orders(organisation, catalogue):
    make_order(organisation, (catalogue["cad"], 2))
    make_order(organisation, (catalogue["cad"], 10), status=OrderStatus.CANCELLED)
    make_order(organisation, (catalogue["screen"], 1), status=OrderStatus.CANCELLED)
    recompute_organisation_interests(organisation)
    assert items(organisation) == {"drawing": 2}


def test_it_counts_any_positive_fractional_quantity_as_at_least_one_item(organisation, catalogue):
    make_order(organisation, (catalogue["cad"], Decimal("0.25")))
    recompute_organisation_interests(organisation)
    assert items(organisation) == {"drawing": 1}


def test_it_keeps_the_declared_and_the_suppressed_through_a_recomputation(
    organisation, customer_admin, catalogue
):
    make_order(organisation, (catalogue["cad"], 3), (catalogue["screen"], 1))
    recompute_organisation_interests(organisation)
    access = get_organisation_for_user(customer_admin, organisation.pk)
    change_interests(
        actor=customer_admin,
        access=access,
        declared=[catalogue["training"].pk],
        suppressed=[catalogue["drawing"].pk],
    )
    make_order(organisation, (catalogue["cad"], 2))
    assert recompute_organisation_interests(organisation) == 1

    rows = {
        row.category.slug: (row.declared, row.inferred_items, row.suppressed, row.active)
        for row in CustomerInterest.objects.filter(organisation=organisation).select_related("category")
    }
    assert rows == {
        "drawing": (False, 5, True, False),  # still off, though the count grew
        "training": (True, 0, False, True),
        "hardware": (False, 1, False, True),
    }


def test_it_sets_the_count_to_zero_when_the_purchases_are_gone(organisation, customer_admin, catalogue):
    order = make_order(organisation, (catalogue["cad"], 3))
    recompute_organisation_interests(organisation)
    access = get_organisation_for_user(customer_admin, organisation.pk)
    change_interests(actor=customer_admin, access=access, declared=[catalogue["drawing"].pk])
    order.status = OrderStatus.CANCELLED
    order.save(update_fields=["status"])
    recompute_organisation_interests(organisation)
    row = CustomerInterest.objects.get(organisation=organisation, category=catalogue["drawing"])
    assert (row.inferred_items, row.declared) == (0, True)
    assert row.inferred_at is not None


def test_a_recomputation_without_changes_writes_nothing(organisation, catalogue):
    make_order(organisation, (catalogue["cad"], 3))
    assert recompute_organisation_interests(organisation) == 1
    stamp = CustomerInterest.objects.get().inferred_at
    assert recompute_organisation_interests(organisation) == 0
    assert CustomerInterest.objects.get().inferred_at == stamp


def test_it_recomputes_every_organisation_in_bulk_in_few_queries(
    organisation, other_organisation, catalogue, django_assert_max_num_queries
):
    organisations = [organisation, other_organisation] + [
        Organisation.objects.create(name=f"Customer {n}") for n in range(30)
    ]
    for n, customer in enumerate(organisations):
        make_order(customer, (catalogue["cad"], n + 1), (catalogue["screen"], 1))
    with django_assert_max_num_queries(12):
        assert recompute_interests() == 64
    assert items(organisations[-1]) == {"drawing": 32, "hardware": 1}
    assert CustomerInterest.objects.count() == 64


def test_the_bulk_recomputation_works_through_several_chunks(organisation, catalogue, monkeypatch):
    from kundportal.customers import interests

    monkeypatch.setattr(interests, "CHUNK", 2)
    customers = [Organisation.objects.create(name=f"Customer {n}") for n in range(5)]
    for customer in customers:
        make_order(customer, (catalogue["cad"], 2))
    recompute_interests()
    assert CustomerInterest.objects.filter(inferred_items=2).count() == 5


def test_the_reason_is_translated_with_the_category_in_the_readers_language(organisation, catalogue):
    make_order(organisation, (catalogue["cad"], 3), (catalogue["screen"], 1))
    recompute_organisation_interests(organisation)
    with override("en"):
        reasons = {i.category.slug: i.reason for i in customer_interests(organisation, language="en")}
    assert reasons == {
        "drawing": "You bought 3 items in Drawing software.",
        "hardware": "You bought 1 item in Hardware.",
        "training": "",
    }
    with override("sv"):
        swedish = customer_interests(organisation, language="sv")
    assert [i.name for i in swedish] == ["Hardware", "Ritprogram", "Utbildning"]  # no Swedish name: English
    with override("de"):
        german = {i.category.slug: i for i in customer_interests(organisation, language="de")}
    assert german["drawing"].name == "Zeichensoftware"


def test_inactive_categories_are_not_offered_and_keep_their_rows(organisation, customer_admin, catalogue):
    access = get_organisation_for_user(customer_admin, organisation.pk)
    change_interests(actor=customer_admin, access=access, declared=[catalogue["hardware"].pk])
    catalogue["hardware"].active = False
    catalogue["hardware"].save()
    assert "hardware" not in {i.category.slug for i in customer_interests(organisation, language="en")}
    # Saving the choice again without it leaves the hidden row as it was.
    change_interests(actor=customer_admin, access=access, declared=[catalogue["training"].pk])
    assert CustomerInterest.objects.get(category=catalogue["hardware"]).declared is True
    with pytest.raises(ValidationError):
        change_interests(actor=customer_admin, access=access, declared=[catalogue["hardware"].pk])


def test_declaring_records_one_audit_event_naming_the_changes(organisation, customer_member, catalogue):
    access = get_organisation_for_user(customer_member, organisation.pk)
    change_interests(
        actor=customer_member, access=access, declared=[catalogue["training"].pk, catalogue["drawing"].pk]
    )
    change_interests(actor=customer_member, access=access, declared=[catalogue["training"].pk])
    change_interests(actor=customer_member, access=access, declared=[catalogue["training"].pk])  # no change
    events = list(AuditEvent.objects.filter(action=Action.INTERESTS_CHANGED).order_by("at"))
    assert [e.data for e in events] == [
        {"chosen": ["drawing", "training"]},
        {"unchosen": ["drawing"]},
    ]
    assert {e.organisation_id for e in events} == {organisation.pk}


def test_a_viewer_may_not_change_interests(organisation, customer_viewer, catalogue):
    access = get_organisation_for_user(customer_viewer, organisation.pk)
    with pytest.raises(PermissionDenied):
        change_interests(actor=customer_viewer, access=access, declared=[catalogue["training"].pk])
    assert not CustomerInterest.objects.exists()


@pytest.mark.parametrize(
    "declared",
    [
        [uuid.uuid4()],  # unknown
        ["not-an-id"],
    ],
)
def test_unknown_categories_are_refused_and_change_nothing(organisation, customer_admin, catalogue, declared):
    access = get_organisation_for_user(customer_admin, organisation.pk)
    with pytest.raises(ValidationError) as error:
        change_interests(actor=customer_admin, access=access, declared=[catalogue["training"].pk, *declared])
    assert "Choose from the interest categories on the list." in str(error.value)
    assert not CustomerInterest.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.INTERESTS_CHANGED).exists()


def test_only_inferred_interests_can_be_turned_off(organisation, customer_admin, catalogue):
    access = get_organisation_for_user(customer_admin, organisation.pk)
    with pytest.raises(ValidationError) as error:
        change_interests(actor=customer_admin, access=access, suppressed=[catalogue["training"].pk])
    assert "Only interests inferred from purchases can be turned off." in str(error.value)
    assert not CustomerInterest.objects.exists()


def test_turning_off_and_on_again(organisation, customer_admin, catalogue):
    make_order(organisation, (catalogue["cad"], 3), placed_at=timezone.now() - timedelta(days=3))
    recompute_organisation_interests(organisation)
    access = get_organisation_for_user(customer_admin, organisation.pk)
    change_interests(actor=customer_admin, access=access, suppressed=[catalogue["drawing"].pk])
    assert not CustomerInterest.objects.get().active
    change_interests(actor=customer_admin, access=access, suppressed=[])
    assert CustomerInterest.objects.get().active
    assert [e.data for e in AuditEvent.objects.filter(action=Action.INTERESTS_CHANGED).order_by("at")] == [
        {"turned_off": ["drawing"]},
        {"turned_on": ["drawing"]},
    ]
