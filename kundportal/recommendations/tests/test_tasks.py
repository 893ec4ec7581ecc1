from __future__ import annotations

from datetime import time

from django.db import transaction
from django.tasks import default_task_backend

from kundportal.commerce import services as commerce
from kundportal.commerce.models import OrderStatus
from kundportal.commerce.services import LineData
from kundportal.organisations.access import organisation_access
from kundportal.recommendations import engine, progress, tasks
from kundportal.recommendations.models import ReasonKind, Recommendation


def listed(organisation) -> list[tuple[str, str]]:
    return list(
        Recommendation.objects.filter(organisation=organisation)
        .order_by("rank")
        .values_list("product__sku", "reason")
    )


def test_an_order_saved_through_the_service_updates_that_customer_s_list(
    shop, provider_admin, django_capture_on_commit_callbacks
):
    engine.recompute_all()
    buyer = shop.customers[7]  # coffee only: the bestsellers
    assert {reason for _sku, reason in listed(buyer)} == {ReasonKind.BESTSELLER}
    others = {customer.pk: listed(customer) for customer in shop.customers[:7]}

    with django_capture_on_commit_callbacks(execute=True):
        order = commerce.create_order(
            actor=provider_admin,
            access=organisation_access(provider_admin, buyer),
            lines=[LineData(product=shop.board, quantity=1)],
        )

    assert listed(buyer)[0] == ("PAP-A3", ReasonKind.BOUGHT_WITH)
    assert {customer.pk: listed(customer) for customer in shop.customers[:7]} == others

    with django_capture_on_commit_callbacks(execute=True):
        commerce.change_order_status(actor=provider_admin, order=order, status=OrderStatus.CANCELLED)

    assert {reason for _sku, reason in listed(buyer)} == {ReasonKind.BESTSELLER}


def test_a_rolled_back_order_queues_nothing(
    shop, provider_admin, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    monkeypatch.setattr(engine, "recompute_organisations", lambda ids: calls.append(list(ids)) or 0)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                commerce.create_order(
                    actor=provider_admin,
                    access=organisation_access(provider_admin, shop.customers[0]),
                    lines=[LineData(product=shop.pens, quantity=1)],
                )
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass

    assert callbacks == [] and calls == []


def test_at_most_one_update_waits_per_organisation(shop, settings, django_capture_on_commit_callbacks):
    # The dummy backend queues without running, as the database backend does until a worker picks it up.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    order = shop.customers[0].orders.get()

    with django_capture_on_commit_callbacks(execute=True):
        order.status = OrderStatus.SHIPPED
        order.save(update_fields=["status"])
        order.save()
        order.save(update_fields=["total"])  # not what was bought: no callback
    with django_capture_on_commit_callbacks(execute=True):
        order.save()  # a later transaction, while the update still waits
    with django_capture_on_commit_callbacks(execute=True):
        shop.customers[1].orders.get().save()

    queued = [
        result.args for result in default_task_backend.results if result.task == tasks.recompute_organisation
    ]
    assert queued == [[str(shop.customers[0].pk)], [str(shop.customers[1].pk)]]

    # Once the update has started, a new order queues a new one.
    tasks.recompute_organisation.call(str(shop.customers[0].pk))
    with django_capture_on_commit_callbacks(execute=True):
        order.save()
    assert len([r for r in default_task_backend.results if r.task == tasks.recompute_organisation]) == 3


def test_the_nightly_task_recomputes_once_a_day(shop, monkeypatch):
    monkeypatch.setattr(tasks, "NIGHTLY_AFTER", time(0, 0))

    assert tasks.recompute_all_nightly.call() == 9
    assert tasks.recompute_all_nightly.call() == 0
    assert Recommendation.objects.exists()
    assert not progress.read_progress()["running"]


def test_the_full_task_reports_progress_and_clears_it(shop, monkeypatch):
    seen = []
    reporter = progress.Reporter()

    def report(phase, done, total):
        reporter(phase, done, total)
        seen.append(progress.read_progress()["phase"])

    monkeypatch.setattr(progress, "Reporter", lambda: report)

    result = tasks.recompute_all.call()

    assert result["with_list"] == 9
    assert {"reading", "affinities", "lists"} <= set(seen)
    assert progress.read_progress() == {"running": False}


def test_the_first_order_of_a_new_portal_makes_the_first_full_recompute(
    shop, provider_admin, django_capture_on_commit_callbacks
):
    assert not Recommendation.objects.exists()  # the shop's orders came before any recompute

    with django_capture_on_commit_callbacks(execute=True):
        commerce.create_order(
            actor=provider_admin,
            access=organisation_access(provider_admin, shop.customers[7]),
            lines=[LineData(product=shop.board, quantity=1)],
        )

    assert Recommendation.objects.values("organisation").distinct().count() == 9
    assert ("PAP-A3", ReasonKind.BOUGHT_WITH) in listed(shop.customers[7])
