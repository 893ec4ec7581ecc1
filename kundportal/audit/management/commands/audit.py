from __future__ import annotations

import sys
from datetime import datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date

from kundportal.audit.chain import seal_pending
from kundportal.audit.models import VerificationTrigger
from kundportal.audit.retention import MINIMUM_DAYS, ChainBrokenError, purge_events
from kundportal.audit.verification import run_verification


class Command(BaseCommand):
    help = (
        "The tamper-evident audit log. `audit verify` checks the whole hash chain and names the first broken "
        "entry (exit status 1); `audit seal` seals waiting entries now; `audit purge --before DATE` deletes "
        "older entries and anchors the chain (the periodic task does so after AUDIT_RETENTION_DAYS)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check every entry's hash and its link to the one before")
        verify.add_argument(
            "--no-seal", action="store_true", help="do not seal waiting entries first (changes nothing)"
        )
        verify.add_argument(
            "--head",
            metavar="SEQ:HASH",
            help="a head printed by an earlier run and kept elsewhere: fail if the chain no longer contains it",
        )
        sub.add_parser("seal", help="seal the entries waiting to be chained (the worker does so as well)")
        purge = sub.add_parser("purge", help="delete the entries older than DATE and anchor the chain")
        purge.add_argument(
            "--before", required=True, metavar="YYYY-MM-DD", help="local midnight of this date"
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            self.verify(seal=not options["no_seal"], head=options["head"])
        elif action == "seal":
            self.stdout.write(f"{seal_pending():,} entries sealed.")
        else:
            self.purge(options["before"])

    def verify(self, *, seal: bool, head: str | None) -> None:
        expected = _head(head) if head else None
        _record, result = run_verification(
            trigger=VerificationTrigger.COMMAND, seal=seal, checkpoint=expected
        )
        if result.problem is None and expected is not None:
            if expected[0] > result.head_seq:
                self.stderr.write(
                    f"The chain ends at #{result.head_seq}: entry #{expected[0]} of the given head is missing."
                )
                sys.exit(1)
            if expected[0] <= result.anchor_seq:
                self.stdout.write(
                    f"Entry #{expected[0]} of the given head was deleted by retention: not checked."
                )
        if result.problem is not None:
            self.stderr.write(f"Audit chain broken at {result.problem.describe()}.")
            self.stderr.write(
                f"{result.checked:,} entries before it verified (from #{result.anchor_seq + 1}); "
                f"{result.seconds:.1f} s."
            )
            sys.exit(1)
        anchored = (
            f", anchored after #{result.anchor_seq} (older entries deleted)" if result.anchor_seq else ""
        )
        self.stdout.write(
            f"Audit chain intact: {result.checked:,} entries checked ({result.redacted:,} redacted){anchored} "
            f"in {result.seconds:.1f} s."
        )
        self.stdout.write(f"Head: {result.head_seq}:{result.head_hash}")

    def purge(self, before_text: str) -> None:
        try:
            day = parse_date(before_text)
        except ValueError:
            day = None
        if day is None:
            raise CommandError(f"--before {before_text!r}: give a date as YYYY-MM-DD.")
        if day > timezone.localdate() - timedelta(days=MINIMUM_DAYS):
            raise CommandError(f"--before {day}: the audit log keeps at least the last {MINIMUM_DAYS} days.")
        before = timezone.make_aware(datetime.combine(day, time.min))
        try:
            result = purge_events(before=before)
        except ChainBrokenError as error:
            raise CommandError(
                f"Nothing more deleted: the audit chain is broken at {error}. Run `kundportal audit verify`."
            ) from error
        self.stdout.write(
            f"{result.deleted:,} entries older than {day} deleted; the chain is anchored after "
            f"#{result.anchor_seq}."
        )


def _head(text: str) -> tuple[int, str]:
    seq, _sep, value = text.partition(":")
    if not seq.isdigit() or len(value) != 64:
        raise CommandError(f"--head {text!r}: give it as printed by `audit verify`, SEQ:HASH.")
    return int(seq), value.lower()
