"""Conversation pages (messaging.views)."""

from __future__ import annotations

from django.urls import path

from kundportal.messaging import views

urlpatterns = [
    path("messages/", views.thread_list, name="thread_list"),
    path("messages/new/", views.thread_create, name="thread_create"),
    path("messages/<uuid:thread_id>/", views.thread_detail, name="thread_detail"),
    path("messages/<uuid:thread_id>/reply/", views.thread_reply, name="thread_reply"),
    path("messages/<uuid:thread_id>/note/", views.thread_note, name="thread_note"),
    path("messages/<uuid:thread_id>/close/", views.thread_close, name="thread_close"),
    path("messages/<uuid:thread_id>/reopen/", views.thread_reopen, name="thread_reopen"),
    path("messages/<uuid:thread_id>/export.txt", views.thread_export, name="thread_export"),
]
