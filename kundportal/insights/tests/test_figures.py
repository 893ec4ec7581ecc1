"""The figures and the task that stores them: what each figure counts, what it leaves out, and whose it is."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.commerce.tests.factories import make_interest, make_order
from kundportal.customers.models import CustomerInterest
from kundportal.insights import snapshots, tasks
from kundportal.insights.figures import Scope, compute_figures, month_starts, week_starts
from kundportal.insights.models import PROVIDER, InsightSnapshot
from kundportal.offers.models import Offer, OfferResponse, OfferStatus
from kundportal.organisations.models import StaffAssignment

from .conftest import days_ago, this_month, today

pytestmark = pytest.mark.django_db


def sales_of(figures, month):
    return {
        sale["currency"]: (sale["orders"], sale["revenue"])
        for sale in figures["sales"]
        if sale["month"] == month
    }


def test_the_periods_are_whole_local_months_and_weeks_ending_with_the_current_one():
    now = timezone.make_aware(datetime(2026, 3, 4, 12, 0))  # a Wednesday
    months = month_starts(now)
    assert len(months) == 24
    assert months[-1] == timezone.make_aware(datetime(2026, 3, 1))
    assert months[0] == timezone.make_aware(datetime(2024, 4, 1))
    weeks = week_starts(now)
    assert len(weeks) == 12
    assert weeks[-1] == timezone.make_aware(datetime(2026, 3, 2))
    assert weeks[0] == timezone.make_aware(datetime(2025, 12, 15))


def test_the_task_scores_the_customers_and_stores_the_figures(organisation, acme_orders, other_orders):
    result = tasks.recompute_insights_task.enqueue()
    assert result.return_value >= 0

    snapshot = InsightSnapshot.objects.get(scope=PROVIDER)
    figures = snapshot.data
    assert (figures["customers"], figures["buyers"]) == (2, 2)
    assert sum(figures["segments"].values()) == 2 and "" not in figures["segments"]
    assert figures["scored_at"] is not None
    # Cancelled orders never count; amounts stay in their currency.
    month = this_month()
    acme_this_month = [
        o for o in acme_orders[:3] if timezone.localtime(o.placed_at).strftime("%Y-%m") == month
    ]
    sek = sum(1 for o in acme_this_month if o.currency == "SEK") + sum(
        1 for o in other_orders if timezone.localtime(o.placed_at).strftime("%Y-%m") == month
    )
    assert sales_of(figures, month)["EUR"] == (1, "30.00")
    assert sales_of(figures, month).get("SEK", (0, ""))[0] == sek
    assert sum(sale["orders"] for sale in figures["sales"]) == 3 + 7
    assert [(b["bucket"], b["customers"]) for b in figures["frequency"]] == [
        ("1", 0),
        ("2-3", 1),
        ("4-7", 1),
        ("8-15", 0),
        ("16+", 0),
    ]


def test_the_nightly_task_runs_once_a_night_after_the_purchase_figures(
    organisation, acme_orders, monkeypatch
):
    zone = timezone.get_current_timezone()
    monkeypatch.setattr(tasks, "local_now", lambda: datetime(2026, 3, 1, 2, 30, tzinfo=zone))
    assert tasks.recompute_insights_nightly.call() == 0  # before 03:00
    assert not InsightSnapshot.objects.exists()
    monkeypatch.setattr(tasks, "local_now", lambda: datetime(2026, 3, 1, 3, 5, tzinfo=zone))
    assert tasks.recompute_insights_nightly.call() == 1
    assert InsightSnapshot.objects.filter(scope=PROVIDER).exists()
    assert tasks.recompute_insights_nightly.call() == 0  # once that night
    monkeypatch.setattr(tasks, "local_now", lambda: datetime(2026, 3, 2, 4, 0, tzinfo=zone))
    assert tasks.recompute_insights_nightly.call() == 1


def test_buyers_since_the_last_scoring_and_customers_without_purchases_are_counted_apart(
    organisation, other_organisation, paper
):
    make_order(organisation, (paper, 1))
    figures = compute_figures(Scope.provider())
    assert figures["segments"] == {"": 1}  # bought, not scored yet
    assert (figures["customers"], figures["buyers"]) == (2, 1)


def test_interests_count_declared_and_inferred_ones_but_not_those_turned_off(
    organisation, other_organisation
):
    bim = make_interest("bim", "BIM", sv="BIM", de="BIM")
    cloud = make_interest("cloud", "Cloud services", sv="Molntjänster", de="Cloud-Dienste")
    retired = make_interest("retired", "Retired")
    retired.active = False
    retired.save()
    CustomerInterest.objects.create(organisation=organisation, category=bim, declared=True, inferred_items=4)
    CustomerInterest.objects.create(organisation=other_organisation, category=bim, inferred_items=2)
    CustomerInterest.objects.create(
        organisation=other_organisation, category=cloud, inferred_items=9, suppressed=True
    )

    interests = {i["slug"]: i for i in compute_figures(Scope.provider())["interests"]}

    assert set(interests) == {"bim", "cloud"}
    assert (interests["bim"]["declared"], interests["bim"]["inferred"]) == (1, 2)
    assert (interests["cloud"]["declared"], interests["cloud"]["inferred"]) == (0, 0)
    assert interests["cloud"]["names"]["sv"] == "Molntjänster"


def offer(title, *, status=OfferStatus.PUBLISHED, starts=-10, ends=10, manager=None, **fields):
    return Offer.objects.create(
        title=title,
        body="…",
        status=status,
        starts_on=today() + timedelta(days=starts),
        ends_on=today() + timedelta(days=ends),
        manager=manager,
        **fields,
    )


def test_offers_are_the_live_and_recent_ones_with_their_responses(
    organisation, other_organisation, customer_admin, customer_member, outsider
):
    live = offer("Spring sale", reach=40)
    offer("Draft", status=OfferStatus.DRAFT)
    offer("Long gone", starts=-400, ends=-200)
    offer("Just ended", status=OfferStatus.ENDED, starts=-60, ends=-30, ended_at=days_ago(30))
    now = timezone.now()
    OfferResponse.objects.create(
        offer=live, user=customer_admin, organisation=organisation, seen_at=now, accepted_at=now
    )
    OfferResponse.objects.create(
        offer=live, user=customer_member, organisation=organisation, seen_at=now, dismissed_at=now
    )
    OfferResponse.objects.create(offer=live, user=outsider, organisation=other_organisation, seen_at=now)

    offers = {o["title"]: o for o in compute_figures(Scope.provider())["offers"]}

    assert set(offers) == {"Spring sale", "Just ended"}
    spring = offers["Spring sale"]
    assert (spring["views"], spring["acceptances"], spring["dismissals"], spring["reach"]) == (3, 1, 1, 40)


def test_activity_counts_customers_logins_uploads_and_downloads_per_week(
    organisation, customer_admin, customer_member, provider_admin, account_manager
):
    record_event(Action.LOGIN, actor=customer_admin)
    record_event(Action.LOGIN, actor=customer_member)
    record_event(Action.LOGIN, actor=provider_admin)  # staff: not customer activity
    record_event(Action.DOCUMENT_UPLOADED, actor=customer_member, organisation=organisation)
    record_event(Action.DOCUMENT_UPLOADED, actor=account_manager, organisation=organisation)  # staff
    record_event(Action.DOCUMENT_DOWNLOADED, actor=customer_admin, organisation=organisation)
    record_event(Action.FOLDER_DOWNLOADED, actor=customer_admin, organisation=organisation)
    record_event(Action.LOGOUT, actor=customer_admin)

    weeks = compute_figures(Scope.provider())["activity"]

    assert len(weeks) == 12
    assert weeks[-1] | {"week": ""} == {"week": "", "logins": 2, "uploads": 1, "downloads": 2}
    assert all(week["logins"] == 0 for week in weeks[:-1])


def test_an_account_managers_figures_hold_only_their_organisations(
    organisation, other_organisation, acme_orders, other_orders, account_manager, customer_admin, outsider
):
    """Other GmbH is not Mads's: none of its orders, interests, logins or offer responses may reach him."""
    cad = make_interest("cad", "CAD")
    CustomerInterest.objects.create(organisation=other_organisation, category=cad, declared=True)
    record_event(Action.LOGIN, actor=outsider)
    record_event(Action.DOCUMENT_DOWNLOADED, actor=outsider, organisation=other_organisation)
    spring = offer("Spring sale")
    OfferResponse.objects.create(
        offer=spring, user=outsider, organisation=other_organisation, seen_at=timezone.now()
    )
    own = offer("Mads's own", manager=account_manager)
    someone_elses = offer("Someone else's", manager=outsider)  # any user; not Mads
    tasks.recompute_insights_task.enqueue()

    figures = compute_figures(Scope.for_manager(account_manager))

    assert (figures["customers"], figures["buyers"]) == (1, 1)
    assert sum(figures["segments"].values()) == 1
    assert sum(sale["orders"] for sale in figures["sales"]) == 3
    assert {i["slug"]: i["declared"] for i in figures["interests"]} == {"cad": 0}
    assert sum(w["logins"] + w["downloads"] for w in figures["activity"]) == 0
    offers = {o["title"]: o for o in figures["offers"]}
    assert set(offers) == {spring.title, own.title}
    assert offers[spring.title]["views"] == 0 and offers[spring.title]["reach"] is None
    assert someone_elses.title not in offers


def test_a_manager_of_many_gets_a_snapshot_that_counts_only_while_the_assignments_are_the_same(
    organisation, other_organisation, acme_orders, other_orders, account_manager, monkeypatch
):
    monkeypatch.setattr(snapshots, "LIVE_LIMIT", 1)
    assignment = StaffAssignment.objects.create(organisation=other_organisation, user=account_manager)
    tasks.recompute_insights_task.enqueue()
    assert InsightSnapshot.objects.filter(scope=snapshots.manager_scope(account_manager)).exists()

    found = snapshots.get_figures_for_user(account_manager)
    assert (found.own, found.live, found.figures["customers"]) == (True, False, 2)

    # Other GmbH is taken off him: the snapshot no longer matches, and his figures are computed without it.
    assignment.delete()
    found = snapshots.get_figures_for_user(account_manager)
    assert (found.own, found.live, found.figures["customers"]) == (True, True, 1)
    assert sum(sale["orders"] for sale in found.figures["sales"]) == 3

    # Below the limit again: the next run deletes his snapshot.
    tasks.recompute_insights_task.enqueue()
    assert list(InsightSnapshot.objects.values_list("scope", flat=True)) == [PROVIDER]
