"""Conversation pages (messaging.views)."""

from __future__ import annotations

from django.urls import path

from kundportal.messaging import views

urlpatterns = [
    path("messages/", views.thread_list, name="thread_list"),
]
