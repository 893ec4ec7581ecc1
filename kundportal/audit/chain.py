"""The tamper-evident chain over the audit log: sealing and verification.

Why rows are sealed after they are written: chaining at insert time would put every audited write, in every
transaction, behind one lock on the chain's head until that transaction ends (on PostgreSQL a ten-second
import would hold up every login's audit row). So `record_event` inserts the row unsealed (seq NULL) and asks,
once per transaction, for `seal_pending` to run after the commit: it takes the head row's lock for one short
transaction per batch, numbers the waiting rows in the order they were written, and chains each to the one
before. The worker's periodic `seal_audit_events` catches up on anything a crash left behind, and
`verify_chain` reports entries that stay unsealed longer than a few minutes.

An entry's hash is SHA-256 over its canonical form: the previous hash, seq, time (UTC), action, actor id,
organisation id, target type and id, and `personal_digest` = HMAC-SHA256(the row's random salt, actor_label,
target_label, ip, data). The personal fields are covered only through that digest, so redaction (blank them,
delete the salt) keeps the chain intact while the digest can no longer confirm a guessed email.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kundportal.audit.models import AuditChain, AuditEvent

SEAL_BATCH = 5_000
PAGE = 5_000
# An entry still unsealed after this long means sealing failed (the catch-up runs every periodic tick).
UNSEALED_GRACE = timedelta(minutes=10)

FIELDS = (
    "seq",
    "prev_hash",
    "hash",
    "id",
    "at",
    "action",
    "actor_id",
    "organisation_id",
    "target_type",
    "target_id",
    "actor_label",
    "target_label",
    "ip",
    "data",
    "salt",
    "personal_digest",
    "redacted_at",
)
SEQ, PREV, HASH, ID, AT, ACTION, ACTOR, ORG, TTYPE, TID, ALABEL, TLABEL, IP, DATA, SALT, DIGEST, REDACTED = (
    range(len(FIELDS))
)

_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def personal_digest(salt: bytes, actor_label: str, target_label: str, ip: str | None, data: Any) -> str:
    return hmac.digest(salt, _dumps([actor_label, target_label, ip, data]).encode(), "sha256").hex()


def entry_hash(row: tuple[Any, ...], prev_hash: str, seq: int, digest: str) -> str:
    """The hash of `row` (a tuple in FIELDS order) as entry `seq` after `prev_hash`."""
    at: datetime = row[AT]
    canonical = [
        prev_hash,
        seq,
        at.astimezone(UTC).isoformat(timespec="microseconds"),
        row[ACTION],
        str(row[ACTOR]) if row[ACTOR] is not None else None,
        str(row[ORG]) if row[ORG] is not None else None,
        row[TTYPE],
        row[TID],
        digest,
    ]
    return hashlib.sha256(_dumps(canonical).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------------
# Sealing
# ----------------------------------------------------------------------------------------------------


def lock_head() -> AuditChain:
    """The chain's head row, locked until the end of the caller's transaction (created on first use)."""
    head = AuditChain.objects.select_for_update().filter(pk=1).first()
    if head is None:
        try:
            with transaction.atomic():
                AuditChain.objects.create(pk=1)
        except IntegrityError:  # another process created it first
            pass
        head = AuditChain.objects.select_for_update().get(pk=1)
    return head


def read_head() -> AuditChain:
    """The head as last committed, without a lock (an empty chain if none was ever sealed)."""
    return AuditChain.objects.filter(pk=1).first() or AuditChain(pk=1)


def _locked_head_position() -> tuple[int, str]:
    """lock_head's (seq, hash) in one plain statement: sealing runs after every audited commit, and on this
    path the ORM's query building costs more than the database does."""
    sql = "SELECT seq, hash FROM {} WHERE id = 1{}".format(  # noqa: S608  # names from the model
        connection.ops.quote_name(AuditChain._meta.db_table),
        " FOR UPDATE" if connection.features.has_select_for_update else "",
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        found = cursor.fetchone()
    if found is None:
        head = lock_head()
        return head.seq, head.hash
    return found[0], found[1]


def seal_pending(*, batch: int = SEAL_BATCH) -> int:
    """Number and chain every unsealed entry, oldest first; one short transaction per `batch` entries.
    Returns how many were sealed."""
    pk = AuditEvent._meta.pk
    assert pk is not None
    quote = connection.ops.quote_name
    names = ("seq", "prev_hash", "hash", "salt", "personal_digest", "id", "seq")
    seal_sql = (
        "UPDATE {} SET {} = %s, {} = %s, {} = %s, {} = %s, {} = %s WHERE {} = %s AND {} IS NULL".format(  # noqa: S608
            quote(AuditEvent._meta.db_table), *(quote(name) for name in names)
        )
    )
    head_table = quote(AuditChain._meta.db_table)
    head_sql = f"UPDATE {head_table} SET seq = %s, hash = %s, sealed_at = %s WHERE id = 1"  # noqa: S608
    sealed = 0
    while True:
        with transaction.atomic():
            seq, prev = _locked_head_position()
            rows = list(
                AuditEvent.objects.filter(seq__isnull=True).order_by("at", "id").values_list(*FIELDS)[:batch]
            )
            if not rows:
                return sealed
            updates = []
            for row in rows:
                seq += 1
                salt = os.urandom(16)
                digest = personal_digest(salt, row[ALABEL], row[TLABEL], row[IP], row[DATA])
                value = entry_hash(row, prev, seq, digest)
                # A row redacted before it was sealed keeps no salt either.
                kept_salt = "" if row[REDACTED] else salt.hex()
                updates.append(
                    (seq, prev, value, kept_salt, digest, pk.get_db_prep_value(row[ID], connection))
                )
                prev = value
            with connection.cursor() as cursor:
                cursor.executemany(seal_sql, updates)
                cursor.execute(
                    head_sql, [seq, prev, connection.ops.adapt_datetimefield_value(timezone.now())]
                )
        sealed += len(rows)
        if len(rows) < batch:
            return sealed


def _seal_committed() -> None:
    seal_pending()


def seal_after_commit() -> None:
    """Seal once the current transaction commits (at once outside one); asked for once per transaction.

    Robust: a failure is logged and never reaches the audited action; the periodic catch-up seals later."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(func is _seal_committed for _ids, func, _robust in conn.run_on_commit):
        return
    transaction.on_commit(_seal_committed, robust=True)


# ----------------------------------------------------------------------------------------------------
# Verification
# ----------------------------------------------------------------------------------------------------

PROBLEMS = {
    "changed": "its content was changed: its hash does not match its fields",
    "personal": "its personal fields (who, what, IP address, details) were changed: they do not match their digest",
    "redacted": "it is marked as redacted but holds personal data again",
    "missing": "the entries before it are missing (deleted)",
    "order": "it does not follow the entry before it: an entry was inserted, replaced or moved here",
    "head": "entries at the end of the chain are missing (deleted), or the chain head was changed",
    "inserted": "it was inserted by hand: it lies outside the sealed chain",
    "unsealed": "entries older than a few minutes are not sealed: sealing fails, or they were inserted by hand",
    "rewritten": "its hash differs from the one an earlier verification recorded: the chain was rewritten",
}


@dataclass(frozen=True)
class Problem:
    """The first broken entry and what is wrong with it (`kind`, a key of PROBLEMS)."""

    kind: str
    seq: int | None = None
    event_id: Any = None
    at: datetime | None = None
    action: str = ""
    detail: str = ""

    @classmethod
    def at_row(cls, kind: str, row: tuple[Any, ...] | None, detail: str = "") -> Problem:
        if row is None:
            return cls(kind, detail=detail)
        return cls(kind, row[SEQ], row[ID], row[AT], row[ACTION], detail)

    def describe(self) -> str:
        where = "entry" if self.seq is None else f"entry #{self.seq}"
        if self.event_id is not None:
            when = self.at.astimezone(UTC).isoformat(timespec="seconds") if self.at else "?"
            where += f" (id {self.event_id}, {when}, {self.action})"
        text = f"{where}: {PROBLEMS.get(self.kind, self.kind)}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    redacted: int
    head_seq: int
    head_hash: str
    anchor_seq: int
    seconds: float
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Checker:
    """Walks the chain entry by entry from an anchor (the genesis or the last purged entry)."""

    def __init__(self, seq: int, hash: str) -> None:
        self.seq, self.hash = seq, hash
        self.checked = self.redacted = 0

    def feed(self, row: tuple[Any, ...]) -> Problem | None:
        seq = row[SEQ]
        if seq != self.seq + 1:
            return Problem.at_row("missing", row, f"#{self.seq + 1} to #{seq - 1}")
        if row[PREV] != self.hash:
            return Problem.at_row("order", row)
        if row[REDACTED] is None:
            salt = row[SALT]
            if len(salt) != 32 or row[DIGEST] != personal_digest(
                bytes.fromhex(salt), row[ALABEL], row[TLABEL], row[IP], row[DATA]
            ):
                return Problem.at_row("personal", row)
        else:
            if row[ALABEL] or row[TLABEL] or row[IP] or row[DATA] or row[SALT]:
                return Problem.at_row("redacted", row)
            self.redacted += 1
        if row[HASH] != entry_hash(row, row[PREV], seq, row[DIGEST]):
            return Problem.at_row("changed", row)
        self.seq, self.hash = seq, row[HASH]
        self.checked += 1
        return None


def chain_rows(after: int, upto: int | None = None, *, page: int = PAGE) -> Iterator[tuple[Any, ...]]:
    """Sealed entries with after < seq <= upto in chain order, fetched in keyset pages (flat memory)."""
    while True:
        rows = AuditEvent.objects.filter(seq__gt=after)
        if upto is not None:
            rows = rows.filter(seq__lte=upto)
        batch = list(rows.order_by("seq").values_list(*FIELDS)[:page])
        yield from batch
        if len(batch) < page:
            return
        after = batch[-1][SEQ]


def check_segment(after: int, prev_hash: str) -> _Checker:
    """A checker that continues the chain after entry `after` with hash `prev_hash` (audit.retention)."""
    return _Checker(after, prev_hash)


def verify_chain(
    *,
    checkpoint: tuple[int, str] | None = None,
    grace: timedelta = UNSEALED_GRACE,
    progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    """Check the whole chain from its anchor to its head; stops at the first broken entry.

    `checkpoint` is the (seq, hash) an earlier successful run saw as head: a chain rewritten since (every hash
    recomputed after an edit) no longer matches it. Runs outside a transaction (on SQLite one would block
    every writer); a purge that moves the anchor meanwhile makes it look from the new anchor once more."""
    started = time.monotonic()
    result = _verify_once(checkpoint, grace, progress, started)
    broken_link = result.problem is not None and result.problem.kind in {"missing", "order"}
    if broken_link and read_head().anchor_seq != result.anchor_seq:
        result = _verify_once(checkpoint, grace, progress, started)
    return result


def _verify_once(
    checkpoint: tuple[int, str] | None,
    grace: timedelta,
    progress: Callable[[int], None] | None,
    started: float,
) -> VerifyResult:
    head = read_head()
    checker = _Checker(head.anchor_seq, head.anchor_hash)

    def result(problem: Problem | None) -> VerifyResult:
        return VerifyResult(
            checked=checker.checked,
            redacted=checker.redacted,
            head_seq=checker.seq,
            head_hash=checker.hash,
            anchor_seq=head.anchor_seq,
            seconds=time.monotonic() - started,
            problem=problem,
        )

    stray = AuditEvent.objects.filter(seq__lte=head.anchor_seq).order_by("seq").values_list(*FIELDS).first()
    if stray is not None:
        return result(Problem.at_row("inserted", stray, f"before the retention anchor #{head.anchor_seq}"))
    last = None
    for row in chain_rows(head.anchor_seq, head.seq):
        if problem := checker.feed(row):
            return result(problem)
        if checkpoint is not None and row[SEQ] == checkpoint[0] and row[HASH] != checkpoint[1]:
            return result(Problem.at_row("rewritten", row))
        last = row
        if progress is not None and checker.checked % 100_000 == 0:
            progress(checker.checked)
    if checker.seq != head.seq or checker.hash != head.hash:
        return result(
            Problem.at_row("head", last, f"the chain ends at #{checker.seq}, its head is #{head.seq}")
        )
    after = read_head()
    extra = AuditEvent.objects.filter(seq__gt=after.seq).order_by("seq").values_list(*FIELDS).first()
    if extra is not None:
        return result(Problem.at_row("inserted", extra, f"after the chain head #{after.seq}"))
    old = AuditEvent.objects.filter(seq__isnull=True, at__lt=timezone.now() - grace)
    oldest = old.order_by("at", "id").values_list(*FIELDS).first()
    if oldest is not None:
        return result(Problem.at_row("unsealed", oldest, f"{old.count()} unsealed"))
    return result(None)
