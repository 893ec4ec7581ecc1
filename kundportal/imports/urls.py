from __future__ import annotations

from django.urls import URLPattern, path

from kundportal.imports import views

urlpatterns: list[URLPattern] = [
    path("imports/", views.import_start, name="import_start"),
    path("imports/sample/<str:kind>.csv", views.import_sample, name="import_sample"),
    path("imports/<uuid:batch_id>/", views.import_preview, name="import_preview"),
    path("imports/<uuid:batch_id>/apply/", views.import_apply, name="import_apply"),
    path("imports/<uuid:batch_id>/discard/", views.import_discard, name="import_discard"),
    path("imports/<uuid:batch_id>/status/", views.import_status, name="import_status"),
]
