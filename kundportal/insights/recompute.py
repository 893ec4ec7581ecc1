"""Recomputing the insights: the RFM scores of every customer, then the figures stored as snapshots (the
provider's, and those of account managers of many customers: insights.snapshots). Run by insights.tasks,
nightly and when a provider admin asks for it on the insights page.

How far a run is lives in the cache rather than the database (as imports.progress does): the cache is shared
by the web and the worker processes, and the dashboard polls it while a run is under way. Only one run is
queued at a time: a second request while one is queued or running is refused (it would compute the same).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from kundportal.insights import rfm
from kundportal.insights.models import InsightSnapshot
from kundportal.insights.snapshots import store_snapshots
from kundportal.organisations.access import require_provider_admin

STATUS_KEY = "insights:recompute:v1"
FAILED_KEY = "insights:recompute-failed:v1"
# A run that never reports back (a worker killed mid-run) stops blocking new ones after this.
STATUS_SECONDS = 3600
PHASES = ("waiting", "scoring", "figures")


@dataclass(frozen=True)
class RecomputeStatus:
    phase: str  # one of PHASES
    done: int
    total: int
    since: str  # ISO 8601: when it was queued

    @property
    def step(self) -> int:
        return PHASES.index(self.phase) if self.phase in PHASES else 0

    @property
    def steps(self) -> int:
        return len(PHASES) - 1

    @property
    def percent(self) -> int:
        """How far the whole run is, for a progress bar: the scores take most of it."""
        if self.phase == "scoring":
            return 5 + (75 * self.done // self.total if self.total else 0)
        return 90 if self.phase == "figures" else 0


def recompute_status() -> RecomputeStatus | None:
    """The run queued or under way, if there is one."""
    found = cache.get(STATUS_KEY)
    return RecomputeStatus(**found) if found else None


def last_run_failed() -> bool:
    return bool(cache.get(FAILED_KEY))


def _report(phase: str, done: int = 0, total: int = 0) -> None:
    since = (cache.get(STATUS_KEY) or {}).get("since") or timezone.now().isoformat()
    cache.set(STATUS_KEY, {"phase": phase, "done": done, "total": total, "since": since}, STATUS_SECONDS)


def start_recompute(*, actor: Any) -> bool:
    """Queue a recomputation (provider admins only); False if one is queued or running already."""
    require_provider_admin(actor)
    from kundportal.insights.tasks import recompute_insights_task

    queued = {"phase": "waiting", "done": 0, "total": 0, "since": timezone.now().isoformat()}
    if not cache.add(STATUS_KEY, queued, STATUS_SECONDS):
        return False
    try:
        recompute_insights_task.enqueue()
    except Exception:
        cache.delete(STATUS_KEY)
        raise
    return True


def recompute_insights() -> InsightSnapshot:
    """Score every customer, then compute and store the figures (insights.snapshots); reports its progress
    throughout."""
    started = time.monotonic()
    _report("scoring")
    last = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= 0.3 or done == total:
            last = time.monotonic()
            _report("scoring", done, total)

    try:
        rfm.score_customers(progress=progress)
        _report("figures")
        snapshot = store_snapshots(started=started)
    except Exception:
        cache.set(FAILED_KEY, True, STATUS_SECONDS * 24)
        raise
    finally:
        cache.delete(STATUS_KEY)
    cache.delete(FAILED_KEY)
    return snapshot
