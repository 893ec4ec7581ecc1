from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from kundportal.offers import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("offers/", views.offer_list, name="offer_list"),
    path("offers/for/<uuid:organisation_id>/", views.organisation_offers, name="organisation_offers"),
    path("offers/<uuid:offer_id>/", views.offer_detail, name="offer_detail"),
    path("offers/<uuid:offer_id>/image/", views.offer_image, name="offer_image"),
    path("offers/<uuid:offer_id>/accept/", views.offer_accept, name="offer_accept"),
    path("offers/<uuid:offer_id>/dismiss/", views.offer_dismiss, name="offer_dismiss"),
]
