"""What every importer shares: planning (validate and compare with the database, no writes) and applying a
plan (writes only; the caller holds the transaction)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

from kundportal.core.bulk import insert_objects
from kundportal.imports.progress import NO_PROGRESS, Progress
from kundportal.imports.report import Report

if TYPE_CHECKING:
    from kundportal.accounts.models import User
    from kundportal.imports.parsers import Table

# Lookups by lists of external ids go in chunks: SQLite and PostgreSQL both cap the parameters of one query.
CHUNK = 900
BATCH = 1000  # bulk_create / bulk_update batch size


def chunked[T](items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Change:
    """One changed field, for the customer's change log (customers.ChangeRecord)."""

    organisation_id: Any
    subject: str
    subject_id: Any
    field: str
    old: str
    new: str


@dataclass
class Plan:
    report: Report
    changes: list[Change] = field(default_factory=list)


class Importer:
    kind: str

    def plan(self, table: Table, *, actor: User, progress: Progress = NO_PROGRESS) -> Plan:
        raise NotImplementedError

    def apply(self, plan: Plan, *, actor: User, progress: Progress = NO_PROGRESS) -> None:
        raise NotImplementedError


class Writer:
    """bulk_create (or the faster insert) / bulk_update in batches, telling `progress` after each one."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def _tick(self, count: int) -> None:
        self.done += count
        self.progress.set("writing", self.done, self.total)

    def create(self, model: type[models.Model], objects: Sequence[models.Model]) -> None:
        for chunk in chunked(objects, BATCH):
            model._default_manager.bulk_create(chunk)
            self._tick(len(chunk))

    def insert(self, model: type[models.Model], objects: Sequence[models.Model]) -> None:
        """What create does, several times faster for thousands of objects (core.bulk); their primary keys
        must be set (every UUIDModel's is)."""
        for chunk in chunked(objects, BATCH):
            insert_objects(model, chunk)
            self._tick(len(chunk))

    def update(
        self, model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str]
    ) -> None:
        for chunk in chunked(objects, BATCH):
            model._default_manager.bulk_update(chunk, fields)
            self._tick(len(chunk))


def reading[T](progress: Progress, rows: Sequence[T]) -> Iterator[T]:
    """The rows, telling `progress` every few hundred."""
    total = len(rows)
    for done, row in enumerate(rows):
        if done % 250 == 0:
            progress.set("validating", done, total)
        yield row
    progress.set("validating", total, total, force=True)
