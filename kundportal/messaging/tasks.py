"""Background work for messaging, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from django.tasks import task


@task
def send_due_emails() -> int:
    """Queued every EMAIL_TICK_SECONDS (settings.PERIODIC_TASKS): send the notification emails that are due.
    Several workers may run it at once: each batch is claimed by exactly one of them."""
    from kundportal.messaging.delivery import send_due

    return send_due()
