"""Insights benchmark: the RFM recompute, the snapshot task and the /insights/ page on the generated data
(goal: dashboard under 150 ms server time at 10,000 customers and 100,000 orders; full recompute in seconds).

    .venv/bin/python bench/insights.py                # scale 1 data, 3 runs, about 6-8 minutes on 2 cores
    .venv/bin/python bench/insights.py --scale 0.1    # a tenth of the data, for a quick look
    .venv/bin/python bench/insights.py --runs 1 --requests 20

What it does:

1. A fresh temporary data dir: `kundportal migrate`, `kundportal demo`, bench/data.py's generator (10,000
   customers, 100,000 orders at scale 1; the demo account manager looks after ~30 % of the customers), then,
   in a child process: an account manager "bench-manager@provider.example" with 200 customers (the demo
   password), 2,000 customer users (members of random customers), ~60,000 audit events over the last 16
   weeks (logins, uploads, downloads), 8 offers (live, ended, draft) with ~6,000 responses.
2. Compute, in-process, per run: the RFM scoring with every score written (scores cleared first) and again
   with nothing changed; the whole task (scores, the provider's figures, the big manager's snapshot); the
   figures alone, for the provider and live for each manager. Wall and CPU time.
3. Pages, in-process (Django test client, force_login): query count and server time of /insights/ for the
   provider admin (snapshot), the 200-customer manager (live), the ~3,000-customer manager (snapshot, and
   live as it would be without one), GET /api/v1/insights and one CSV; median of 30 requests after a warm-up.
4. Per run: `kundportal serve --http --workers 1`, logged in through the real form, GET /healthz as the
   reference and the pages above, timed round-robin by the client on loopback; median of the run medians.
5. Prints Markdown and writes bench/results/insights-<date>.md. Everything started is stopped on exit.
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
    PROVIDER_ADMIN,
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
SMALL_MANAGER = "bench-manager@provider.example"
SMALL_MANAGER_CUSTOMERS = 200
CUSTOMER_USERS = 2_000
EVENTS = 60_000
GOAL_MS = 150.0


# ----------------------------------------------------------------------------------------------------
# Child mode 1: the data this benchmark adds to bench/data.py's
# ----------------------------------------------------------------------------------------------------


def setup_data() -> None:
    import random

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from kundportal.accounts.models import ProviderRole, User
    from kundportal.audit.models import Action, AuditEvent
    from kundportal.offers.models import Offer, OfferResponse, OfferStatus
    from kundportal.organisations.models import CustomerRole, Membership, Organisation, StaffAssignment

    rng = random.Random(20261125)
    now = timezone.now()
    password = (Path(settings.DATA_DIR) / "demo_password").read_text().strip()
    organisations = list(Organisation.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        manager = User.objects.create(
            email=SMALL_MANAGER,
            full_name="Bench Manager",
            provider_role=ProviderRole.ACCOUNT_MANAGER,
            password=make_password(password),
        )
        StaffAssignment.objects.bulk_create(
            StaffAssignment(organisation_id=pk, user=manager)
            for pk in rng.sample(organisations, min(SMALL_MANAGER_CUSTOMERS, len(organisations) // 2))
        )
        unusable = make_password(None)
        users = User.objects.bulk_create(
            User(email=f"bench-user{n}@customer.example", full_name=f"User {n}", password=unusable)
            for n in range(CUSTOMER_USERS)
        )
        homes = rng.choices(organisations, k=CUSTOMER_USERS)
        Membership.objects.bulk_create(
            Membership(organisation_id=home, user=user, role=CustomerRole.MEMBER)
            for user, home in zip(users, homes, strict=True)
        )
        home_of = {user.pk: home for user, home in zip(users, homes, strict=True)}
        kinds = [Action.LOGIN] * 6 + [Action.DOCUMENT_UPLOADED] + [Action.DOCUMENT_DOWNLOADED] * 3
        events = []
        for _ in range(EVENTS):
            user = rng.choice(users)
            action = rng.choice(kinds)
            events.append(
                AuditEvent(
                    at=now - datetime.timedelta(seconds=rng.randint(60, 16 * 7 * 86400)),
                    action=action,
                    actor=user,
                    actor_label=user.email,
                    organisation_id=None if action == Action.LOGIN else home_of[user.pk],
                )
            )
        AuditEvent.objects.bulk_create(events, batch_size=2000)
        today = timezone.localdate()
        offers = []
        for n in range(8):
            status = [OfferStatus.PUBLISHED] * 5 + [OfferStatus.ENDED] * 2 + [OfferStatus.DRAFT]
            offers.append(
                Offer(
                    title=f"Offer {n + 1}: {rng.choice(['Spring', 'Autumn', 'Service', 'Training'])} deal",
                    body="Generated.",
                    status=status[n],
                    starts_on=today - datetime.timedelta(days=10 + 7 * n),
                    ends_on=today + datetime.timedelta(days=20 - 10 * n),
                    ended_at=now - datetime.timedelta(days=5 * n) if status[n] == OfferStatus.ENDED else None,
                    reach=rng.randint(500, 9000),
                )
            )
        Offer.objects.bulk_create(offers)
        responses = []
        for offer in offers:
            for user in rng.sample(users, 750):
                seen = now - datetime.timedelta(days=rng.randint(0, 20))
                roll = rng.random()
                responses.append(
                    OfferResponse(
                        offer=offer,
                        user=user,
                        organisation_id=home_of[user.pk],
                        seen_at=seen,
                        accepted_at=seen if roll < 0.1 else None,
                        dismissed_at=seen if 0.1 <= roll < 0.4 else None,
                    )
                )
        OfferResponse.objects.bulk_create(responses, batch_size=2000)
    big = User.objects.get(email=DEMO_MANAGER)
    print(
        json.dumps(
            {
                "load": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
                "small_manager_customers": StaffAssignment.objects.filter(user=manager).count(),
                "demo_manager_customers": StaffAssignment.objects.filter(user=big).count(),
                "events": len(events),
                "offers": len(offers),
                "responses": len(responses),
            }
        )
    )


# ----------------------------------------------------------------------------------------------------
# Child mode 2: computations and page facts, in-process
# ----------------------------------------------------------------------------------------------------


def timed(function: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def compute(runs: int) -> None:
    import django

    django.setup()
    from kundportal.accounts.models import User
    from kundportal.commerce.models import PurchaseSummary
    from kundportal.insights import rfm
    from kundportal.insights.figures import Scope, compute_figures
    from kundportal.insights.recompute import recompute_insights

    small = User.objects.get(email=SMALL_MANAGER)
    big = User.objects.get(email=DEMO_MANAGER)
    results: dict[str, list[tuple[float, float]]] = {}

    def record(name: str, function: Any) -> Any:
        value, wall, cpu = timed(function)
        results.setdefault(name, []).append((wall, cpu))
        return value

    facts: dict[str, Any] = {}
    for number in range(1, runs + 1):
        PurchaseSummary.objects.update(
            recency_score=None, frequency_score=None, monetary_score=None, segment="", scored_at=None
        )
        cold = record("RFM scoring, every score written", rfm.score_customers)
        warm = record("RFM scoring again, nothing changed", rfm.score_customers)
        facts.update(scored=cold.scored, written=cold.changed, unchanged_written=warm.changed)
        record("the task: scores + provider figures + big manager's snapshot", recompute_insights)
        record("provider figures alone", lambda: compute_figures(Scope.provider()))
        record(
            f"live figures, manager of {SMALL_MANAGER_CUSTOMERS}",
            lambda: compute_figures(Scope.for_manager(small)),
        )
        record("live figures, manager of ~3,000", lambda: compute_figures(Scope.for_manager(big)))
        print(f"  compute run {number} done", file=sys.stderr, flush=True)
    print(json.dumps({"timings": results, "facts": facts}))


def page_cases() -> list[tuple[str, str, str, str]]:
    """(label, as whom, email, path)."""
    return [
        ("GET /insights/", "provider admin (snapshot)", PROVIDER_ADMIN, "/insights/"),
        (
            "GET /insights/",
            f"account manager, {SMALL_MANAGER_CUSTOMERS} customers (live)",
            SMALL_MANAGER,
            "/insights/",
        ),
        ("GET /insights/", "account manager, ~3,000 customers (snapshot)", DEMO_MANAGER, "/insights/"),
        ("GET /insights/?currency=EUR", "provider admin", PROVIDER_ADMIN, "/insights/?currency=EUR"),
        ("GET /api/v1/insights", "provider admin", PROVIDER_ADMIN, "/api/v1/insights"),
        ("GET /insights/revenue.csv", "provider admin", PROVIDER_ADMIN, "/insights/revenue.csv"),
    ]


def count_queries(requests: int) -> None:
    import django

    django.setup()
    from kundportal.insights import snapshots

    cases = [(*case, None) for case in page_cases()]
    # The big manager as they would be without a snapshot (every request computed live).
    cases.insert(
        3, ("GET /insights/", "account manager, ~3,000 customers (live)", DEMO_MANAGER, "/insights/", 10**9)
    )
    results = []
    for label, who, email, path, live_limit in cases:
        saved = snapshots.LIVE_LIMIT
        if live_limit is not None:
            snapshots.LIVE_LIMIT = live_limit
        try:
            facts = in_process_facts(email, path, requests)
        finally:
            snapshots.LIVE_LIMIT = saved
        results.append(
            {"label": label, "who": who, "email": email, "path": path, "timed": live_limit is None, **facts}
        )
        print(f"  {label} ({who}): {facts['in_process_ms']} ms", file=sys.stderr, flush=True)
    print(json.dumps(results))


# ----------------------------------------------------------------------------------------------------
# Parent
# ----------------------------------------------------------------------------------------------------


def seconds(pairs: list[list[float]]) -> str:
    walls = [wall for wall, _cpu in pairs]
    cpus = [cpu for _wall, cpu in pairs]
    return f"{statistics.median(walls):,.0f} | {statistics.median(cpus):,.0f} | " + " / ".join(
        f"{wall:,.0f}" for wall in walls
    )


def report(
    counts: dict,
    extra: dict,
    computed: dict,
    queries: list[dict],
    runs: list[list[dict]],
    args: argparse.Namespace,
    elapsed: float,
) -> str:
    today = datetime.date.today().isoformat()
    facts = computed["facts"]
    lines = [
        f"# Kundportal insights benchmark, {today}",
        "",
        f"Machine: {machine()}.",
        f"Data (bench/data.py, scale {args.scale:g}): {counts['customers']:,} customers, {counts['orders']:,} orders, "
        f"{counts['customer_interests']:,} customer interests; added: {extra['events']:,} audit events, "
        f"{extra['offers']} offers with {extra['responses']:,} responses, account managers of "
        f"{extra['small_manager_customers']:,} and {extra['demo_manager_customers']:,} customers. SQLite (WAL). "
        f"Load average at the start: {extra['load']}.",
        "",
        f"## Computations, {args.runs} run(s), in-process",
        "",
        f"{facts['scored']:,} customers with purchases scored; the first scoring writes {facts['written']:,} rows, "
        f"the second {facts['unchanged_written']:,}.",
        "",
        "| what | wall ms | CPU ms | wall per run ms |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, pairs in computed["timings"].items():
        lines.append(f"| {name} | {seconds(pairs)} |")
    lines += [
        "",
        f"## Pages (goal: under {GOAL_MS:.0f} ms server time, constant queries)",
        "",
        "In-process: Django test client, median and p95 (and median CPU time: SQLite runs in-process) of "
        f"{args.requests} requests after a warm-up, queries of the last. Served: `kundportal serve --http --workers 1`, "
        f"client-measured on loopback, {args.requests} requests per row and run after {args.warmup} warm-up, "
        "interleaved; median of the run medians, and its ratio to GET /healthz in the same runs.",
        "",
        "| page | as | queries | SQL ms | in-process ms | in-process p95 | in-process CPU ms | bytes | served median ms | served p95 ms | ÷ /healthz | run medians ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    healthz = [next(r for r in run_ if r["label"] == "GET /healthz") for run_ in runs]
    reference = statistics.median(r["median"] for r in healthz) if healthz else 0
    if healthz:
        lines.append(
            f"| GET /healthz | reference | — | — | — | — | — | — | {fmt(reference)} | "
            f"{fmt(statistics.median(r['p95'] for r in healthz))} | 1.0 | {' / '.join(fmt(r['median']) for r in healthz)} |"
        )
    for q in queries:
        rows = [
            next((r for r in run_ if r["label"] == q["label"] and r["who"] == q["who"]), None)
            for run_ in runs
        ]
        rows = [r for r in rows if r]
        if rows:
            median = statistics.median(r["median"] for r in rows)
            served = (
                f"{fmt(median)} | {fmt(statistics.median(r['p95'] for r in rows))} | {median / reference:.1f}"
            )
            each = " / ".join(fmt(r["median"]) for r in rows)
        else:
            served, each = "— | — | —", "—"
        lines.append(
            f"| {q['label']} | {q['who']} | {q['queries']} | {q['sql_ms']:.0f} | {fmt(q['in_process_ms'])} | "
            f"{fmt(q['in_process_p95'])} | {fmt(q['in_process_cpu'])} | {q['bytes']:,} | {served} | {each} |"
        )
    lines += ["", f"Whole script: {elapsed:.0f} s.", ""]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        setup_data()
        return
    if len(sys.argv) > 2 and sys.argv[1] == "_compute":
        compute(int(sys.argv[2]))
        return
    if len(sys.argv) > 2 and sys.argv[1] == "_queries":
        count_queries(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="generated data (1 = 10,000 customers)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page and run")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="kundportal-insights-"))
    data = work / "data"
    data.mkdir(mode=0o700)
    env = clean_env(data)
    script = str(Path(__file__).resolve())
    try:
        print(f"data dir {data}: migrate, demo, generate (scale {args.scale:g}) ...", file=sys.stderr)
        counts = prepare(data, args.scale)
        extra = run_json([sys.executable, script, "_setup"], env, "setup")
        print(f"  {json.dumps(extra)}", file=sys.stderr)
        print("computations ...", file=sys.stderr)
        computed = run_json([sys.executable, script, "_compute", str(args.runs)], env, "compute")
        print("query counts ...", file=sys.stderr)
        queries = run_json([sys.executable, script, "_queries", str(args.requests)], env, "queries")
        password = (data / "demo_password").read_text().strip()
        runs = []
        for number in range(1, args.runs + 1):
            print(f"pages, run {number}/{args.runs} ...", file=sys.stderr)
            timed = [case for case in queries if case["timed"]]
            runs.append(
                time_served(
                    work,
                    env,
                    timed,
                    password,
                    requests=args.requests,
                    warmup=args.warmup,
                    reference_email=PROVIDER_ADMIN,
                )
            )
        text = report(counts, extra, computed, queries, runs, args, time.monotonic() - began)
        write_report("insights", text)
    finally:
        finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
