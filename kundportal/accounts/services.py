from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kundportal.accounts.models import ApiToken, User
from kundportal.audit.models import Action
from kundportal.audit.services import record_event
from kundportal.core.models import PortalSettings


@transaction.atomic
def create_api_token(*, actor: User, name: str, request: HttpRequest | None = None) -> tuple[ApiToken, str]:
    """A new token for `actor`. Returns the row and the token itself, which is never stored or shown again."""
    secret = ApiToken.generate()
    token = ApiToken.objects.create(
        user=actor,
        name=name.strip(),
        token_hash=ApiToken.hash(secret),
        hint=secret[: len(ApiToken.PREFIX) + 4],
    )
    record_event(Action.TOKEN_CREATED, actor=actor, target=token, request=request)
    return token, secret


@transaction.atomic
def revoke_api_token(*, actor: User, token: ApiToken, request: HttpRequest | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(Action.TOKEN_REVOKED, actor=actor, target=token, request=request)


def authenticate_api_token(secret: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not secret.startswith(ApiToken.PREFIX) or len(secret) > 100:
        return None
    token = ApiToken.objects.active().select_related("user").filter(token_hash=ApiToken.hash(secret)).first()
    if token is None or not token.user.is_active:
        return None
    token.touch()
    return token.user


def update_profile(*, actor: User, full_name: str, language: str) -> User:
    actor.full_name = full_name.strip()
    actor.language = language
    actor.save(update_fields=["full_name", "language"])
    return actor


@transaction.atomic
def update_portal_settings(
    *,
    actor: User,
    require_staff_mfa: bool,
    collect_birth_date: bool | None = None,
    request: HttpRequest | None = None,
) -> None:
    """`collect_birth_date` None leaves that setting as it is."""
    if not actor.is_provider_admin:
        raise PermissionDenied
    portal = PortalSettings.load()
    changes: dict[str, bool] = {}
    if portal.require_staff_mfa != require_staff_mfa:
        portal.require_staff_mfa = changes["require_staff_mfa"] = require_staff_mfa
    if collect_birth_date is not None and portal.collect_birth_date != collect_birth_date:
        portal.collect_birth_date = changes["collect_birth_date"] = collect_birth_date
    if changes:
        portal.save()
        record_event(Action.PORTAL_SETTINGS, actor=actor, request=request, **changes)
