from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

log = logging.getLogger("kundportal.worker")


def periodic_schedule() -> list[tuple[str, int]]:
    """settings.PERIODIC_TASKS as (task path, seconds between queuings): a plain path is queued every
    PERIODIC_TASK_SECONDS, a (path, seconds) entry at its own interval (the notification emails, every minute)."""
    schedule = []
    for entry in settings.PERIODIC_TASKS:
        if isinstance(entry, str):
            schedule.append((entry, settings.PERIODIC_TASK_SECONDS))
        else:
            path, seconds = entry
            schedule.append((path, max(1, int(seconds))))
    return schedule


def enqueue_due(schedule: list[tuple[str, int]], next_run: dict[str, float], now: float) -> float:
    """Queue the tasks whose time has come; returns how long to wait until the next one is due."""
    for path, seconds in schedule:
        if next_run.get(path, now) <= now:
            try:
                import_string(path).enqueue()
            except Exception:
                log.exception("could not queue %s", path)
            next_run[path] = now + seconds
    return max(1.0, min(next_run[path] for path, _seconds in schedule) - now) if schedule else 3600.0


def _enqueue_periodic(stop: threading.Event) -> None:
    """Queue the maintenance tasks (trash purge, orphan sweep, ...) now and then each at its interval.

    With several workers each queues them; the tasks are idempotent, so that only costs a little work.
    """
    schedule = periodic_schedule()
    next_run: dict[str, float] = {}
    while not stop.is_set():
        stop.wait(enqueue_due(schedule, next_run, time.monotonic()))


class Command(DatabaseWorkerCommand):
    help = "Run background tasks (django.tasks, database backend) and queue the periodic maintenance tasks."

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        scheduler = threading.Thread(
            target=_enqueue_periodic, args=(stop,), name="periodic-tasks", daemon=True
        )
        scheduler.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
