from django.urls import URLPattern, URLResolver, path

from kundportal.recommendations import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("recommendations/", views.recommendations_page, name="recommendations_staff"),
    path("recommendations/recompute/", views.recompute, name="recommendations_recompute"),
    path(
        "recommendations/recompute/status/", views.recompute_status, name="recommendations_recompute_status"
    ),
]
