"""RFM scoring: every customer who bought anything gets three scores from 1 to 5 and a segment, written into
commerce.PurchaseSummary; customers without purchases get none (blank segment, no scores).

- Recency from the last purchase (5 = most recent), frequency from the number of orders, monetary from the
  revenue. Cancelled orders do not count (commerce.stats leaves them out of these figures).
- Amounts are never converted between currencies: each customer's revenue is ranked among the customers with
  the same main currency, the one they placed most orders in (ties: the first currency code in alphabetical
  order, so that a run is repeatable).
- Quintiles by percentile rank: a customer's rank is the share of customers with a lower value plus half the
  share with the same value, and the score is 1 + floor(5 * rank). Equal values always share a score (however
  many customers bought exactly once, they are one group), the five scores are equally wide, and a lone
  customer, or a group of identical ones, sits in the middle (3): with nobody to compare with, nothing is
  high or low.

The whole run reads two tables once, ranks in memory, and writes only the rows whose scores changed, those
with the same new scores in one statement per BATCH rows, each its own short transaction (orders written
meanwhile wait milliseconds, not seconds); every scored row's `scored_at` is then set in one statement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import batched, groupby
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kundportal.commerce.models import PurchaseSummary, PurchaseTotal
from kundportal.insights.segments import segment_for

BATCH = 500

# Reports (rows written, rows to write) while the scores are written.
ProgressCallback = Callable[[int, int], None]


def quintile_scores[K: Hashable](values: Mapping[K, Any]) -> dict[K, int]:
    """Each key's quintile score 1-5 by the percentile rank of its value (higher value, higher score); equal
    values share their score. Values must be mutually comparable (numbers, dates)."""
    ordered = sorted(values.items(), key=lambda item: item[1])
    total = len(ordered)
    scores: dict[K, int] = {}
    below = 0
    for _value, group in groupby(ordered, key=lambda item: item[1]):
        keys = [key for key, _ in group]
        # 1 + floor(5 * (below + same / 2) / total), in whole numbers: no rounding at the boundaries.
        score = min(5, 1 + (5 * (2 * below + len(keys))) // (2 * total))
        scores.update(dict.fromkeys(keys, score))
        below += len(keys)
    return scores


def main_currencies(totals: list[tuple[UUID, str, int, Decimal]]) -> dict[UUID, tuple[str, Decimal]]:
    """Each organisation's main currency (most orders; ties to the first code) and its revenue in it."""
    chosen: dict[UUID, tuple[int, str, Decimal]] = {}
    for organisation_id, currency, count, revenue in totals:
        best = chosen.get(organisation_id)
        if best is None or count > best[0] or (count == best[0] and currency < best[1]):
            chosen[organisation_id] = (count, currency, revenue)
    return {key: (currency, revenue) for key, (_count, currency, revenue) in chosen.items()}


@dataclass(frozen=True)
class Scores:
    recency: int
    frequency: int
    monetary: int | None
    segment: str


def score(
    summaries: Mapping[UUID, tuple[int, datetime]], totals: list[tuple[UUID, str, int, Decimal]]
) -> dict[UUID, Scores]:
    """The scores of the customers in `summaries` (organisation → (order count, last purchase)) with their
    revenue per currency in `totals` (organisation, currency, order count, revenue)."""
    recency = quintile_scores({key: last for key, (_count, last) in summaries.items()})
    frequency = quintile_scores({key: count for key, (count, _last) in summaries.items()})
    by_currency: dict[str, dict[UUID, Decimal]] = defaultdict(dict)
    for organisation_id, (currency, revenue) in main_currencies(totals).items():
        if organisation_id in summaries:
            by_currency[currency][organisation_id] = revenue
    monetary: dict[UUID, int] = {}
    for revenues in by_currency.values():
        monetary.update(quintile_scores(revenues))
    return {
        key: Scores(
            recency=recency[key],
            frequency=frequency[key],
            monetary=monetary.get(key),
            segment=segment_for(recency[key], frequency[key]).value,
        )
        for key in summaries
    }


@dataclass(frozen=True)
class ScoringResult:
    scored: int  # customers with purchases
    changed: int  # of them, rows whose scores changed
    cleared: int  # customers without purchases whose old scores were removed
    scored_at: datetime


def score_customers(*, progress: ProgressCallback | None = None) -> ScoringResult:
    """Score every customer with purchases and clear the scores of those without (see the module docstring)."""
    now = timezone.now()
    rows = PurchaseSummary.objects.filter(order_count__gt=0).values_list(
        "organisation_id",
        "order_count",
        "last_purchase",
        "recency_score",
        "frequency_score",
        "monetary_score",
        "segment",
    )
    summaries: dict[UUID, tuple[int, datetime]] = {}
    current: dict[UUID, tuple[int | None, int | None, int | None, str]] = {}
    for organisation_id, count, last, recency, frequency, monetary, segment in rows:
        if last is None:  # cannot happen with orders; never score what cannot be ranked
            continue
        summaries[organisation_id] = (count, last)
        current[organisation_id] = (recency, frequency, monetary, segment)
    totals = list(
        PurchaseTotal.objects.filter(order_count__gt=0).values_list(
            "organisation_id", "currency", "order_count", "revenue"
        )
    )
    scores = score(summaries, totals)
    # Rows with the same new scores are written together: a few hundred UPDATE ... WHERE pk IN (...) statements
    # at most (5 * 5 * 5 score combinations), where bulk_update would build a CASE of 10,000 branches per field
    # (5 s for 10,000 customers, nearly all of it in Python).
    groups: dict[tuple[int, int, int | None, str], list[UUID]] = defaultdict(list)
    for key, new in scores.items():
        values = (new.recency, new.frequency, new.monetary, new.segment)
        if current[key] != values:
            groups[values].append(key)
    changed = sum(len(keys) for keys in groups.values())
    written = 0
    for (recency, frequency, monetary, segment), keys in sorted(groups.items(), key=_group_order):
        for batch in batched(keys, BATCH):
            with transaction.atomic():
                PurchaseSummary.objects.filter(pk__in=batch).update(
                    recency_score=recency, frequency_score=frequency, monetary_score=monetary, segment=segment
                )
            written += len(batch)
            if progress:
                progress(written, changed)
    # Scored now, changed or not; rows that lost their purchases meanwhile are cleared below.
    PurchaseSummary.objects.filter(order_count__gt=0, recency_score__isnull=False).update(scored_at=now)
    cleared = (
        PurchaseSummary.objects.filter(order_count=0)
        .filter(
            ~Q(segment="")
            | Q(recency_score__isnull=False)
            | Q(frequency_score__isnull=False)
            | Q(monetary_score__isnull=False)
            | Q(scored_at__isnull=False)
        )
        .update(recency_score=None, frequency_score=None, monetary_score=None, segment="", scored_at=None)
    )
    return ScoringResult(scored=len(scores), changed=changed, cleared=cleared, scored_at=now)


def _group_order(item: tuple[tuple[int, int, int | None, str], list[UUID]]) -> tuple[int, int, int, str]:
    (recency, frequency, monetary, segment), _keys = item
    return recency, frequency, monetary or 0, segment
