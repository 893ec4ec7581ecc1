"""Large imports are applied here, by `kundportal worker`, so the admin's browser shows a progress bar
instead of waiting on one long request."""

from __future__ import annotations

from django.tasks import task

from kundportal.imports.progress import Progress


@task
def apply_import_batch(batch_id: str, actor_id: str) -> dict[str, int]:
    from kundportal.accounts.models import User
    from kundportal.imports import services
    from kundportal.imports.models import ImportBatch

    actor = User.objects.get(pk=actor_id)
    batch = ImportBatch.objects.get(pk=batch_id)
    progress = Progress(batch.pk)
    try:
        report = services.apply_batch(actor=actor, batch=batch, queued=True, progress=progress)
    except Exception:
        services.fail_batch(batch.pk)
        raise
    finally:
        progress.clear()
    return report.counts


@task
def forget_expired_imports() -> int:
    """Periodic: drop the kept files of previews nobody applied within 24 hours."""
    from kundportal.imports.services import forget_expired_batches

    return forget_expired_batches()


@task
def recompute_interests_after_import(organisation_ids: list[str]) -> int:
    """The inferred interests of the customers whose orders an import created or changed."""
    from uuid import UUID

    from kundportal.customers.interests import recompute_interests

    return recompute_interests([UUID(pk) for pk in organisation_ids])
