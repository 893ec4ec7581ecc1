"""Import benchmark: how long a 10,000-row CSV import takes (goal: under 10 s), and, on the same generated data,
the purchase-history page and the staff customer list (goal: under 100 ms, a constant number of queries).

    .venv/bin/python bench/imports.py                  # scale 1 data, 3 runs, about 10 minutes on 2 cores
    .venv/bin/python bench/imports.py --scale 0.1      # smaller data for a quick look (imports stay 10,000)
    .venv/bin/python bench/imports.py --no-pages       # imports only
    .venv/bin/python bench/imports.py --pages-only     # pages only (no imports)

What it does (see bench/README.md, "Imports and customer data"):

1. A fresh temporary data dir: `kundportal migrate`, `kundportal demo`, then bench/data.py's generator (10,000
   customers, 1,000 products, 100,000 orders at scale 1), in child processes as bench/pages.py does.
2. Imports, in-process through the same service functions the pages call (imports.services), for each run:
   a new 10,000-row customers file (valid addresses in nine countries), then a 10,000-line orders file
   (~2,900 orders for existing customers and products). Timed separately: the preview (read, validate, keep
   the file encrypted), the apply (validate again, write everything in one transaction, including the new
   customers' folders), and the same file uploaded again (every row "unchanged"). Wall and CPU time: the VM
   is shared, and CPU time (SQLite runs in-process) shows what the import itself costs.
3. Pages, with bench/pages.py's helpers: query counts in-process (Django test client), then `kundportal serve
   --http --workers 1`, logged in through the real form, timed round-robin per run; median of the runs.
4. Prints Markdown and writes bench/results/imports-<date>.md. Everything started is stopped on exit.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from data import BIG_CUSTOMER, COUNTRIES, STREETS, prepare
from pages import (
    FIRST,
    FORM,
    LAST,
    PROVIDER_ADMIN,
    TRADE,
    clean_env,
    finish,
    fmt,
    machine,
    missing_text,
    normalise_sql,
    run_json,
    time_served,
    write_report,
)

ROWS = 10_000
GOAL_SECONDS = 10.0
PAGE_GOAL_MS = 100.0


# ----------------------------------------------------------------------------------------------------
# Child mode 1: imports (Django set up in this process, against the data dir of the parent)
# ----------------------------------------------------------------------------------------------------


def customers_file(rows: int, prefix: str, rng: random.Random) -> bytes:
    """New customers as an ERP exports them: Swedish headers, semicolons, a BOM, every field filled."""
    lines = [
        "\ufeffKundnummer;Företag;Typ;Momsnummer;E-post;Telefon;Språk;Gatuadress;Postnummer;Ort;Region;Land"
    ]
    codes = list(COUNTRIES)
    weights = [COUNTRIES[c][0] for c in codes]
    for n in range(1, rows + 1):
        country = rng.choices(codes, weights)[0]
        _share, _currency, postal, cities, region = COUNTRIES[country]
        private = rng.random() < 0.15
        name = (
            f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            if private
            else f"{rng.choice(LAST)} {rng.choice(TRADE)} {rng.choice(FORM)}"
        )
        city = rng.choice(cities) if country != "US" else "Los Angeles"
        lines.append(
            ";".join(
                [
                    f"{prefix}{n:05d}",
                    name,
                    "privat" if private else "företag",
                    "" if private else f"SE{rng.randint(10**9, 10**10 - 1)}01",
                    f"info{n}@{prefix.lower().strip('-')}.example",
                    f"+46 8 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                    rng.choice(["sv", "de", "en"]),
                    f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                    postal(rng),
                    city,
                    region,
                    country,
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def orders_file(lines: int, prefix: str, rng: random.Random, customers: list[str], skus: list[str]) -> bytes:
    """Order lines as an ERP exports them: English headers, commas, 1-6 lines an order."""
    out = ["order_id,customer_number,order_number,order_date,status,currency,sku,qty,unit_price"]
    n = 0
    order = 0
    while n < lines:
        order += 1
        customer = rng.choice(customers)
        date = (datetime.date.today() - datetime.timedelta(days=rng.randint(1, 700))).isoformat()
        status = rng.choice(["confirmed", "shipped", "delivered", "invoiced", "paid"])
        for sku in rng.sample(skus, min(rng.randint(1, 6), lines - n)):
            price = f"{rng.randint(10, 5000)}.{rng.randint(0, 99):02d}"
            out.append(
                f"{prefix}{order:06d},{customer},{prefix}N{order:06d},{date},{status},SEK,{sku},"
                f"{rng.randint(1, 20)},{price}"
            )
            n += 1
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


def timed(function: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def measure_imports(rows: int, runs: int) -> None:
    import django

    django.setup()
    from kundportal.accounts.models import User
    from kundportal.commerce.models import Product
    from kundportal.customers.models import CustomerProfile
    from kundportal.imports import services
    from kundportal.imports.models import BatchStatus

    admin = User.objects.get(email=PROVIDER_ADMIN)
    rng = random.Random(20261125)
    customers = list(CustomerProfile.objects.exclude(external_id=None).values_list("external_id", flat=True))
    skus = list(Product.objects.filter(currency="SEK").values_list("sku", flat=True))
    results: dict[str, list[dict[str, Any]]] = {"customers": [], "orders": []}
    for number in range(1, runs + 1):
        files = {
            "customers": customers_file(rows, f"BI{number}-", rng),
            "orders": orders_file(rows, f"BO{number}-", rng, customers, skus),
        }
        for kind, data in files.items():
            batch, preview_wall, preview_cpu = timed(
                lambda kind=kind, data=data: services.preview_import(
                    actor=admin, kind=kind, data=data, file_name=f"{kind}.csv"
                )
            )
            assert batch.status == BatchStatus.READY, batch.report["errors"][:5]
            report, apply_wall, apply_cpu = timed(
                lambda batch=batch: services.apply_batch(actor=admin, batch=batch)
            )
            assert report.ok, report.errors[:5]
            again, again_wall, again_cpu = timed(
                lambda kind=kind, data=data: services.preview_import(
                    actor=admin, kind=kind, data=data, file_name=f"{kind}.csv"
                )
            )
            assert again.report["counts"]["unchanged"] == report.created, again.report["counts"]
            results[kind].append(
                {
                    "bytes": len(data),
                    "counts": report.counts,
                    "preview": (preview_wall, preview_cpu),
                    "apply": (apply_wall, apply_cpu),
                    "again": (again_wall, again_cpu),
                }
            )
            print(
                f"  run {number} {kind}: preview {preview_wall:.1f} s, apply {apply_wall:.1f} s, "
                f"again {again_wall:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    print(json.dumps(results))


# ----------------------------------------------------------------------------------------------------
# Child mode 2: page facts and query counts (in-process, Django test client)
# ----------------------------------------------------------------------------------------------------


def page_cases() -> list[tuple[str, str, str, str, list[str]]]:
    """(label, as whom, user's email, path, texts the page must show in this order) for each timed page."""
    from django.db.models import Count

    from kundportal.accounts.models import User
    from kundportal.commerce.models import Order
    from kundportal.customers.models import CustomerInterest
    from kundportal.organisations.models import CustomerRole, Membership, Organisation

    big = Organisation.objects.get(name=BIG_CUSTOMER)
    big_admin = Membership.objects.get(organisation=big, role=CustomerRole.ADMIN).user
    newest = Order.objects.filter(organisation=big).order_by("-placed_at", "-pk").first()
    # A customer with a handful of orders, for the "constant queries" comparison (logged in only in-process).
    small = (
        Organisation.objects.annotate(n=Count("orders")).filter(n__gte=3, n__lte=5).exclude(pk=big.pk).first()
    )
    small_admin, _ = User.objects.get_or_create(email="bench-small@customer.example")
    Membership.objects.get_or_create(
        organisation=small, user=small_admin, defaults={"role": CustomerRole.ADMIN}
    )
    small_newest = Order.objects.filter(organisation=small).order_by("-placed_at", "-pk").first()
    interest = CustomerInterest.objects.values("category_id").annotate(n=Count("pk")).order_by("-n").first()
    customers = Organisation.objects.count()
    return [
        (
            "GET /orders/",
            f"customer admin, {BIG_CUSTOMER} (2,000 orders)",
            big_admin.email,
            "/orders/",
            [newest.number],
        ),
        ("GET /orders/?status=paid", "same, filtered by status", big_admin.email, "/orders/?status=paid", []),
        ("GET /orders/?page=40", "same, page 40", big_admin.email, "/orders/?page=40", []),
        ("GET /orders/", "customer admin, 3-5 orders", small_admin.email, "/orders/", [small_newest.number]),
        ("GET /customers/", f"provider admin, {customers:,} customers", PROVIDER_ADMIN, "/customers/", []),
        (
            "GET /customers/?country=DE&kind=company",
            "same, filtered",
            PROVIDER_ADMIN,
            "/customers/?country=DE&kind=company",
            [],
        ),
        (
            "GET /customers/?interest=…&min_orders=5",
            "same, by interest and order count",
            PROVIDER_ADMIN,
            f"/customers/?interest={interest['category_id']}&min_orders=5",
            [],
        ),
        (
            "GET /customers/?sort=-revenue",
            "same, by revenue",
            PROVIDER_ADMIN,
            "/customers/?sort=-revenue",
            [],
        ),
        (
            "GET /customers/?q=Storkund",
            "same, search, 1 match",
            PROVIDER_ADMIN,
            "/customers/?q=Storkund",
            [BIG_CUSTOMER],
        ),
    ]


def count_queries() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kundportal.accounts.models import User

    cases = page_cases()
    results = []
    for label, who, email, path, texts in cases:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(User.objects.get(email=email))
        first = client.get(path, secure=True)
        assert first.status_code == 200, (path, first.status_code)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, secure=True)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200 and missing_text(response.content.decode(), texts) is None, (
            path,
            texts,
        )
        repeated = Counter(normalise_sql(q["sql"]) for q in captured.captured_queries).most_common(1)
        results.append(
            {
                "label": label,
                "who": who,
                "email": email,
                "path": path,
                "texts": texts,
                "queries": len(captured),
                "most_repeated": repeated[0][1] if repeated else 0,
                "sql_ms": round(sum(float(q["time"]) for q in captured.captured_queries) * 1000, 1),
                "in_process_ms": round(elapsed * 1000, 1),
                "bytes": len(response.content),
            }
        )
    print(json.dumps(results))


