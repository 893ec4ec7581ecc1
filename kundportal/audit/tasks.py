"""Background work for the audit log, run by `kundportal worker` (django.tasks with the database backend)."""

from __future__ import annotations

from datetime import datetime, time

from django.tasks import task
from django.utils import timezone

from kundportal.audit import chain, retention, verification
from kundportal.audit.models import AuditVerification, VerificationTrigger
from kundportal.core.periodic import first_tick_tonight

# The whole chain is read once a night, after the other nightly work (a million entries take about half a
# minute on SQLite).
NIGHTLY_AFTER = time(4, 0)


@task
def seal_audit_events() -> int:
    """The catch-up: entries a crash left unsealed (normally each is sealed right after its commit)."""
    return chain.seal_pending()


@task
def purge_expired_audit_events() -> int:
    """Entries older than AUDIT_RETENTION_DAYS; the chain is anchored so it still verifies."""
    return retention.purge_expired().deleted


def local_now() -> datetime:
    return timezone.localtime()


@task
def verify_audit_chain_nightly() -> int:
    """Queued with the other periodic tasks every PERIODIC_TASK_SECONDS; verifies once a night (1: it did)."""
    if not first_tick_tonight("audit:verified", after=NIGHTLY_AFTER, now=local_now()):
        return 0
    verification.run_verification(trigger=VerificationTrigger.SCHEDULE)
    return 1


@task
def verify_audit_chain(verification_id: str) -> bool:
    """A provider admin's "Verify now"."""
    record = AuditVerification.objects.get(pk=verification_id)
    _record, result = verification.run_verification(trigger=record.trigger, verification=record)
    return result.ok
