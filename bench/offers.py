"""Offer targeting preview on the generated data set: how long counting the customers a target matches takes,
and the whole preview staff see on the offer form (matched, in scope, and for a personal target the users
of the matched customers and those who opted in to personalised offers). Goal (issue 5): under 1 s.

    .venv/bin/python bench/offers.py                   # scale 1 (10,000 customers, 100,000 orders), 5 runs
    .venv/bin/python bench/offers.py --scale 0.1 --runs 3
    .venv/bin/python bench/offers.py --data-dir DIR    # a data dir bench/data.py --keep made (reused as is)

On top of bench/data.py's data (generated in a fresh temporary data dir with the demo's logins, so the demo's
account manager looks after ~30 % of the customers) the script adds, in a child process: 1-3 users per
customer with their memberships, a consent to personalised offers from ~35 % of them (a tenth of those
withdrawn again), birth dates for the private customers (encrypted, as the portal stores them), and the RFM
segments (insights.rfm). Then, per target, the median of --runs timings of
`matching_customers(target).count()` and of `services.preview_target(...)`, each against the median of a
plain `Organisation.objects.count()` in the same process (the reference). SQLite in WAL mode, as in the
embedded installation (bench/pages.py's clean_env).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import prepare
from pages import clean_env, machine, run_json

SEED = 20261124


def _timed(function: Any, runs: int) -> tuple[float, Any]:
    """Median milliseconds over `runs` calls (after one warm-up call), and the last result."""
    result = function()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result


def _people(rng: random.Random) -> dict[str, int]:
    """Users, memberships and consents for every customer; birth dates; segments."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from kundportal.accounts.models import User
    from kundportal.core.crypto.fields import encrypt_value
    from kundportal.customers.models import CustomerProfile
    from kundportal.customers.services import _birth_date_aad
    from kundportal.organisations.models import Membership, Organisation, OrganisationKind
    from kundportal.privacy.models import Consent
    from kundportal.privacy.purposes import PERSONALISED_OFFERS

    unusable = make_password(None)
    with transaction.atomic():
        users, memberships = [], []
        for n, organisation in enumerate(Organisation.objects.filter(memberships__isnull=True).only("pk")):
            for m in range(rng.choice([1, 1, 2, 2, 3])):
                user = User(
                    email=f"bench{n}-{m}@customer.example", password=unusable, full_name=f"Bench {n} {m}"
                )
                users.append(user)
                memberships.append(Membership(organisation=organisation, user=user, role="member"))
        User.objects.bulk_create(users, batch_size=2000)
        Membership.objects.bulk_create(memberships, batch_size=2000)
        granted = [user for user in users if rng.random() < 0.35]

        def consent(user: Any, given: bool) -> Consent:
            return Consent(
                user=user,
                purpose=PERSONALISED_OFFERS.key,
                version=PERSONALISED_OFFERS.version,
                granted=given,
                wording=str(PERSONALISED_OFFERS.wording),
                language="en",
                source="page",
            )

        Consent.objects.bulk_create([consent(user, True) for user in granted], batch_size=2000)
        # Later rows (auto_now_add stamps them now): the latest decision of these users is a withdrawal.
        withdrawn = [user for user in granted if rng.random() < 0.1]
        Consent.objects.bulk_create([consent(user, False) for user in withdrawn], batch_size=2000)
    with transaction.atomic():
        profiles = list(
            CustomerProfile.objects.filter(organisation__kind=OrganisationKind.PRIVATE).only(
                "pk", "birth_date_encrypted"
            )
        )
        for profile in profiles:
            year = 2026 - rng.randint(19, 85)
            born = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            profile.birth_date_encrypted = encrypt_value(born, aad=_birth_date_aad(profile))
        CustomerProfile.objects.bulk_update(profiles, ["birth_date_encrypted"], batch_size=1000)
    from kundportal.insights.rfm import score_customers

    score_customers()
    return {
        "users": len(users),
        "consents_granted": len(granted),
        "consents_withdrawn": len(withdrawn),
        "birth_dates": len(profiles),
    }


def _fixed_consenting() -> Any:
    """privacy.services.consenting with its inner OuterRef one level deeper (the shipped one resolves against
    the Consent query around it and matches nobody): used only if the shipped one finds nobody here."""
    from django.db.models import Exists, OuterRef, Subquery

    from kundportal.privacy.models import Consent

    def consenting(purpose: Any, user_ref: Any = "pk") -> Exists:
        ref = OuterRef(user_ref) if isinstance(user_ref, str) else user_ref
        latest = Consent.objects.filter(user=OuterRef(ref), purpose=purpose.key).order_by("-created_at")
        return Exists(
            Consent.objects.filter(
                pk=Subquery(latest.values("pk")[:1]), granted=True, version=purpose.version
            )
        )

    return consenting


