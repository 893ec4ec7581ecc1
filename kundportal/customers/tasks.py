"""Background work for customer data, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from datetime import time
from uuid import UUID

from django.tasks import task

from kundportal.core.periodic import first_tick_tonight
from kundportal.customers import interests

# The nightly recomputation runs at the first periodic tick (settings.PERIODIC_TASK_SECONDS) after this
# local time, once a day: a quiet hour, and every order of the day is in.
NIGHTLY_AFTER = time(2, 0)


@task
def recompute_organisation_interests(organisation_id: str) -> int:
    """One organisation's inferred interests, after one of its orders was created or changed status."""
    return interests.recompute_interests([UUID(organisation_id)])


@task
def recompute_all_interests() -> int:
    return interests.recompute_interests()


@task
def recompute_interests_nightly() -> int:
    """Queued with the other periodic tasks every PERIODIC_TASK_SECONDS; does the work once a night."""
    if not first_tick_tonight("customers:interests-recomputed", after=NIGHTLY_AFTER):
        return 0
    return interests.recompute_interests()
