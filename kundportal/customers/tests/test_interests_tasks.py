"""Interests are recomputed when an order is created or changes status (after commit), and every night."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from kundportal.commerce.models import OrderStatus
from kundportal.commerce.tests.factories import make_category, make_interest, make_order, make_product
from kundportal.customers import tasks
from kundportal.customers.models import CustomerInterest

pytestmark = pytest.mark.django_db


@pytest.fixture
def cad():
    return make_product("CAD-1", "CAD Pro", category=make_category("Software", make_interest("drawing")))


def inferred(organisation) -> int:
    row = CustomerInterest.objects.filter(organisation=organisation).first()
    return row.inferred_items if row else 0


def test_a_new_order_recomputes_its_organisation_after_commit(
    organisation, cad, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_order(organisation, (cad, 2))
    assert inferred(organisation) == 0  # nothing before the commit
    ours = [
        c for c in callbacks if getattr(c, "func", None) == tasks.recompute_organisation_interests.enqueue
    ]
    assert len(ours) == 1  # the order's second save (its total) queues nothing
    ours[0]()
    assert inferred(organisation) == 2


def test_a_status_change_recomputes(organisation, cad, django_capture_on_commit_callbacks):
    order = make_order(organisation, (cad, 2))
    with django_capture_on_commit_callbacks(execute=True):
        order.status = OrderStatus.CANCELLED
        order.save(update_fields=["status"])
    assert inferred(organisation) == 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        order.invoice_number = "F-1"
        order.save(update_fields=["invoice_number"])
    assert callbacks == []


def test_the_nightly_task_runs_once_a_night(organisation, cad, monkeypatch):
    make_order(organisation, (cad, 3))
    zone = timezone.get_current_timezone()
    monkeypatch.setattr(timezone, "localtime", lambda *a: datetime(2026, 3, 1, 1, 30, tzinfo=zone))
    assert tasks.recompute_interests_nightly.call() == 0  # before 02:00
    assert inferred(organisation) == 0
    monkeypatch.setattr(timezone, "localtime", lambda *a: datetime(2026, 3, 1, 2, 5, tzinfo=zone))
    assert tasks.recompute_interests_nightly.call() == 1
    assert inferred(organisation) == 3
    make_order(organisation, (cad, 1))
    assert tasks.recompute_interests_nightly.call() == 0  # once that night
    monkeypatch.setattr(timezone, "localtime", lambda *a: datetime(2026, 3, 2, 3, 0, tzinfo=zone))
    assert tasks.recompute_interests_nightly.call() == 1
    assert inferred(organisation) == 4


def test_the_tasks_can_be_queued(organisation, cad):
    make_order(organisation, (cad, 2))
    result = tasks.recompute_organisation_interests.enqueue(str(organisation.pk))
    assert result.return_value == 1
    assert tasks.recompute_all_interests.enqueue().return_value == 0
