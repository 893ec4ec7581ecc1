"""Use cases of imports, shared by the pages and the API: validate rows into a report, and apply them all in
one transaction or not at all.

The page flow keeps the uploaded file between preview and apply as an ImportBatch (encrypted, 24 hours) and
validates it again when applied, since the database may have changed in between; the API validates and
applies in one call (or only validates, with dry_run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.imports.access import require_provider_admin
from kundportal.imports.base import Importer
from kundportal.imports.customers import CustomerImporter
from kundportal.imports.models import BatchStatus, ImportBatch
from kundportal.imports.orders import OrderImporter
from kundportal.imports.parsers import CONTROL, Table, decode, read_csv
from kundportal.imports.products import ProductImporter
from kundportal.imports.progress import NO_PROGRESS, Progress
from kundportal.imports.report import Report, refuse
from kundportal.messaging.models import Category
from kundportal.messaging.notifications import notify

if TYPE_CHECKING:
    from django.http import HttpRequest

    from kundportal.accounts.models import User

IMPORTERS: dict[str, Importer] = {
    "customers": CustomerImporter(),
    "products": ProductImporter(),
    "orders": OrderImporter(),
}


# Files up to this many rows are applied while the admin waits (up to ~3 s); larger ones by `kundportal worker`,
# with a progress bar: 10,000 new customers take ~4 s, their folders included (bench/README.md, imports.py).
SYNC_ROWS = 2_000


def run_import(
    *,
    actor: User,
    table: Table,
    dry_run: bool,
    source: str,
    batch: ImportBatch | None = None,
    request: HttpRequest | None = None,
    progress: Progress = NO_PROGRESS,
) -> Report:
    """Validate every row of `table` and, unless `dry_run` or any row has an error, apply them all: one
    transaction, so either the whole file is applied or nothing. One audit event with the counts."""
    require_provider_admin(actor)
    importer = IMPORTERS[table.kind]
    if dry_run:
        return importer.plan(table, actor=actor).report
    try:
        with transaction.atomic():
            plan = importer.plan(table, actor=actor, progress=progress)
            if not plan.report.ok:
                return plan.report
            importer.apply(plan, actor=actor, progress=progress)
            record_event(
                Action.IMPORT_APPLIED,
                actor=actor,
                target=batch,
                request=request,
                kind=table.kind,
                source=source,
                file=batch.file_name if batch else "",
                **plan.report.counts,
            )
    except IntegrityError:
        # Only a concurrent change gets here (plan() checked every unique value against the database).
        raise refuse(table.kind, "changed_meanwhile", columns=table.columns) from None
    return plan.report


def import_csv_bytes(
    *, actor: User, kind: str, data: bytes, dry_run: bool, request: HttpRequest | None = None
) -> Report:
    """The API's CSV variant: read, validate and (unless dry_run) apply in one call."""
    require_provider_admin(actor)
    text, encoding = decode(data, kind)
    return run_import(
        actor=actor,
        table=read_csv(text, kind, encoding=encoding),
        dry_run=dry_run,
        source="api",
        request=request,
    )


def preview_import(*, actor: User, kind: str, data: bytes, file_name: str) -> ImportBatch:
    """Read and validate an uploaded file and keep it, encrypted, for the admin to apply within 24 hours.

    A file that cannot be read raises ImportRefused and keeps nothing; a file with row errors is recorded with
    its report but not kept (it has to be fixed and uploaded again)."""
    require_provider_admin(actor)
    forget_expired_batches()
    text, encoding = decode(data, kind)
    table = read_csv(text, kind, encoding=encoding)
    report = run_import(actor=actor, table=table, dry_run=True, source="file")
    batch = ImportBatch(
        kind=kind,
        status=BatchStatus.READY if report.ok else BatchStatus.INVALID,
        created_by=actor,
        file_name=CONTROL.sub("", file_name)[:255],
        size=len(data),
        encoding=encoding,
        delimiter=table.delimiter,
        report=report.as_dict(),
        expires_at=ImportBatch.default_expiry(),
    )
    if report.ok:
        batch.store_text(text)
    batch.save(force_insert=True)
    return batch


