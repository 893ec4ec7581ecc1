from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kundportal.privacy import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/consents/<slug:purpose>/", views.change_consent, name="consent_change"),
]
