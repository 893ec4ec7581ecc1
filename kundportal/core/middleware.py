from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

Handler = Callable[[HttpRequest], HttpResponse]


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set itself."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class SessionLifetimeMiddleware:
    """Ends a session after SESSION_IDLE_SECONDS without a request, and always after SESSION_COOKIE_AGE.

    The last-seen time is written at most once a minute, so an active user does not cost a session write
    on every request, and not for background polls (header X-Background-Poll: 1).
    """

    STARTED = "kp_started"
    SEEN = "kp_seen"

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    @staticmethod
    def background(request: HttpRequest) -> bool:
        """A page polling by itself (the navigation's unread counts, every 20 s) is not the person being
        active: it must not keep an idle session alive. A client sending the header only shortens its own."""
        return request.headers.get("X-Background-Poll") == "1"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.get("_auth_user_id"):
            now = int(time.time())
            started = session.setdefault(self.STARTED, now)
            seen = session.get(self.SEEN, now)
            if now - seen > settings.SESSION_IDLE_SECONDS or now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
            elif (now - seen >= 60 or self.SEEN not in session) and not self.background(request):
                session[self.SEEN] = now
        return self.get_response(request)
