"""Notification pages (messaging.notification_views)."""

from __future__ import annotations

from django.urls import path

from kundportal.messaging import notification_views

urlpatterns = [
    path("notifications/", notification_views.notification_list, name="notification_list"),
]
