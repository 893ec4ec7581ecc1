from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from kundportal.audit.models import Action, AuditEvent


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (behind a trusted proxy, the proxy sets REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
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
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
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
