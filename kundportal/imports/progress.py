"""How far a running import is, for the progress bar of an import applied in the background.

Kept in the cache rather than the database: the import's own transaction holds the database (on SQLite, its
write lock) until it commits, and the cache (files in the data dir, or Redis) is shared by the web and the
worker processes. Written at most a few times a second.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache

PHASES = ("validating", "writing", "folders")


def _key(batch_id: Any) -> str:
    return f"import-progress:v1:{batch_id}"


class Progress:
    def __init__(self, batch_id: Any = None) -> None:
        self.batch_id = batch_id
        self._last = 0.0

    def set(self, phase: str, done: int, total: int, *, force: bool = False) -> None:
        if self.batch_id is None:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.3 and done < total:
            return
        self._last = now
        cache.set(_key(self.batch_id), {"phase": phase, "done": done, "total": total}, 3600)

    def clear(self) -> None:
        if self.batch_id is not None:
            cache.delete(_key(self.batch_id))


NO_PROGRESS = Progress()


def read_progress(batch_id: Any) -> dict[str, Any]:
    progress = cache.get(_key(batch_id)) or {"phase": "", "done": 0, "total": 0}
    step = PHASES.index(progress["phase"]) + 1 if progress["phase"] in PHASES else 0
    return {**progress, "step": step, "steps": len(PHASES)}
