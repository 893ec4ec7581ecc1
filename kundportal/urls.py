from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from kundportal.accounts import views as accounts
from kundportal.api import api
from kundportal.audit import views as audit
from kundportal.core import views as core
from kundportal.core.dashboard import dashboard
from kundportal.organisations import views as organisations

admin.site.site_header = "Kundportal"
admin.site.login = lambda request, extra_context=None: accounts.admin_login(request)  # type: ignore[method-assign]

urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("healthz", core.healthz, name="healthz"),
    path("readyz", core.readyz, name="readyz"),
    path("api/v1/", api.urls),
    path("account/settings/", accounts.account_settings, name="account_settings"),
    path("account/tokens/", accounts.token_create, name="token_create"),
    path("account/tokens/<uuid:token_id>/revoke/", accounts.token_revoke, name="token_revoke"),
    path("account/", include("allauth.urls")),
    path("i18n/setlang/", accounts.set_language, name="set_language"),
    path("staff/", accounts.staff_list, name="staff_list"),
    path("staff/invite/", accounts.staff_invite, name="staff_invite"),
    path("staff/settings/", accounts.portal_settings, name="portal_settings"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("audit/export.csv", audit.audit_csv, name="audit_csv"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    path("audit/status/", audit.audit_chain_status, name="audit_chain_status"),
    path("organisations/", organisations.organisation_list, name="organisation_list"),
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path(
        "organisations/<uuid:organisation_id>/", organisations.organisation_detail, name="organisation_detail"
    ),
    path("organisations/<uuid:organisation_id>/invite/", organisations.invite_member, name="invite_member"),
    path(
        "organisations/<uuid:organisation_id>/settings/",
        organisations.organisation_settings,
        name="organisation_settings",
    ),
    path(
        "organisations/<uuid:organisation_id>/managers/",
        organisations.manage_managers,
        name="manage_managers",
    ),
    path("members/<uuid:membership_id>/role/", organisations.change_role, name="change_role"),
    path("members/<uuid:membership_id>/remove/", organisations.remove_member, name="remove_member"),
    path(
        "invitations/<uuid:invitation_id>/revoke/", organisations.revoke_invitation, name="revoke_invitation"
    ),
    path("invitations/<str:token>/", organisations.accept_invitation, name="invitation_accept"),
    path("", include("kundportal.documents.urls")),
    path("", include("kundportal.customers.urls")),
    path("", include("kundportal.customers.staff_urls")),
    path("", include("kundportal.commerce.urls")),
    path("", include("kundportal.imports.urls")),
    path("", include("kundportal.privacy.urls")),
    path("", include("kundportal.offers.urls")),
    path("", include("kundportal.offers.staff_urls")),
    path("", include("kundportal.recommendations.urls")),
    path("", include("kundportal.insights.urls")),
    path("", include("kundportal.messaging.urls")),
    path("", include("kundportal.messaging.notification_urls")),
    path("admin/", admin.site.urls),
]
