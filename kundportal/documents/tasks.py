"""Background work for documents, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from django.tasks import task

from kundportal.documents import maintenance, services


@task
def purge_trash() -> int:
    return services.purge_trash()


@task
def sweep_orphans() -> list[int]:
    return list(maintenance.sweep_orphans())
