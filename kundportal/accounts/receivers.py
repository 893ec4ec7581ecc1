"""Audit records for security events that happen inside Django and allauth, which announce them by signal."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from kundportal.audit.models import Action
from kundportal.audit.services import record_event


@receiver(user_logged_in, dispatch_uid="audit-login")
def on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_event(Action.LOGIN, actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="audit-logout")
def on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(Action.LOGOUT, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # The attempted email is kept (it helps spot credential stuffing); the password never is.
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254]
    record_event(Action.LOGIN_FAILED, request=request, actor_label=attempted)


@receiver(password_changed, dispatch_uid="audit-password-changed")
def on_password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_event(Action.PASSWORD_CHANGED, actor=user, request=request)


@receiver(password_reset, dispatch_uid="audit-password-reset")
def on_password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_event(Action.PASSWORD_RESET, actor=user, request=request, actor_label=user.email)


@receiver(authenticator_added, dispatch_uid="audit-mfa-added")
def on_authenticator_added(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    record_event(Action.MFA_ADDED, actor=user, request=request, kind=authenticator.type)


@receiver(authenticator_removed, dispatch_uid="audit-mfa-removed")
def on_authenticator_removed(
    sender: Any, request: HttpRequest, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    record_event(Action.MFA_REMOVED, actor=user, request=request, kind=authenticator.type)
