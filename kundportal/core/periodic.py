"""Work done once a night by tasks the worker queues every PERIODIC_TASK_SECONDS (settings.PERIODIC_TASKS)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.utils import timezone


def first_tick_tonight(key: str, *, after: time, now: datetime | None = None) -> bool:
    """True once per local date, at the first call at or after `after`: the nightly task should run.

    The date key in the shared cache makes it once per day even with several workers (cache.add is atomic in
    the file and Redis caches); a missed night is caught up at the next tick after `after`."""
    now = now or timezone.localtime()
    if now.time() < after:
        return False
    return cache.add(f"{key}:{now.date().isoformat()}", True, timedelta(days=2).total_seconds())
