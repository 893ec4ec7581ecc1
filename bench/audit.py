"""Audit chain benchmark: sealing, `kundportal audit verify` over 1,000,000 entries, and what an audited write
costs now (goal: verify well under a minute on SQLite, flat memory).

    .venv/bin/python bench/audit.py                    # 1,000,000 entries, 3 verify runs, about 6-8 minutes
    .venv/bin/python bench/audit.py --entries 100000   # a tenth, for a quick look
    .venv/bin/python bench/audit.py --runs 1 --keep

What it does:

1. A fresh temporary data dir (bench/pages.py's clean_env: SQLite in WAL mode), `kundportal migrate`.
2. In a child process: a tenth of --entries audit events bulk-inserted unsealed (core.bulk.insert_rows, as
   imports write them: times over two years, 2,000 actors, 500 organisations, a small `data` dict on most),
   then sealed (audit.chain.seal_pending): wall and CPU time.
3. `kundportal audit verify --no-seal` as its own process, --runs times: wall, CPU (user + system) and peak RSS
   of that process (os.wait4). The reference in the same run: a process that reads the same rows with Python's
   sqlite3 module and does nothing else (no Django, no hashing): the floor a verify cannot beat.
4. The rest of --entries inserted and sealed; step 3 again at full size (the two sizes show whether memory
   stays flat).
5. In a child process on the full table: the sealer for 1,000 new events (5 times, median); the cost of an
   audited write now (record_event in autocommit: insert, then the seal right after the commit) against the
   plain insert it was before, interleaved in blocks of 100, 1,000 each; the purge of the entries older than
   a year (retention), then one verify from the anchor.
6. Prints Markdown and writes bench/results/audit-<date>.md. The temporary directory is removed unless --keep.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from pages import KUNDPORTAL, ROOT, clean_env, finish, machine, run, run_json, write_report

ACTIONS = [
    ("auth.login", 50),
    ("auth.logout", 10),
    ("auth.login_failed", 5),
    ("doc.downloaded", 15),
    ("doc.uploaded", 8),
    ("customer.profile_changed", 5),
    ("org.role_changed", 2),
    ("customer.viewed", 5),
]
CHUNK = 50_000


# ----------------------------------------------------------------------------------------------------
# Child modes (DJANGO_SETTINGS_MODULE and KUNDPORTAL_DATA_DIR set by the parent)
# ----------------------------------------------------------------------------------------------------


def generate(first: int, count: int, total: int) -> None:
    """Entries number `first` to `first + count - 1` of `total`, in time order over the last two years."""
    import random
    import uuid

    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from kundportal.audit.models import AuditEvent
    from kundportal.core.bulk import insert_rows

    rng = random.Random(20261124 + first)
    actors = [uuid.UUID(int=random.Random(n).getrandbits(128)) for n in range(2_000)]
    organisations = [uuid.UUID(int=random.Random(10**6 + n).getrandbits(128)) for n in range(500)]
    names, weights = zip(*ACTIONS, strict=True)
    end = timezone.now() - datetime.timedelta(minutes=30)
    span = datetime.timedelta(days=730).total_seconds()
    fields = [
        "id",
        "at",
        "action",
        "actor",
        "actor_label",
        "organisation",
        "target_type",
        "target_id",
        "target_label",
        "ip",
        "data",
    ]
    started = time.perf_counter()
    for start in range(first, first + count, CHUNK):
        rows = []
        for n in range(start, min(start + CHUNK, first + count)):
            who = rng.randrange(len(actors))
            action = rng.choices(names, weights)[0]
            org = organisations[who % len(organisations)]
            document = action.startswith("doc.")
            rows.append(
                [
                    uuid.uuid4(),
                    end - datetime.timedelta(seconds=span * (total - n) / total),
                    action,
                    actors[who],
                    f"person{who}@customer{who % 500}.example",
                    None if action.startswith("auth.") else org,
                    "documents.document" if document else "",
                    str(uuid.uuid4()) if document else "",
                    f"Drawing {n}.pdf" if document else "",
                    f"192.0.2.{who % 250}",
                    {"version": n % 7 + 1} if document else {},
                ]
            )
        with transaction.atomic():
            insert_rows(AuditEvent, fields, rows)
        print(f"  inserted {min(start + CHUNK, first + count):,}", file=sys.stderr, flush=True)
    print(json.dumps({"insert_s": time.perf_counter() - started}))


def seal() -> None:
    import django

    django.setup()
    from kundportal.audit.chain import seal_pending

    wall, cpu = time.perf_counter(), time.process_time()
    sealed = seal_pending()
    print(
        json.dumps({"sealed": sealed, "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu})
    )


def scan(database: str) -> None:
    """The reference: read every row of the table (the columns verify reads) with plain sqlite3."""
    import sqlite3

    connection = sqlite3.connect(database)
    cursor = connection.execute(
        "SELECT seq, prev_hash, hash, id, at, action, actor_id, organisation_id, target_type, target_id, "
        "actor_label, target_label, ip, data, salt, personal_digest, redacted_at FROM audit_auditevent "
        "WHERE seq IS NOT NULL ORDER BY seq"
    )
    count = 0
    while rows := cursor.fetchmany(5000):
        count += len(rows)
    print(json.dumps({"rows": count}))


def costs(blocks: int) -> None:
    import django

    django.setup()
    from django.utils import timezone

    from kundportal.audit import chain
    from kundportal.audit.models import Action, AuditEvent
    from kundportal.audit.retention import purge_events
    from kundportal.audit.services import new_event, record_event
    from kundportal.core.bulk import insert_objects

    out: dict[str, Any] = {}
    sealer = []
    for _ in range(5):
        insert_objects(
            AuditEvent, [new_event(Action.LOGIN, actor_label="bench@example.com") for _ in range(1000)]
        )
        started = time.perf_counter()
        assert chain.seal_pending() == 1000
        sealer.append((time.perf_counter() - started) * 1000)
    out["sealer_1000_ms"] = sealer

    def plain() -> None:
        new_event(Action.LOGIN, actor_label="bench@example.com").save(force_insert=True)

    def audited() -> None:  # autocommit: the seal runs right after the insert's commit
        record_event(Action.LOGIN, actor_label="bench@example.com")

    per_op: dict[str, list[float]] = {"plain": [], "audited": []}
    for _ in range(blocks):
        for name, write in (("plain", plain), ("audited", audited)):
            started = time.perf_counter()
            for _ in range(100):
                write()
            per_op[name].append((time.perf_counter() - started) * 1e6 / 100)
    chain.seal_pending()  # the plain inserts
    out["write_us"] = per_op

    before = timezone.now() - datetime.timedelta(days=365)
    wall, cpu = time.perf_counter(), time.process_time()
    result = purge_events(before=before)
    out["purge"] = {
        "deleted": result.deleted,
        "anchor": result.anchor_seq,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
    }
    chain.seal_pending()
    print(json.dumps(out))


# ----------------------------------------------------------------------------------------------------
# Parent
# ----------------------------------------------------------------------------------------------------


def timed_process(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall, CPU and peak RSS of one process (os.wait4: its own rusage, not the summed children)."""
    started = time.perf_counter()
    peak_anon = 0
    done = threading.Event()

    def sample() -> None:  # anonymous memory: SQLite's mmap of the database file counts in RSS too
        nonlocal peak_anon
        while not done.wait(0.02):
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except OSError:
                return
            for line in status.splitlines():
                if line.startswith("RssAnon:"):
                    peak_anon = max(peak_anon, int(line.split()[1]))

    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # Read the pipes first (they could fill), then reap the process ourselves for its rusage.
    out, err = process.stdout.read(), process.stderr.read()  # type: ignore[union-attr]
    done.set()
    sampler.join()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed ({process.returncode}):\n{out[-2000:]}\n{err[-2000:]}")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
        "anon_mib": peak_anon / 1024,
        "out": out.strip(),
    }


