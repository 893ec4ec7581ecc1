"""Retention: audit entries older than settings.AUDIT_RETENTION_DAYS are deleted, the chain anchored.

Entries go from the start of the chain only (a prefix), so the anchor (seq and hash of the last deleted entry,
on the chain head) is all `verify_chain` needs to start from; an old entry behind a newer one (an import
that set its own times) waits until that one is due too. The deleted entries are checked on their way out, so
a purge never anchors over a broken chain: it stops and says where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kundportal.audit.chain import AT, Problem, chain_rows, check_segment, lock_head, seal_pending
from kundportal.audit.models import Action, AuditEvent
from kundportal.audit.services import record_event

PURGE_BATCH = 10_000
MINIMUM_DAYS = 30


class ChainBrokenError(Exception):
    """The entries about to be deleted do not verify: deleting them would hide the break."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.describe())
        self.problem = problem


@dataclass(frozen=True)
class PurgeResult:
    deleted: int
    anchor_seq: int
    before: datetime


def purge_events(*, before: datetime, actor: Any = None, batch: int = PURGE_BATCH) -> PurgeResult:
    """Delete the sealed entries older than `before` from the start of the chain, moving its anchor; one
    short transaction per `batch` entries. Records the purge as an event. Raises ChainBrokenError."""
    seal_pending()  # old unsealed entries (a crash before sealing) are due as well
    deleted = 0
    while True:
        with transaction.atomic():
            head = lock_head()
            start = head.anchor_seq
            checker = check_segment(start, head.anchor_hash)
            last = None
            for row in chain_rows(start, min(head.seq, start + batch), page=batch):
                if row[AT] >= before:
                    break
                if problem := checker.feed(row):
                    raise ChainBrokenError(problem)
                last = row
            if last is None:
                break
            count = AuditEvent.objects.filter(seq__gt=start, seq__lte=checker.seq).order_by()._delete_rows()
            head.anchor_seq, head.anchor_hash = checker.seq, checker.hash
            head.anchor_at, head.anchor_before = timezone.now(), before
            head.purged += count
            head.save(update_fields=["anchor_seq", "anchor_hash", "anchor_at", "anchor_before", "purged"])
        deleted += count
    if deleted:
        record_event(
            Action.AUDIT_PURGED,
            actor=actor,
            actor_label="" if actor else "retention",
            count=deleted,
            before=before.isoformat(),
            anchor_seq=head.anchor_seq,
        )
    return PurgeResult(deleted=deleted, anchor_seq=head.anchor_seq, before=before)


def retention_cutoff(now: datetime | None = None) -> datetime:
    days = max(settings.AUDIT_RETENTION_DAYS, MINIMUM_DAYS)
    return (now or timezone.now()) - timedelta(days=days)


def purge_expired() -> PurgeResult:
    """The periodic task: entries older than the retention period (cheap when nothing is due)."""
    return purge_events(before=retention_cutoff())
