"""Verification runs and their outcome, kept for the audit page: the nightly check, `kundportal audit verify`,
and a provider admin's "Verify now" (run by the worker, audit.tasks)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kundportal.audit.chain import VerifyResult, seal_pending, verify_chain
from kundportal.audit.models import AuditVerification, VerificationTrigger
from kundportal.organisations.access import require_provider_admin

# What is wrong with the first broken entry (audit.chain.PROBLEMS, for people).
PROBLEM_TEXT = {
    "changed": _("its content was changed after it was written"),
    "personal": _("its personal fields (who, what, IP address, details) were changed after it was written"),
    "redacted": _("it was redacted for an erasure but holds personal data again"),
    "missing": _("entries before it were deleted"),
    "order": _("it does not follow the entry before it: an entry was inserted, replaced or moved"),
    "head": _("entries at the end of the log were deleted, or the chain head was changed"),
    "inserted": _("it was added by hand outside the chain"),
    "unsealed": _("entries older than a few minutes are not sealed into the chain"),
    "rewritten": _("the chain was rewritten: its hash differs from the one an earlier check recorded"),
}
KEEP = 100  # verification runs kept
# A run that never reports back (its worker was killed) stops blocking "Verify now" after this.
STALE_AFTER = timedelta(hours=1)


def _checkpoint() -> tuple[int, str] | None:
    """The head an earlier successful run saw: a rewritten chain no longer matches it."""
    found = (
        AuditVerification.objects.filter(ok=True, head_seq__gt=0)
        .order_by("-finished_at")
        .values_list("head_seq", "head_hash")
        .first()
    )
    return (found[0], found[1]) if found else None


def run_verification(
    *,
    trigger: str,
    requested_by: Any = None,
    verification: AuditVerification | None = None,
    seal: bool = True,
    checkpoint: tuple[int, str] | None = None,
) -> tuple[AuditVerification, VerifyResult]:
    """Seal what is waiting, verify the chain and keep the outcome. The chain must still hold `checkpoint`
    (seq, hash), by default the head the last successful run saw."""
    record = verification or AuditVerification(trigger=trigger, requested_by=requested_by)
    record.started_at = timezone.now()
    record.save()
    if seal:
        seal_pending()
    result = verify_chain(checkpoint=checkpoint or _checkpoint())
    problem = result.problem
    record.finished_at = timezone.now()
    record.ok = result.ok
    record.checked, record.redacted, record.seconds = result.checked, result.redacted, result.seconds
    record.head_seq, record.head_hash, record.anchor_seq = (
        result.head_seq,
        result.head_hash,
        result.anchor_seq,
    )
    if problem is not None:
        record.problem, record.problem_seq = problem.kind, problem.seq
        record.problem_event_id, record.problem_at = problem.event_id, problem.at
        record.problem_action, record.problem_detail = problem.action, problem.detail[:500]
    record.save()
    stale = AuditVerification.objects.order_by("-requested_at").values_list("pk", flat=True)[KEEP:]
    AuditVerification.objects.filter(pk__in=list(stale)).delete()
    return record, result


def latest_verification() -> AuditVerification | None:
    return AuditVerification.objects.select_related("requested_by").order_by("-requested_at").first()


def start_verification(*, actor: Any) -> AuditVerification | None:
    """Queue a verification for a provider admin; None if one is queued or running already."""
    require_provider_admin(actor)
    from kundportal.audit.tasks import verify_audit_chain

    pending = AuditVerification.objects.filter(
        finished_at__isnull=True, requested_at__gte=timezone.now() - STALE_AFTER
    )
    if pending.exists():
        return None
    record = AuditVerification.objects.create(trigger=VerificationTrigger.PAGE, requested_by=actor)
    verify_audit_chain.enqueue(str(record.pk))
    record.refresh_from_db()
    return record
