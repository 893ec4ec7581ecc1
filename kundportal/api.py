"""The REST API under /api/v1/: every app mounts its router here. Bearer tokens or the browser session."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.security import HttpBearer, SessionAuth

from kundportal.accounts.api import router as accounts_router
from kundportal.accounts.services import authenticate_api_token
from kundportal.commerce.api import router as commerce_router
from kundportal.customers.api import router as customers_router
from kundportal.customers.staff_api import router as customers_staff_router
from kundportal.documents.api import router as documents_router
from kundportal.documents.services import UploadTooLarge
from kundportal.documents.template_api import router as folder_templates_router
from kundportal.imports.api import router as imports_router
from kundportal.insights.api import router as insights_router
from kundportal.messaging.api import router as messaging_router
from kundportal.messaging.notification_api import router as notifications_router
from kundportal.offers.api import router as offers_router
from kundportal.offers.staff_api import router as offers_staff_router
from kundportal.organisations.access import require_provider_staff
from kundportal.organisations.api import router as organisations_router
from kundportal.organisations.models import InvitationNotUsable
from kundportal.privacy.api import router as privacy_router
from kundportal.recommendations.api import router as recommendations_router


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


class StaffOnlySwagger(Swagger):
    """The interactive docs are a staff tool; customers and visitors are not told they exist.

    Only the page is guarded: the OpenAPI document at /api/v1/openapi.json is the public contract that
    integrators and their tools read before (and without) a browser session.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        require_provider_staff(request.user)
        return super().render_page(request, api, **kwargs)


api = NinjaAPI(
    title="Kundportal API",
    version="1",
    description="Customer portal API. Authenticate with `Authorization: Bearer <token>`. Ids are UUIDs; "
    "objects that do not exist and objects you may not see both answer 404.",
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs=StaffOnlySwagger(),
)
api.add_router("/", accounts_router)
api.add_router("/", organisations_router)
api.add_router("/", documents_router)
api.add_router("/", folder_templates_router)
api.add_router("/", customers_router)
api.add_router("/", customers_staff_router)
api.add_router("/", commerce_router)
api.add_router("/", imports_router)
api.add_router("/", privacy_router)
api.add_router("/", offers_router)
api.add_router("/", offers_staff_router)
api.add_router("/", recommendations_router)
api.add_router("/", insights_router)
api.add_router("/", messaging_router)
api.add_router("/", notifications_router)


@api.exception_handler(PermissionDenied)
def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": "You may not do this."}, status=403)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return api.create_response(request, {"detail": "Invalid input.", "errors": errors}, status=422)


@api.exception_handler(InvitationNotUsable)
def on_invitation_unusable(request: HttpRequest, exc: InvitationNotUsable) -> HttpResponse:
    return api.create_response(
        request, {"detail": "The invitation was used, withdrawn or has expired."}, status=410
    )


@api.exception_handler(UploadTooLarge)
def on_upload_too_large(request: HttpRequest, exc: UploadTooLarge) -> HttpResponse:
    limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
    return api.create_response(
        request, {"detail": f"The file is larger than the limit of {limit} MB."}, status=413
    )
