"""Messaging benchmark: a thread page with 1,000 messages and the notification count (issue 6 goals: count under
50 ms, thread page under 100 ms server time, constant queries).

    .venv/bin/python bench/messages.py                 # 3 runs, about 3-4 minutes on 2 cores
    .venv/bin/python bench/messages.py --runs 1 --requests 20

What it does:

1. A fresh temporary data dir: `kundportal migrate`, `kundportal demo`, bench/data.py's generator (scale 0.2 by
   default: 2,000 customers; the demo account manager looks after ~30 % of them), then, in a child process:
   a thread of "Nordbygg AB" with 1,000 messages (Markdown rendered by the portal's own renderer, every 20th
   an internal note), 1,000 more threads over all customers with 3 messages each (200 of Nordbygg's), the
   inboxes of every participant (the customer admin has 60 unread threads), and notifications: 5,000 for the
   customer admin (1,000 unread), 20,000 for the account manager (3,000 unread).
2. Pages, in-process (Django test client, force_login): query count and server time of each row, median of
   the requests after a warm-up; the thread page also with 100 messages (same query count expected).
3. Per run: `kundportal serve --http --workers 1`, logged in through the real form, GET /healthz as the
   reference and the rows, timed round-robin by the client on loopback; median of the run medians.
4. Prints Markdown and writes bench/results/messages-<date>.md. Everything started is stopped on exit.
"""

from __future__ import annotations

import argparse
import datetime
import json
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from data import prepare
from pages import (
    CUSTOMER_ADMIN,
    clean_env,
    finish,
    fmt,
    in_process_facts,
    machine,
    run_json,
    time_served,
    write_report,
)

DEMO_MANAGER = "manager@kundportal.example"
BIG_ORG = "Nordbygg AB"
BIG_THREAD = "Bench: 1,000 messages"
SMALL_THREAD = "Bench: 100 messages"
MESSAGES = 1_000
OTHER_THREADS = 1_000
GOAL = {"count": 50.0, "page": 100.0}

BODIES = [
    "Thanks, we have **received** the drawings. See <https://example.com/spec> for the spec.",
    "Could you check these points?\n\n- the window sizes\n- the *door* height\n- delivery in week 12",
    "The new version is in the folder. Let me know if anything is missing.",
    "Yes, that works for us. We will confirm the order tomorrow.",
]


# ----------------------------------------------------------------------------------------------------
# Child mode 1: the data this benchmark adds to bench/data.py's
# ----------------------------------------------------------------------------------------------------


