"""Background work for the insights, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from datetime import datetime, time

from django.tasks import task
from django.utils import timezone

from kundportal.core.periodic import first_tick_tonight
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
    """Queued with the other periodic tasks every PERIODIC_TASK_SECONDS; recomputes once a night (1: it did)."""
    if not first_tick_tonight("insights:recomputed", after=NIGHTLY_AFTER, now=local_now()):
        return 0
    recompute.recompute_insights()
    return 1
