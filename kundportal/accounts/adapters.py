"""allauth, customised through its adapters: no open sign-up, and ended sessions are audited."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from django.http import HttpRequest

from kundportal.audit.models import Action
from kundportal.audit.services import record_event


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People arrive by invitation only (organisations.services.accept_invitation).
        return False


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions: Any) -> None:
        sessions = list(sessions)
        super().end_sessions(sessions)
        request = context.request
        if sessions and request is not None and request.user.is_authenticated:
            record_event(Action.SESSIONS_ENDED, actor=request.user, request=request, count=len(sessions))