def setup_data() -> None:
    import random

    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from kundportal.accounts.models import User
    from kundportal.messaging.markup import render_markdown
    from kundportal.messaging.models import Category, Message, Notification, Thread, ThreadInbox
    from kundportal.organisations.models import Membership, Organisation, StaffAssignment

    rng = random.Random(20261124)
    now = timezone.now()
    customer = User.objects.get(email=CUSTOMER_ADMIN)
    manager = User.objects.get(email=DEMO_MANAGER)
    big = Organisation.objects.get(name=BIG_ORG)
    rendered = [render_markdown(body) for body in BODIES]
    with transaction.atomic():
        threads = []
        for subject, count in ((BIG_THREAD, MESSAGES), (SMALL_THREAD, 100)):
            thread = Thread.objects.create(organisation=big, subject=subject, created_by=customer)
            messages = []
            for n in range(count):
                internal = n % 20 == 19
                author = manager if internal or n % 2 else customer
                body = rng.randrange(len(BODIES))
                messages.append(
                    Message(
                        thread=thread,
                        author=author,
                        body=BODIES[body],
                        body_html=rendered[body],
                        internal=internal,
                    )
                )
            Message.objects.bulk_create(messages, batch_size=1000)
            # bulk_create stamps created_at with one clock reading each: spread them over the last weeks.
            for n, message in enumerate(messages):
                message.created_at = now - datetime.timedelta(minutes=30 * (count - n))
            Message.objects.bulk_update(messages, ["created_at"], batch_size=1000)
            Thread.objects.filter(pk=thread.pk).update(last_message_at=now, last_activity_at=now)
            threads.append(thread)
        organisations = list(Organisation.objects.values_list("pk", flat=True))
        homes = [big.pk] * 200 + rng.choices(organisations, k=OTHER_THREADS - 200)
        others = Thread.objects.bulk_create(
            Thread(
                organisation_id=home,
                subject=f"Question {n}: {rng.choice(['delivery', 'invoice', 'drawing', 'offer'])}",
                last_message_at=now - datetime.timedelta(hours=n),
                last_activity_at=now - datetime.timedelta(hours=n),
            )
            for n, home in enumerate(homes)
        )
        Message.objects.bulk_create(
            (
                Message(thread=thread, body=BODIES[k], body_html=rendered[k], author=manager)
                for thread in others
                for k in range(3)
            ),
            batch_size=2000,
        )
        managed = set(StaffAssignment.objects.filter(user=manager).values_list("organisation_id", flat=True))
        members = {}
        for organisation_id, user_id in Membership.objects.values_list("organisation_id", "user_id"):
            members.setdefault(organisation_id, []).append(user_id)
        inboxes = []
        unread_for_customer = 0
        for thread in threads + others:
            for user_id in members.get(thread.organisation_id, []):
                unread = 0
                if user_id == customer.pk and unread_for_customer < 60:
                    unread, unread_for_customer = 3, unread_for_customer + 1
                inboxes.append(ThreadInbox(thread=thread, user_id=user_id, unread=unread))
            if thread.organisation_id in managed:
                inboxes.append(ThreadInbox(thread=thread, user=manager, unread=rng.choice([0, 0, 1])))
        ThreadInbox.objects.bulk_create(inboxes, batch_size=2000)
        notifications = []
        for user, total, unread in ((customer, 5_000, 1_000), (manager, 20_000, 3_000)):
            for n in range(total):
                notifications.append(
                    Notification(
                        recipient=user,
                        organisation=big,
                        category=rng.choice([Category.DOCUMENT, Category.MESSAGE]),
                        params={"document": f"plan-{n}.pdf", "version": 1 + n % 3, "folder": "Drawings"},
                        url="/messages/",
                        read_at=None if n < unread else now,
                    )
                )
        Notification.objects.bulk_create(notifications, batch_size=2000)
    print(
        json.dumps(
            {
                "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
                "threads": Thread.objects.count(),
                "messages": Message.objects.count(),
                "inboxes": ThreadInbox.objects.count(),
                "notifications": Notification.objects.count(),
                "big_thread": str(threads[0].pk),
                "small_thread": str(threads[1].pk),
                "manager_customers": len(managed),
            }
        )
    )


# ----------------------------------------------------------------------------------------------------
# Child mode 2: page facts, in-process
# ----------------------------------------------------------------------------------------------------


