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
    *, actor: User, require_staff_mfa: bool, request: HttpRequest | None = None
) -> None:
    if not actor.is_provider_admin:
        raise PermissionDenied
    portal = PortalSettings.load()
    if portal.require_staff_mfa != require_staff_mfa:
        portal.require_staff_mfa = require_staff_mfa
        portal.save()
        record_event(
            Action.PORTAL_SETTINGS, actor=actor, request=request, require_staff_mfa=require_staff_mfa
        )
