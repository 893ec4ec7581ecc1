from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from kundportal.audit.models import Action, AuditEvent
from kundportal.core.bulk import insert_objects


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (behind a trusted proxy, the proxy sets REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def new_event(
    action: Action,
    *,
    actor: Any = None,
    organisation: Any = None,
    organisation_id: Any = None,
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
    **data: Any,
) -> AuditEvent:
    """An event not yet saved: `record_event` saves one, `record_events` many at once."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.email if actor else ""),
        organisation_id=organisation_id if organisation is None else organisation.pk,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:254] if target is not None else "",
        ip=client_ip(request),
        data=data,
    )


def record_event(action: Action, **fields: Any) -> AuditEvent:
    event = new_event(action, **fields)
    event.save(force_insert=True)
    return event


def record_events(events: Iterable[AuditEvent]) -> list[AuditEvent]:
    """Many events at once: one action that touches thousands of customers writes one row for each (so each
    customer's own history shows it) in a few statements (core.bulk: an import of 10,000 new customers
    writes 10,000 events)."""
    events = list(events)
    insert_objects(AuditEvent, events)
    return events