def page_cases(extra: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(label, as whom, email, path, goal)."""
    big, small = extra["big_thread"], extra["small_thread"]
    customer, manager = "customer admin", "account manager"
    return [
        ("GET /notifications/badge/", customer, CUSTOMER_ADMIN, "/notifications/badge/", "count"),
        ("GET /notifications/badge/", manager, DEMO_MANAGER, "/notifications/badge/", "count"),
        ("GET /api/v1/notifications/count", customer, CUSTOMER_ADMIN, "/api/v1/notifications/count", "count"),
        ("GET /api/v1/notifications/count", manager, DEMO_MANAGER, "/api/v1/notifications/count", "count"),
        ("thread page, 1,000 messages, last page", customer, CUSTOMER_ADMIN, f"/messages/{big}/", "page"),
        ("thread page, 1,000 messages, last page", manager, DEMO_MANAGER, f"/messages/{big}/", "page"),
        ("thread page, 1,000 messages, page 1", customer, CUSTOMER_ADMIN, f"/messages/{big}/?page=1", "page"),
        ("thread page, 100 messages, last page", customer, CUSTOMER_ADMIN, f"/messages/{small}/", "page"),
        (
            "API messages, 1,000-message thread",
            customer,
            CUSTOMER_ADMIN,
            f"/api/v1/threads/{big}/messages",
            "page",
        ),
        ("GET /messages/", customer, CUSTOMER_ADMIN, "/messages/", "page"),
        ("GET /messages/", manager, DEMO_MANAGER, "/messages/", "page"),
        ("GET /notifications/", manager, DEMO_MANAGER, "/notifications/", "page"),
    ]


def count_queries(extra: dict[str, Any], requests: int) -> None:
    import django

    django.setup()
    results = []
    for label, who, email, path, goal in page_cases(extra):
        facts = in_process_facts(email, path, requests)
        results.append({"label": label, "who": who, "email": email, "path": path, "goal": goal, **facts})
        print(f"  {label} ({who}): {facts['in_process_ms']} ms", file=sys.stderr, flush=True)
    print(json.dumps(results))


# ----------------------------------------------------------------------------------------------------
# Parent
# ----------------------------------------------------------------------------------------------------


def report(
    counts: dict,
    extra: dict,
    queries: list[dict],
    runs: list[list[dict]],
    args: argparse.Namespace,
    elapsed: float,
) -> str:
    lines = [
        f"# Kundportal messaging benchmark, {datetime.date.today().isoformat()}",
        "",
        f"Machine: {machine()}.",
        f"Data (bench/data.py, scale {args.scale:g}): {counts['customers']:,} customers; added: {extra['threads']:,} "
        f"threads, {extra['messages']:,} messages, {extra['inboxes']:,} inbox rows, {extra['notifications']:,} "
        f"notifications; the account manager looks after {extra['manager_customers']:,} customers. SQLite (WAL). "
        f"Load average at the start: {extra['load']}.",
        "",
        f"Goals: notification count under {GOAL['count']:.0f} ms, thread page under {GOAL['page']:.0f} ms, "
        "constant queries.",
        "",
        "In-process: Django test client, median and p95 (and median CPU time) of "
        f"{args.requests} requests after a warm-up, queries of the last. Served: `kundportal serve --http --workers 1`, "
        f"client-measured on loopback, {args.requests} requests per row and run after {args.warmup} warm-up, "
        "interleaved; median of the run medians, and its ratio to GET /healthz in the same runs.",
        "",
        "| page | as | goal ms | queries | SQL ms | in-process ms | in-process p95 | in-process CPU ms | bytes | served median ms | served p95 ms | ÷ /healthz | run medians ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    healthz = [next(r for r in run_ if r["label"] == "GET /healthz") for run_ in runs]
    reference = statistics.median(r["median"] for r in healthz)
    lines.append(
        f"| GET /healthz | reference | — | — | — | — | — | — | — | {fmt(reference)} | "
        f"{fmt(statistics.median(r['p95'] for r in healthz))} | 1.0 | {' / '.join(fmt(r['median']) for r in healthz)} |"
    )
    for q in queries:
        rows = [next(r for r in run_ if r["label"] == q["label"] and r["who"] == q["who"]) for run_ in runs]
        median = statistics.median(r["median"] for r in rows)
        lines.append(
            f"| {q['label']} | {q['who']} | {GOAL[q['goal']]:.0f} | {q['queries']} | {q['sql_ms']:.0f} | "
            f"{fmt(q['in_process_ms'])} | {fmt(q['in_process_p95'])} | {fmt(q['in_process_cpu'])} | {q['bytes']:,} | "
            f"{fmt(median)} | {fmt(statistics.median(r['p95'] for r in rows))} | {median / reference:.1f} | "
            f"{' / '.join(fmt(r['median']) for r in rows)} |"
        )
    lines += ["", f"Whole script: {elapsed:.0f} s.", ""]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        setup_data()
        return
    if len(sys.argv) > 3 and sys.argv[1] == "_queries":
        count_queries(json.loads(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.2, help="generated customers (1 = 10,000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page and run")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="kundportal-messages-"))
    data = work / "data"
    data.mkdir(mode=0o700)
    env = clean_env(data)
    script = str(Path(__file__).resolve())
    try:
        print(f"data dir {data}: migrate, demo, generate (scale {args.scale:g}) ...", file=sys.stderr)
        counts = prepare(data, args.scale)
        extra = run_json([sys.executable, script, "_setup"], env, "setup")
        print(f"  {json.dumps(extra)}", file=sys.stderr)
        print("query counts ...", file=sys.stderr)
        command = [sys.executable, script, "_queries", json.dumps(extra), str(args.requests)]
        queries = run_json(command, env, "queries")
        password = (data / "demo_password").read_text().strip()
        runs = []
        for number in range(1, args.runs + 1):
            print(f"pages, run {number}/{args.runs} ...", file=sys.stderr)
            runs.append(
                time_served(
                    work,
                    env,
                    queries,
                    password,
                    requests=args.requests,
                    warmup=args.warmup,
                    reference_email=CUSTOMER_ADMIN,
                )
            )
        write_report("messages", report(counts, extra, queries, runs, args, time.monotonic() - began))
    finally:
        finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
