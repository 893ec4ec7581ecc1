from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

log = logging.getLogger("kundportal.worker")


def _enqueue_periodic(stop: threading.Event) -> None:
    """Queue the maintenance tasks (trash purge, orphan sweep, ...) now and then every PERIODIC_TASK_SECONDS.

    With several workers each queues them; the tasks are idempotent, so that only costs a little work.
    """
    while not stop.is_set():
        for path in settings.PERIODIC_TASKS:
            try:
                import_string(path).enqueue()
            except Exception:
                log.exception("could not queue %s", path)
        stop.wait(settings.PERIODIC_TASK_SECONDS)


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
