"""Background work for commerce, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from datetime import time

from django.tasks import task

from kundportal.commerce import stats
from kundportal.core.periodic import first_tick_tonight

# The nightly rebuild runs at the first periodic tick (settings.PERIODIC_TASK_SECONDS) after this local time,
# once a day, as customers.tasks.recompute_interests_nightly does.
NIGHTLY_AFTER = time(2, 0)


@task
def refresh_all_purchases() -> int:
    """Every organisation's purchase figures rebuilt from its orders (commerce.stats)."""
    return stats.refresh_all_purchases()


@task
def refresh_purchases_nightly() -> int:
    """Queued with the other periodic tasks every PERIODIC_TASK_SECONDS; rebuilds the figures once a night.

    The services keep the figures current as orders change; the rebuild repairs whatever changed orders
    around them (a fix in the database shell, a restored backup)."""
    if not first_tick_tonight("commerce:purchases-refreshed", after=NIGHTLY_AFTER):
        return 0
    return stats.refresh_all_purchases()
