"""The provider's offer pages, under /offers/manage/ (customers' offers are /offers/ and /offers/<uuid>/...)."""

from __future__ import annotations

from django.urls import URLPattern, path

from kundportal.offers import staff_views

urlpatterns: list[URLPattern] = [
    path("offers/manage/", staff_views.offer_list, name="staff_offer_list"),
    path("offers/manage/new/", staff_views.offer_create, name="staff_offer_create"),
    path("offers/manage/preview/", staff_views.offer_preview, name="staff_offer_preview"),
    path("offers/manage/<uuid:offer_id>/", staff_views.offer_detail, name="staff_offer_detail"),
    path("offers/manage/<uuid:offer_id>/edit/", staff_views.offer_edit, name="staff_offer_edit"),
    path("offers/manage/<uuid:offer_id>/image/", staff_views.offer_image, name="staff_offer_image"),
    path("offers/manage/<uuid:offer_id>/publish/", staff_views.offer_publish, name="staff_offer_publish"),
    path("offers/manage/<uuid:offer_id>/end/", staff_views.offer_end, name="staff_offer_end"),
    path(
        "offers/manage/<uuid:offer_id>/duplicate/", staff_views.offer_duplicate, name="staff_offer_duplicate"
    ),
    path(
        "offers/manage/<uuid:offer_id>/acceptances/<uuid:response_id>/handled/",
        staff_views.acceptance_handled,
        name="staff_offer_acceptance_handled",
    ),
]