def start_apply(*, actor: User, batch: ImportBatch, request: HttpRequest | None = None) -> Report | None:
    """Apply a previewed file: now, if it is small (the report), or in the background (None; the batch is
    QUEUED and imports.tasks.apply_import_batch applies it, reporting its progress)."""
    require_provider_admin(actor)
    if batch.rows <= SYNC_ROWS:
        return apply_batch(actor=actor, batch=batch, request=request)
    from kundportal.imports.tasks import apply_import_batch

    with transaction.atomic():
        batch = _lock_applicable(batch)
        batch.status = BatchStatus.QUEUED
        batch.save(update_fields=["status"])
        # Queued in the same transaction (the database task backend stores it there), so the batch is never
        # marked queued without a task, nor the other way round.
        apply_import_batch.enqueue(str(batch.pk), str(actor.pk))
    return None


def _lock_applicable(batch: ImportBatch, *, queued: bool = False) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == BatchStatus.APPLIED:
        raise ValidationError(_("This import has been applied already."), code="applied")
    if queued and batch.status == BatchStatus.QUEUED and batch.content_encrypted:
        return batch
    if batch.status == BatchStatus.QUEUED:
        raise ValidationError(_("This import is being applied right now."), code="queued")
    if not batch.can_apply:
        raise ValidationError(
            _(
                "This import can no longer be applied (it has errors, was discarded or expired). Upload the file again."
            ),
            code="not_ready",
        )
    return batch


def apply_batch(
    *,
    actor: User,
    batch: ImportBatch,
    request: HttpRequest | None = None,
    queued: bool = False,
    progress: Progress = NO_PROGRESS,
) -> Report:
    """Apply a previewed file, validating it again first (the data may have changed since the preview).
    Whatever the outcome, the file is not kept."""
    require_provider_admin(actor)
    with transaction.atomic():
        batch = _lock_applicable(batch, queued=queued)
        table = read_csv(batch.load_text(), batch.kind, encoding=batch.encoding)
        report = run_import(
            actor=actor,
            table=table,
            dry_run=False,
            source="file",
            batch=batch,
            request=request,
            progress=progress,
        )
        batch.report = report.as_dict()
        batch.status = BatchStatus.APPLIED if report.ok else BatchStatus.INVALID
        batch.applied_at = timezone.now() if report.ok else None
        batch.forget_content()
        batch.save(update_fields=["report", "status", "applied_at", "content_encrypted"])
        if queued:  # the admin is not watching a page for this one: tell them it is done
            _notify_finished(batch, actor, ok=report.ok)
    return report


def _notify_finished(batch: ImportBatch, recipient: User | None, *, ok: bool) -> None:
    if recipient is None:
        return
    notify(
        recipients=[recipient],
        category=Category.JOB_FINISHED,
        organisation=None,
        params={"job": "import", "kind": batch.kind, "file": batch.file_name, "ok": ok},
        url=reverse("import_preview", kwargs={"batch_id": batch.pk}),
    )


def fail_batch(batch_id: object) -> None:
    """A background apply that crashed: nothing was applied (its transaction rolled back); it can be retried."""
    with transaction.atomic():
        failed = ImportBatch.objects.select_related("created_by").filter(
            pk=batch_id, status=BatchStatus.QUEUED
        )
        batch = failed.select_for_update(of=("self",)).first()
        if batch is not None:
            failed.update(status=BatchStatus.FAILED)
            _notify_finished(batch, batch.created_by, ok=False)


@transaction.atomic
def discard_batch(*, actor: User, batch: ImportBatch) -> None:
    """Drop a preview (and its file). Also one still waiting for the worker: the worker then skips it."""
    require_provider_admin(actor)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == BatchStatus.APPLIED:
        raise ValidationError(_("This import has been applied already."), code="applied")
    batch.status = BatchStatus.DISCARDED
    batch.forget_content()
    batch.save(update_fields=["status", "content_encrypted"])


def forget_expired_batches() -> int:
    """Drop the kept files of previews older than 24 hours (on each upload, and from the periodic task)."""
    return ImportBatch.objects.expired().update(content_encrypted="")
