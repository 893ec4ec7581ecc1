"""The insights pages. Each chart's CSV has a route of its own (no converter): the chart names are fixed."""

from django.urls import URLPattern, URLResolver, path

from kundportal.insights import views
from kundportal.insights.dashboard import CHARTS

urlpatterns: list[URLPattern | URLResolver] = [
    path("insights/", views.insights_page, name="insights"),
    path("insights/recompute/", views.insights_recompute, name="insights_recompute"),
    path("insights/status/", views.insights_status, name="insights_status"),
    *(
        path(f"insights/{chart}.csv", views.insights_csv, {"chart": chart}, name="insights_csv")
        for chart in CHARTS
    ),
]
