"""Background work for offers, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from datetime import time

from django.tasks import task

from kundportal.core.periodic import first_tick_tonight
from kundportal.offers import services

# After the night's other recomputations (interests, purchase figures, segments at 02:00), so reach is counted
# on the day's data: the first periodic tick (settings.PERIODIC_TASK_SECONDS) after this local time.
NIGHTLY_AFTER = time(3, 0)


@task
def count_reach() -> int:
    """Every published offer's reach counted again now; how many offers were counted."""
    return services.refresh_reach()


@task
def count_reach_nightly() -> int:
    """Queued with the other periodic tasks every PERIODIC_TASK_SECONDS; counts once a night.

    Customers' purchases, interests and segments change every day, and so does whom a target matches."""
    if not first_tick_tonight("offers:reach-counted", after=NIGHTLY_AFTER):
        return 0
    return services.refresh_reach()
