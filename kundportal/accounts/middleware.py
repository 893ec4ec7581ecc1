from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

from kundportal.accounts.mfa_policy import mfa_required_for

Handler = Callable[[HttpRequest], HttpResponse]

# Where someone who must still set up a second factor may go: allauth's own pages (MFA setup, logout,
# re-authentication), the language switch, static files and the health checks.
MFA_SETUP_ALLOWED = ("/account/", "/i18n/", "/static/", "/healthz", "/readyz")


class UserLanguageMiddleware:
    """A logged-in user's chosen language wins over the browser's (anonymous visitors get Accept-Language)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.language and user.language != request.LANGUAGE_CODE:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class RequireMfaMiddleware:
    """Sends users whom policy requires to use a second factor to set one up before anything else."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(MFA_SETUP_ALLOWED)
            and mfa_required_for(user)
            and not Authenticator.objects.filter(user=user).exists()
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
