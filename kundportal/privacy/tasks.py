"""Background work for the privacy centre, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from django.tasks import task

from kundportal.privacy import exports


@task
def build_export(export_id: str) -> str:
    """Build one "download my data" ZIP (queued by privacy.exports.request_export)."""
    export = exports.build_export(export_id)
    return export.status if export is not None else "skipped"


@task
def expire_exports() -> int:
    """Periodic: delete the ZIPs whose download time is over."""
    return exports.expire_exports()


@task
def apply_retention() -> dict[str, int]:
    """Periodic: delete unused invitations, read notifications and the email log after their periods."""
    from kundportal.privacy.retention import apply_retention as apply

    return apply()
