"""Background work for customer data, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from datetime import time, timedelta
from uuid import UUID

from django.core.cache import cache
from django.tasks import task
from django.utils import timezone

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
    """Queued with the other periodic tasks every PERIODIC_TASK_SECONDS; does the work once a night.

    The date key in the shared cache makes it once per day even with several workers (cache.add is atomic
    in the file and Redis caches); a missed night is caught up at the next tick after NIGHTLY_AFTER."""
    now = timezone.localtime()
    if now.time() < NIGHTLY_AFTER:
        return 0
    if not cache.add(
        f"customers:interests-recomputed:{now.date().isoformat()}", True, timedelta(days=2).total_seconds()
    ):
        return 0
    return interests.recompute_interests()
