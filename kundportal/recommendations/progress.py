"""Whether a full recompute is queued or running, and how far it is, for the staff page's progress bar.

In the shared cache (files in the data dir, or Redis), as the imports keep theirs: the web and the worker
processes both see it, and nothing of it needs to survive a restart. The "queued" mark keeps a second click
from queueing a second recompute; it expires on its own should the worker never pick the task up.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache

PHASES = ("reading", "affinities", "lists")
KEY = "recommendations:recompute:v1"
# A full recompute takes about a minute on 10,000 customers; after this, a mark is stale (a worker died).
STALE_SECONDS = 3600


def mark_queued() -> bool:
    """False if a recompute is queued or running already."""
    return cache.add(KEY, {"phase": "", "done": 0, "total": 0}, STALE_SECONDS)


class Reporter:
    """Writes the progress at most a few times a second (the engine reports every few products)."""

    def __init__(self) -> None:
        self._last = 0.0
        self._phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if phase == self._phase and now - self._last < 0.3 and done < total:
            return
        self._last, self._phase = now, phase
        cache.set(KEY, {"phase": phase, "done": done, "total": total}, STALE_SECONDS)


def clear() -> None:
    cache.delete(KEY)


def read_progress() -> dict[str, Any]:
    progress = cache.get(KEY)
    if progress is None:
        return {"running": False}
    step = PHASES.index(progress["phase"]) + 1 if progress["phase"] in PHASES else 0
    return {"running": True, **progress, "step": step, "steps": len(PHASES)}
