"""Which figures a member of staff sees, and the stored snapshots behind them.

- A provider admin sees every customer: the provider's snapshot, computed by the task (nightly or on request).
- An account manager sees the customers they look after. With up to LIVE_LIMIT of them the figures are
  computed live (a few dozen milliseconds on the organisation indexes), so an assignment that ends takes its
  customer out of the figures at once. With more, the task stores a snapshot for them too, together with a
  hash of their organisations' ids; it is shown only while the hash still matches their assignments, and
  computed live otherwise. Either way no figure of an organisation they do not look after reaches them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Count
from django.utils import timezone

from kundportal.accounts.models import ProviderRole, User
from kundportal.insights.figures import VERSION, Figures, Scope, compute_figures
from kundportal.insights.models import PROVIDER, InsightSnapshot
from kundportal.organisations.access import is_provider_admin, require_provider_staff
from kundportal.organisations.models import Organisation

# Account managers with more organisations than this get a stored snapshot (bench/insights.py: live figures
# for 200 organisations take about 30 ms, for 3,000 about 150-250 ms on the generated data).
LIVE_LIMIT = 500


def manager_scope(user: Any) -> str:
    return f"manager:{user.pk}"


def organisations_hash(ids: Iterable[UUID]) -> str:
    return hashlib.sha256("\n".join(sorted(str(pk) for pk in ids)).encode()).hexdigest()


@dataclass(frozen=True)
class FiguresForUser:
    figures: Figures | None  # None: the provider's have not been computed yet
    own: bool  # an account manager's own customers rather than every customer
    live: bool  # computed for this request
    duration_ms: int  # how long the computation took


def _stored(scope: str, organisations: str = "") -> InsightSnapshot | None:
    snapshot = InsightSnapshot.objects.filter(scope=scope).first()
    if snapshot is None or snapshot.data.get("version") != VERSION:
        return None
    if snapshot.organisations_hash != organisations:
        return None
    return snapshot


def get_figures_for_user(user: Any) -> FiguresForUser:
    """The figures `user` may see (see the module docstring). Everyone but provider staff: 404."""
    require_provider_staff(user)
    if is_provider_admin(user):
        snapshot = _stored(PROVIDER)
        if snapshot is None:
            return FiguresForUser(figures=None, own=False, live=False, duration_ms=0)
        return FiguresForUser(figures=snapshot.data, own=False, live=False, duration_ms=snapshot.duration_ms)
    ids = list(Organisation.objects.visible_to(user).values_list("pk", flat=True))
    if len(ids) > LIVE_LIMIT:
        snapshot = _stored(manager_scope(user), organisations_hash(ids))
        if snapshot is not None:
            return FiguresForUser(
                figures=snapshot.data, own=True, live=False, duration_ms=snapshot.duration_ms
            )
    started = time.monotonic()
    figures = compute_figures(Scope.for_manager(user, ids))
    duration = round((time.monotonic() - started) * 1000)
    return FiguresForUser(figures=figures, own=True, live=True, duration_ms=duration)


def _store(scope: str, figures: Figures, started: float, organisations: str = "") -> InsightSnapshot:
    snapshot, _created = InsightSnapshot.objects.update_or_create(
        scope=scope,
        defaults={
            "computed_at": datetime.fromisoformat(figures["computed_at"]),
            "duration_ms": round((time.monotonic() - started) * 1000),
            "data": figures,
            "organisations_hash": organisations,
        },
    )
    return snapshot


def store_snapshots(*, started: float | None = None) -> InsightSnapshot:
    """The provider's figures, and those of every account manager above LIVE_LIMIT; snapshots of managers
    who are no longer above it (or no longer managers) are deleted. Returns the provider's. `started`: when
    the whole run began (time.monotonic()), for the provider's duration."""
    now = timezone.now()
    provider = _store(PROVIDER, compute_figures(Scope.provider(), now=now), started or time.monotonic())
    managers = User.objects.filter(provider_role=ProviderRole.ACCOUNT_MANAGER, is_active=True).annotate(
        organisations=Count("staff_assignments")
    )
    kept = [PROVIDER]
    for manager in managers.filter(organisations__gt=LIVE_LIMIT):
        began = time.monotonic()
        ids = list(Organisation.objects.visible_to(manager).values_list("pk", flat=True))
        figures = compute_figures(Scope.for_manager(manager, ids), now=now)
        _store(manager_scope(manager), figures, began, organisations_hash(ids))
        kept.append(manager_scope(manager))
    InsightSnapshot.objects.exclude(scope__in=kept).delete()
    return provider
