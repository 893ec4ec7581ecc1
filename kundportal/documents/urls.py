from __future__ import annotations

from django.urls import path

from kundportal.documents import views

# `folder_upload` is also how documents.uploads.EncryptingUploadHandler recognises the page's upload route.
urlpatterns = [
    path("documents/", views.documents_home, name="documents_home"),
    path(
        "organisations/<uuid:organisation_id>/documents/",
        views.organisation_documents,
        name="organisation_documents",
    ),
    path("organisations/<uuid:organisation_id>/trash/", views.organisation_trash, name="organisation_trash"),
    path("folders/<uuid:folder_id>/", views.folder_detail, name="folder_detail"),
    path("folders/<uuid:folder_id>/upload/", views.folder_upload, name="folder_upload"),
    path("documents/<uuid:document_id>/", views.document_detail, name="document_detail"),
    path("documents/<uuid:document_id>/download/", views.document_download, name="document_download"),
    path("documents/<uuid:document_id>/trash/", views.document_trash, name="document_trash"),
    path("documents/<uuid:document_id>/restore/", views.document_restore, name="document_restore"),
    path(
        "documents/<uuid:document_id>/versions/<int:number>/download/",
        views.version_download,
        name="version_download",
    ),
    path(
        "documents/<uuid:document_id>/versions/<int:number>/restore/",
        views.version_restore,
        name="version_restore",
    ),
    path(
        "documents/<uuid:document_id>/versions/<int:number>/label/",
        views.version_label,
        name="version_label",
    ),
]
