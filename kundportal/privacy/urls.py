from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kundportal.privacy import manage_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/consents/<slug:purpose>/", views.change_consent, name="consent_change"),
    path("privacy/exports/", views.export_request, name="privacy_export_request"),
    path("privacy/exports/<str:export_id>/status/", views.export_status, name="privacy_export_status"),
    path("privacy/exports/<str:export_id>/download/", views.export_download, name="privacy_export_download"),
    path("privacy/erase/", views.erase_account, name="privacy_erase_account"),
    path(
        "privacy/organisations/<str:organisation_id>/erase/",
        views.erase_organisation,
        name="privacy_erase_organisation",
    ),
    path("privacy/erased/", views.erased, name="privacy_erased"),
    path("privacy/notice/", views.notice, name="privacy_notice"),
    # The provider's pages (provider admins).
    path("privacy/manage/", manage_views.manage, name="privacy_manage"),
    path(
        "privacy/manage/erasures/<str:record_id>/decide/",
        manage_views.decide_erasure,
        name="privacy_decide_erasure",
    ),
    path(
        "privacy/manage/people/<str:person_id>/export/",
        manage_views.export_on_behalf,
        name="privacy_export_on_behalf",
    ),
    path(
        "privacy/manage/people/<str:person_id>/erase/",
        manage_views.erase_person_on_behalf,
        name="privacy_erase_person",
    ),
    path(
        "privacy/manage/organisations/<str:organisation_id>/erase/",
        manage_views.erase_organisation_on_behalf,
        name="privacy_erase_organisation_on_behalf",
    ),
    path("privacy/records/", manage_views.records, name="privacy_records"),
    path("privacy/notice/edit/", manage_views.notice_edit, name="privacy_notice_edit"),
    path("privacy/purposes/", manage_views.purposes, name="privacy_purposes"),
    path("privacy/purposes/<str:purpose_id>/", manage_views.purpose_edit, name="privacy_purpose_edit"),
    path(
        "privacy/purposes/<str:purpose_id>/delete/",
        manage_views.purpose_delete,
        name="privacy_purpose_delete",
    ),
]
