"""Recommendations benchmark: the full recompute on the generated data (goal: under 60 s) and `recs evaluate`
(the recommender must beat plain popularity on hit rate @10).

    .venv/bin/python bench/recs.py                 # scale 1 data, 3 recomputes, about 4 minutes on 2 cores
    .venv/bin/python bench/recs.py --scale 0.1     # smaller data for a quick look
    .venv/bin/python bench/recs.py --data-dir DIR  # data generated before (bench/data.py --keep), migrated

What it does:

1. A fresh temporary data dir: `kundportal migrate`, `kundportal demo`, then bench/data.py's generator (10,000
   customers, 1,000 products, 100,000 orders at scale 1), in child processes as bench/imports.py does.
2. In a child process (Django set up against that data dir): the RFM segments (insights.rfm, which the lists
   use), then the full recompute (recommendations.engine.recompute_all, what the task, the staff page and
   `kundportal recs recompute` run) --runs times, wall and CPU time per step; the update of one
   organisation's list (what a saved order queues) for the biggest customer and for 100 others; and
   `recs evaluate` (recommendations.evaluation), which changes nothing.
3. Prints Markdown and writes bench/results/recs-<date>.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from data import BIG_CUSTOMER, prepare
from pages import KUNDPORTAL, clean_env, finish, machine, run, run_json, write_report

GOAL_SECONDS = 60.0


def timed(function: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def measure(runs: int) -> None:
    """Child mode: Django set up against the parent's data dir; prints one JSON line."""
    import django

    django.setup()
    from kundportal.commerce.models import Order, OrderLine, Product, PurchaseSummary
    from kundportal.organisations.models import Organisation
    from kundportal.recommendations import engine, evaluation
    from kundportal.recommendations.models import Recommendation

    out: dict[str, Any] = {
        "data": {
            "organisations": Organisation.objects.count(),
            "products": Product.objects.count(),
            "orders": Order.objects.count(),
            "order_lines": OrderLine.objects.count(),
        }
    }
    try:
        from kundportal.insights.rfm import score_customers
    except (
        ImportError
    ):  # the segments are optional: the lists then go without "popular with customers like you"
        out["segments"] = None
    else:
        _result, wall, cpu = timed(score_customers)
        out["segments"] = {"wall": wall, "cpu": cpu}
    out["segmented"] = PurchaseSummary.objects.exclude(segment="").count()
    out["recomputes"] = []
    for number in range(1, runs + 1):
        result, wall, cpu = timed(engine.recompute_all)
        out["recomputes"].append({"wall": wall, "cpu": cpu, "steps": result.timings})
        out["organisations"], out["with_list"], out["affinities"] = (
            result.organisations,
            result.with_list,
            result.affinities,
        )
        print(f"  recompute {number}: {wall:.1f} s (CPU {cpu:.1f} s)", file=sys.stderr, flush=True)
    reasons: dict[str, int] = {}
    for row in Recommendation.objects.values_list("reason", flat=True).iterator(chunk_size=10_000):
        reasons[row] = reasons.get(row, 0) + 1
    out["reasons"] = reasons
    big = Organisation.objects.get(name=BIG_CUSTOMER).pk
    _n, wall, cpu = timed(lambda: engine.recompute_organisations([big]))
    out["update_big"] = {"wall": wall, "cpu": cpu}
    others = list(Organisation.objects.exclude(pk=big).values_list("pk", flat=True))
    single = []
    for pk in random.Random(20261124).sample(others, min(100, len(others))):
        _n, wall, _cpu = timed(lambda pk=pk: engine.recompute_organisations([pk]))
        single.append(wall)
    out["update_median_ms"] = statistics.median(single) * 1000
    out["update_max_ms"] = max(single) * 1000
    before = Recommendation.objects.order_by("organisation_id", "rank").values_list("product_id", flat=True)
    stored = list(before)
    result, wall, cpu = timed(evaluation.evaluate)
    assert list(before.all()) == stored, "evaluate changed the stored lists"
    out["evaluation"] = {
        "customers": result.customers,
        "training_orders": result.training_orders,
        "table": evaluation.as_table(result),
        "rows": {row.method: row.hit_rate for row in result.rows},
        "wall": wall,
        "cpu": cpu,
    }
    print(json.dumps(out))


