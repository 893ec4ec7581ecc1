"""Background work for the insights, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

from kundportal.insights import recompute

# After the nightly rebuild of the purchase figures (commerce.tasks, from 02:00), which the scores read.
NIGHTLY_AFTER = time(3, 0)


@task
def recompute_insights_task() -> int:
    """The RFM scores and the provider's figures, now (a provider admin asked for it). Returns the time taken
    in milliseconds."""
    return recompute.recompute_insights().duration_ms


def local_now() -> datetime:
    return timezone.localtime()


@task
def recompute_insights_nightly() -> int:
    """Queued with the other periodic tasks every PERIODIC_TASK_SECONDS; recomputes once a night (1: it did).

    The date key in the shared cache makes it once per day even with several workers (cache.add is atomic
    in the file and Redis caches); a missed night is caught up at the next tick after NIGHTLY_AFTER."""
    now = local_now()
    if now.time() < NIGHTLY_AFTER:
        return 0
    if not cache.add(
        f"insights:recomputed:{now.date().isoformat()}", True, timedelta(days=2).total_seconds()
    ):
        return 0
    recompute.recompute_insights()
    return 1
