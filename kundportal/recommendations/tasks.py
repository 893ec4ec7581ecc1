"""Background work of the recommender, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any
from uuid import UUID

from django.core.cache import cache
from django.tasks import task

from kundportal.core.periodic import first_tick_tonight
from kundportal.recommendations import engine, progress
from kundportal.recommendations.models import Popularity

# The nightly recompute runs at the first periodic tick (settings.PERIODIC_TASK_SECONDS) after this local
# time, once a day: after the purchase figures and interests (02:00) and the RFM segments (insights, 03:00).
NIGHTLY_AFTER = time(4, 0)


def _pending_key(organisation_id: str) -> str:
    return f"recommendations:pending:v1:{organisation_id}"


def enqueue_organisation(organisation_id: str) -> None:
    """Queue the update of one organisation's list, unless one is queued and has not started yet: an order
    saved three times in a transaction, or ten orders imported for one customer, make one update."""
    key = _pending_key(organisation_id)
    if not cache.add(key, True, timedelta(minutes=30).total_seconds()):
        return
    try:
        recompute_organisation.enqueue(organisation_id)
    except Exception:
        cache.delete(key)
        raise


@task
def recompute_organisation(organisation_id: str) -> int:
    """One organisation's list, after its orders changed (from the stored affinities: a few queries)."""
    # Before reading the orders: an order committed from now on queues a new update.
    cache.delete(_pending_key(organisation_id))
    if not Popularity.objects.exists() and progress.mark_queued():
        # A new portal's first orders: there is no stored model to update a list from until a first full
        # recompute, so this is it (small then). Queued or running already, it covers this order.
        return _recompute_all().with_list
    return engine.recompute_organisations([UUID(organisation_id)])


@task
def recompute_organisations(organisation_ids: list[str]) -> int:
    """The lists of several organisations (after an import wrote their orders in bulk)."""
    return engine.recompute_organisations([UUID(pk) for pk in organisation_ids])


@task
def recompute_all() -> dict[str, Any]:
    """Affinities, popularity and every organisation's list, from all orders (on demand: the staff page,
    the API; and nightly). The page's progress bar reads what it reports."""
    result = _recompute_all()
    return {"organisations": result.organisations, "with_list": result.with_list, "seconds": result.seconds}


def _recompute_all() -> engine.RecomputeResult:
    progress.mark_queued()  # when queued by someone other than the page (the nightly task, the shell)
    try:
        return engine.recompute_all(progress=progress.Reporter())
    finally:
        progress.clear()


@task
def recompute_all_nightly() -> int:
    """Queued with the other periodic tasks every PERIODIC_TASK_SECONDS; recomputes once a night."""
    if not first_tick_tonight("recommendations:recomputed", after=NIGHTLY_AFTER):
        return 0
    return _recompute_all().with_list