def report(facts: dict[str, Any], args: argparse.Namespace, elapsed: float) -> str:
    today = datetime.date.today().isoformat()
    data = facts["data"]
    recomputes = facts["recomputes"]
    wall = statistics.median(r["wall"] for r in recomputes)
    cpu = statistics.median(r["cpu"] for r in recomputes)
    steps = {name: statistics.median(r["steps"][name] for r in recomputes) for name in recomputes[0]["steps"]}
    rows = {
        method: {int(k): rate for k, rate in rates.items()}
        for method, rates in facts["evaluation"]["rows"].items()
    }
    beats = rows["recommender"][10] > rows["popularity baseline"][10]
    segments = facts["segments"]
    lines = [
        f"# Kundportal recommendations benchmark, {today}",
        "",
        f"Machine: {machine()}.",
        f"Data: {data['organisations']:,} organisations, {data['products']:,} products, {data['orders']:,} orders "
        f"with {data['order_lines']:,} lines"
        + (f" (bench/data.py, scale {args.scale:g})" if args.data_dir is None else f" ({args.data_dir})")
        + f". SQLite (WAL). {elapsed:.0f} s in all.",
        "",
        f"## Full recompute (goal: under {GOAL_SECONDS:.0f} s), {len(recomputes)} run(s), medians",
        "",
        f"{facts['with_list']:,} of {facts['organisations']:,} organisations get a list (the others have no "
        f"purchases, interests or segment: they see the bestsellers); {facts['affinities']:,} affinities kept. "
        + (
            f"RFM segments first (insights.rfm, {segments['wall']:.1f} s): {facts['segmented']:,} customers "
            "have one."
            if segments
            else "No RFM segments (insights.rfm not available)."
        ),
        "",
        "| step | wall s |",
        "| --- | ---: |",
        *[f"| {name} | {seconds:.1f} |" for name, seconds in steps.items()],
        f"| **total** ({'within' if wall < GOAL_SECONDS else 'over'} the goal) | **{wall:.1f}** (CPU {cpu:.1f}) |",
        "",
        "Runs: " + " / ".join(f"{r['wall']:.1f} s (CPU {r['cpu']:.1f})" for r in recomputes) + ".",
        "Reasons on the stored lists: "
        + ", ".join(f"{kind} {count:,}" for kind, count in sorted(facts["reasons"].items()))
        + ".",
        f"One organisation's update (a saved order queues it): {facts['update_big']['wall'] * 1000:.0f} ms for "
        f"{BIG_CUSTOMER}, median {facts['update_median_ms']:.0f} ms (max {facts['update_max_ms']:.0f} ms) over "
        "100 others.",
        "",
        "## `kundportal recs evaluate`",
        "",
        f"Last order of each of the {facts['evaluation']['customers']:,} customers with at least two orders held "
        f"out, trained on the other {facts['evaluation']['training_orders']:,}; "
        f"{facts['evaluation']['wall']:.1f} s. The recommender "
        + ("**beats**" if beats else "**does not beat**")
        + " the popularity baseline on hit rate @10.",
        "",
        facts["evaluation"]["table"],
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_measure":
        measure(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="generated data (1 = 10,000 customers)")
    parser.add_argument("--runs", type=int, default=3, help="full recomputes")
    parser.add_argument("--data-dir", type=Path, help="data generated before, instead of a new temporary dir")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    began = time.monotonic()
    work = None
    if args.data_dir:
        data = args.data_dir
    else:
        work = Path(tempfile.mkdtemp(prefix="kundportal-recs-"))
        data = work / "data"
        data.mkdir(mode=0o700)
    env = clean_env(data)
    try:
        if work is not None:
            print(f"data dir {data}: migrate, demo, generate (scale {args.scale:g}) ...", file=sys.stderr)
            counts = prepare(data, args.scale)
            print(
                f"  generated in {sum(counts['timings'].values()):.0f} s: {json.dumps(counts)}",
                file=sys.stderr,
            )
        else:
            run([str(KUNDPORTAL), "migrate", "--noinput", "-v", "0"], env, "migrate")
        print("recompute and evaluate ...", file=sys.stderr)
        script = str(Path(__file__).resolve())
        facts = run_json([sys.executable, script, "_measure", str(args.runs)], env, "measure")
        text = report(facts, args, time.monotonic() - began)
        write_report("recs", text)
    finally:
        finish(work, keep=args.keep)


if __name__ == "__main__":
    main()
