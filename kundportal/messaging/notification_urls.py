"""Notification pages (messaging.notification_views)."""

from __future__ import annotations

from django.urls import path

from kundportal.messaging import notification_views

urlpatterns = [
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path("notifications/badge/", notification_views.notification_badge, name="notification_badge"),
    path("notifications/read/", notification_views.notification_read, name="notification_read"),
    path("notifications/settings/", notification_views.notification_settings, name="notification_settings"),
    path(
        "notifications/<uuid:notification_id>/open/",
        notification_views.notification_open,
        name="notification_open",
    ),
    path("folders/<uuid:folder_id>/watch/", notification_views.folder_watch, name="folder_watch"),
]