def _targets() -> list[tuple[str, Any, bool]]:
    """(label, target, in the account manager's scope)"""
    from kundportal.commerce.models import ProductCategory
    from kundportal.customers.models import InterestCategory
    from kundportal.offers.targeting import Target

    interests = list(InterestCategory.objects.order_by("slug").values_list("pk", flat=True))
    categories = list(ProductCategory.objects.order_by("name").values_list("pk", flat=True))
    bought = tuple(categories[:3])
    return [
        ("every customer", Target(), False),
        ("country SE", Target(countries=("SE",)), False),
        ("companies in DE, AT or CH", Target(countries=("DE", "AT", "CH"), kinds=("company",)), False),
        ("declared interest (2 categories)", Target(declared_interests=tuple(interests[:2])), False),
        ("inferred interest (1 category)", Target(inferred_interests=(interests[2],)), False),
        ("bought from 3 of 30 product categories", Target(purchased_categories=bought), False),
        ("segment Champions or Loyal", Target(segments=("champions", "loyal")), False),
        (
            "last purchase 30-180 days ago, 3+ orders",
            Target(days_since_purchase_min=30, days_since_purchase_max=180, orders_min=3),
            False,
        ),
        ("at most 1 order (none counts)", Target(orders_max=1), False),
        ("age 30-44 (decrypts birth dates)", Target(age_bands=("30-44",)), False),
        (
            "inferred + bought + segment + SE + 2+ orders",
            Target(
                inferred_interests=tuple(interests[:3]),
                purchased_categories=bought,
                segments=("champions", "loyal", "potential"),
                countries=("SE",),
                orders_min=2,
            ),
            False,
        ),
        ("manager's customers: bought from 3 categories", Target(purchased_categories=bought), True),
        (
            "narrow: NO, segment New, age 60+",
            Target(countries=("NO",), segments=("new",), age_bands=("60+",)),
            False,
        ),
    ]


def _measure(runs: int) -> dict[str, Any]:
    import django

    django.setup()
    from kundportal.accounts.models import User
    from kundportal.offers import services
    from kundportal.offers.targeting import matching_customers
    from kundportal.organisations.models import Organisation
    from kundportal.privacy.purposes import PERSONALISED_OFFERS

    rng = random.Random(SEED)
    started = time.perf_counter()
    added = _people(rng)
    added["seconds"] = round(time.perf_counter() - started, 1)
    note = ""
    if not User.objects.filter(services.consenting(PERSONALISED_OFFERS)).exists():
        services.consenting = _fixed_consenting()  # type: ignore[attr-defined]
        note = "privacy.services.consenting() matched nobody: measured with the fixed expression (bench/offers.py)"
    admin = User.objects.filter(provider_role="admin").order_by("email").first()
    manager = User.objects.filter(provider_role="manager").order_by("email").first()
    reference, organisations = _timed(lambda: Organisation.objects.count(), runs)
    rows = []
    for label, target, scoped in _targets():
        manager_id = manager.pk if scoped and manager else None
        count_ms, matched = _timed(
            lambda t=target, m=manager_id: matching_customers(t, manager_id=m).count(), runs
        )
        preview_ms, preview = _timed(
            lambda t=target, m=manager_id: services.preview_target(actor=admin, target=t, manager_id=m), runs
        )
        rows.append(
            {
                "target": label,
                "personal": target.personal,
                "matched": matched,
                "total": preview.total,
                "users": preview.users,
                "consenting": preview.consenting_users,
                "count_ms": round(count_ms, 1),
                "preview_ms": round(preview_ms, 1),
                "preview_ratio": round(preview_ms / reference, 1),
            }
        )
        print(f"  {label}: {preview_ms:.0f} ms", file=sys.stderr, flush=True)
    return {
        "added": added,
        "organisations": organisations,
        "reference_ms": round(reference, 2),
        "rows": rows,
        "note": note,
    }


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"Reference: `Organisation.objects.count()` over {result['organisations']:,} organisations, "
        f"median {result['reference_ms']} ms.",
        "",
        "| target | personal | matched / in scope | users / opted in | count ms | preview ms | preview ÷ reference |",
        "| --- | :-: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["rows"]:
        users = f"{row['users']:,} / {row['consenting']:,}" if row["users"] is not None else "—"
        lines.append(
            f"| {row['target']} | {'yes' if row['personal'] else 'no'} | {row['matched']:,} / {row['total']:,} | "
            f"{users} | {row['count_ms']:.1f} | {row['preview_ms']:.1f} | {row['preview_ratio']:.0f} |"
        )
    if result["note"]:
        lines += ["", result["note"]]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "_measure":
        print(json.dumps(_measure(int(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 10,000 customers, 100,000 orders")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per target (median), default 5")
    parser.add_argument(
        "--data-dir", type=Path, help="a data dir made by bench/data.py --keep (not regenerated)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dir")
    args = parser.parse_args()
    work = None
    if args.data_dir:
        data = args.data_dir
    else:
        work = Path(tempfile.mkdtemp(prefix="kundportal-offers-"))
        data = work / "data"
        data.mkdir(mode=0o700)
    try:
        print(f"data dir {data} ({machine()})", file=sys.stderr)
        if work is not None:
            counts = prepare(data, args.scale)
            print(
                f"  generated {counts['organisations']:,} organisations, {counts['orders']:,} orders",
                file=sys.stderr,
            )
        result = run_json(
            [sys.executable, str(Path(__file__).resolve()), "_measure", str(args.runs)],
            clean_env(data),
            "measure",
        )
        print(f"added {result['added']}", file=sys.stderr)
        print(f"\n{machine()}, {args.runs} runs per row (median), SQLite\n")
        print(_table(result))
    finally:
        if work is not None:
            if args.keep:
                print(f"kept {data}", file=sys.stderr)
            else:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
