from __future__ import annotations

from django.urls import path

from kundportal.documents import folder_views, template_views, views

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
    path("folders/<uuid:folder_id>/zip/", views.folder_zip, name="folder_zip"),
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
    # Folder structures: provider admins only. Under /staff/, the provider's settings.
    path("staff/folder-templates/", template_views.template_list, name="folder_template_list"),
    path("staff/folder-templates/new/", template_views.template_create, name="folder_template_create"),
    path("staff/folder-templates/apply/", template_views.template_apply, name="folder_template_apply"),
    path(
        "staff/folder-templates/<uuid:template_id>/",
        template_views.template_edit,
        name="folder_template_edit",
    ),
    path(
        "staff/folder-templates/<uuid:template_id>/delete/",
        template_views.template_delete,
        name="folder_template_delete",
    ),
    path(
        "organisations/<uuid:organisation_id>/folders/",
        folder_views.organisation_folders,
        name="organisation_folders",
    ),
    path(
        "organisations/<uuid:organisation_id>/folders/new/", folder_views.folder_create, name="folder_create"
    ),
    path("folders/<uuid:folder_id>/settings/", folder_views.folder_update, name="folder_update"),
]