def measure_verify(env: dict[str, str], database: Path, runs: int, script: str) -> dict[str, Any]:
    verify = [timed_process([str(KUNDPORTAL), "audit", "verify", "--no-seal"], env) for _ in range(runs)]
    reference = [timed_process([sys.executable, script, "_scan", str(database)], env) for _ in range(runs)]
    for result in verify:
        assert "Audit chain intact" in result["out"], result["out"]
    return {"verify": verify, "reference": reference}


def median(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in results)


def report(
    args: argparse.Namespace, sizes: list[tuple[int, dict, dict, dict]], costs_: dict, elapsed: float
) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        f"# Kundportal audit chain benchmark, {today}",
        "",
        f"Machine: {machine()}. SQLite (WAL). Load average at the end: "
        f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}.",
        "",
        f"## Verify (`kundportal audit verify --no-seal`, its own process, median of {args.runs})",
        "",
        "| entries | inserted in s | sealed in s (CPU s) | verify wall s | verify CPU s | verify peak RSS MiB "
        "| of it anonymous MiB | reference: read the rows, wall s | ÷ reference | reference RSS MiB | verify runs s |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for entries, inserted, sealed, verified in sizes:
        runs = verified["verify"]
        ref = verified["reference"]
        lines.append(
            f"| {entries:,} | {inserted['insert_s']:.1f} | {sealed['wall']:.1f} ({sealed['cpu']:.1f}) | "
            f"{median(runs, 'wall'):.1f} | {median(runs, 'cpu'):.1f} | {median(runs, 'rss_mib'):.0f} | "
            f"{median(runs, 'anon_mib'):.0f} | "
            f"{median(ref, 'wall'):.1f} | {median(runs, 'wall') / median(ref, 'wall'):.1f} | "
            f"{median(ref, 'rss_mib'):.0f} | {' / '.join(f'{r["wall"]:.1f}' for r in runs)} |"
        )
    plain, audited = costs_["write_us"]["plain"], costs_["write_us"]["audited"]
    purge = costs_["purge"]
    lines += [
        "",
        "The sealing column is for the entries added at that step (the first tenth, then the rest). RSS includes "
        "the pages of the database file SQLite maps (mmap_size 256 MiB, settings); the anonymous part is the "
        "process's own memory.",
        "",
        "## Sealing and the cost of an audited write (in-process, on the full table)",
        "",
        "| what | median | runs |",
        "| --- | ---: | --- |",
        f"| seal 1,000 new entries | {statistics.median(costs_['sealer_1000_ms']):.0f} ms | "
        + " / ".join(f"{v:.0f}" for v in costs_["sealer_1000_ms"])
        + " |",
        f"| before: plain insert of one event (autocommit) | {statistics.median(plain):.0f} µs | "
        f"{len(plain)} blocks of 100 |",
        f"| now: record_event (insert, then the seal after its commit) | {statistics.median(audited):.0f} µs | "
        f"{len(audited)} blocks of 100 |",
        f"| ratio now ÷ before | {statistics.median(audited) / statistics.median(plain):.1f} | |",
        "",
        f"Retention: purging the {purge['deleted']:,} entries older than a year (checked on their way out, "
        f"anchored at #{purge['anchor']:,}) took {purge['wall']:.1f} s (CPU {purge['cpu']:.1f} s); "
        f"verify from the anchor afterwards: {costs_['after_purge']['wall']:.1f} s, "
        f"{costs_['after_purge']['rss_mib']:.0f} MiB RSS ({costs_['after_purge']['anon_mib']:.0f} MiB anonymous).",
        "",
        f"Whole script: {elapsed:.0f} s.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        mode, rest = sys.argv[1], [int(v) if v.isdigit() else v for v in sys.argv[2:]]
        {"_generate": generate, "_seal": seal, "_scan": scan, "_costs": costs}[mode](*rest)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="verify runs per size")
    parser.add_argument("--blocks", type=int, default=10, help="blocks of 100 writes for the write cost")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="kundportal-audit-"))
    data = work / "data"
    data.mkdir(mode=0o700)
    env = clean_env(data)
    database = data / "kundportal.sqlite3"
    script = str(Path(__file__).resolve())

    def child(*arguments: object) -> dict[str, Any]:
        return run_json([sys.executable, script, *map(str, arguments)], env, str(arguments[0]))

    try:
        print(f"data dir {data}: migrate ...", file=sys.stderr)
        run([str(KUNDPORTAL), "migrate"], env, "migrate")
        sizes = []
        done = 0
        for target in (args.entries // 10, args.entries):
            print(f"generate up to {target:,} ...", file=sys.stderr)
            inserted = child("_generate", done, target - done, args.entries)
            print("seal ...", file=sys.stderr)
            sealed = child("_seal")
            assert sealed["sealed"] == target - done, sealed
            print("verify ...", file=sys.stderr)
            sizes.append((target, inserted, sealed, measure_verify(env, database, args.runs, script)))
            done = target
        print("sealer, write cost, purge ...", file=sys.stderr)
        costs_ = child("_costs", args.blocks)
        costs_["after_purge"] = timed_process([str(KUNDPORTAL), "audit", "verify", "--no-seal"], env)
        assert "Audit chain intact" in costs_["after_purge"]["out"], costs_["after_purge"]["out"]
        write_report("audit", report(args, sizes, costs_, time.monotonic() - began))
    finally:
        finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
