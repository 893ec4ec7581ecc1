"""The REST API under /api/v1/: every app mounts its router here. Bearer tokens or the browser session."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import HttpBearer, SessionAuth

from kundportal.accounts.api import router as accounts_router
from kundportal.accounts.services import authenticate_api_token
from kundportal.organisations.api import router as organisations_router
from kundportal.organisations.models import InvitationNotUsable


class BearerToken(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_api_token(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """The logged-in browser (the interactive docs); CSRF applies to writes."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        return user if user and user.is_active else None


def staff_only_docs(view: Any) -> Any:
    from kundportal.organisations.access import require_provider_staff

    @login_required
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        require_provider_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapped


api = NinjaAPI(
    title="Kundportal API",
    version="1",
    description="Customer portal API. Authenticate with `Authorization: Bearer <token>`. Ids are UUIDs; "
    "objects that do not exist and objects you may not see both answer 404.",
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs_decorator=staff_only_docs,
)
api.add_router("/", accounts_router)
api.add_router("/", organisations_router)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "You may not do this."}, status=403)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": "Invalid input.", "errors": errors}, status=422)


@api.exception_handler(InvitationNotUsable)
def on_invitation_unusable(request: HttpRequest, exc: InvitationNotUsable) -> HttpResponse:
    return api.create_response(request, {"detail": "The invitation was used, withdrawn or has expired."}, status=410)