# ----------------------------------------------------------------------------------------------------
# Parent
# ----------------------------------------------------------------------------------------------------


def seconds(pair_list: list[tuple[float, float]]) -> str:
    walls = [wall for wall, _cpu in pair_list]
    cpus = [cpu for _wall, cpu in pair_list]
    return f"{statistics.median(walls):.1f} | {statistics.median(cpus):.1f} | " + " / ".join(
        f"{w:.1f}" for w in walls
    )


def report(
    counts: dict,
    imports: dict,
    queries: list[dict],
    page_runs: list[list[dict]],
    args: argparse.Namespace,
    elapsed: float,
) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        f"# Kundportal import benchmark, {today}",
        "",
        f"Machine: {machine()}.",
        f"Data (bench/data.py, scale {args.scale:g}): {counts['customers']:,} customers, {counts['products']:,} products, "
        f"{counts['orders']:,} orders with {counts['order_lines']:,} lines ({BIG_CUSTOMER}: {counts['big_customer_orders']:,}); "
        f"generated in {sum(counts['timings'].values()):.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in counts['timings'].items())}). "
        "SQLite (WAL) in a temporary data dir.",
    ]
    if imports:
        lines += [
            "",
            f"## Imports of {args.rows:,} rows (goal: under {GOAL_SECONDS:.0f} s), {args.runs} run(s), medians",
            "",
            "In-process through imports.services (what the pages and the background task call). *Preview*: read, "
            "validate, keep the file encrypted. *Apply*: validate again and write, one transaction (new customers "
            "get their folders). *Again*: the same file once more, every row unchanged.",
            "",
            "| file | bytes | step | wall s | CPU s | wall per run s |",
            "| --- | ---: | --- | ---: | ---: | --- |",
        ]
    for kind, runs in imports.items():
        counts_line = runs[0]["counts"]
        what = (
            f"{kind}: {counts_line['create']:,} new"
            if kind == "customers"
            else f"orders: {counts_line['rows']:,} lines, {counts_line['create']:,} orders"
        )
        for step in ("preview", "apply", "again"):
            lines.append(f"| {what} | {runs[0]['bytes']:,} | {step} | {seconds([r[step] for r in runs])} |")
        total = [(r["preview"][0] + r["apply"][0], r["preview"][1] + r["apply"][1]) for r in runs]
        lines.append(f"| {what} | | **preview + apply** | {seconds(total)} |")
    if queries:
        lines += [
            "",
            "## Pages (goal: under 100 ms server time, constant queries)",
            "",
            "Queries: Django test client in-process, second request after a warm-up. Time: `kundportal serve --http "
            f"--workers 1`, client-measured on loopback, {args.requests} requests per row and run after {args.warmup} "
            "warm-up, interleaved; median of the run medians.",
            "",
            "| page | as | queries | most repeated | SQL ms | in-process ms | bytes | median ms | p95 ms | run medians ms |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for q in queries:
            timed_rows = [
                next((r for r in runs if r["label"] == q["label"] and r["who"] == q["who"]), None)
                for runs in page_runs
            ]
            timed_rows = [r for r in timed_rows if r]
            if timed_rows:
                median = fmt(statistics.median(r["median"] for r in timed_rows))
                p95_ = fmt(statistics.median(r["p95"] for r in timed_rows))
                each = " / ".join(fmt(r["median"]) for r in timed_rows)
            else:
                median = p95_ = each = "—"
            lines.append(
                f"| {q['label']} | {q['who']} | {q['queries']} | {q['most_repeated']} | {q['sql_ms']:.0f} | "
                f"{fmt(q['in_process_ms'])} | {q['bytes']:,} | {median} | {p95_} | {each} |"
            )
    lines += ["", f"Whole script: {elapsed:.0f} s.", ""]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_imports":
        measure_imports(int(sys.argv[2]), int(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_queries":
        count_queries()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="generated data (1 = 10,000 customers)")
    parser.add_argument("--rows", type=int, default=ROWS, help="rows per import file (default 10,000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page and run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--pages-only", action="store_true", help="time the pages, skip the imports")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.pages_only and args.no_pages:
        parser.error("--pages-only and --no-pages leave nothing to measure")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="kundportal-imports-"))
    data = work / "data"
    data.mkdir(mode=0o700)
    env = clean_env(data)
    script = str(Path(__file__).resolve())
    try:
        print(f"data dir {data}: migrate, demo, generate (scale {args.scale:g}) ...", file=sys.stderr)
        counts = prepare(data, args.scale)
        print(f"  {json.dumps(counts)}", file=sys.stderr)
        queries: list[dict] = []
        page_runs: list[list[dict]] = []
        if not args.no_pages:
            # Pages first, on the generated data alone (the imports add customers and orders).
            print("query counts ...", file=sys.stderr)
            queries = run_json([sys.executable, script, "_queries"], env, "query counts")
            password = (data / "demo_password").read_text().strip()
            for number in range(1, args.runs + 1):
                print(f"pages, run {number}/{args.runs} ...", file=sys.stderr)
                timed = [  # the small customer's rows are in-process only
                    {**case, "expect": case["texts"] or "</html>"}
                    for case in queries
                    if not case["email"].startswith("bench-small")
                ]
                page_runs.append(
                    time_served(work, env, timed, password, requests=args.requests, warmup=args.warmup)
                )
        imports: dict = {}
        if not args.pages_only:
            print("imports ...", file=sys.stderr)
            imports = run_json(
                [sys.executable, script, "_imports", str(args.rows), str(args.runs)], env, "imports"
            )
        text = report(counts, imports, queries, page_runs, args, time.monotonic() - began)
        write_report("imports", text)
    finally:
        finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
