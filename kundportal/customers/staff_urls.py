from __future__ import annotations

from django.urls import URLPattern, path

from kundportal.customers import interest_views, staff_views

urlpatterns: list[URLPattern] = [
    # The provider's customers: list, CSV export and 360° view (staff only).
    path("customers/", staff_views.customer_list, name="customer_list"),
    path("customers/export.csv", staff_views.customer_list_csv, name="customer_list_csv"),
    path("customers/<uuid:organisation_id>/", staff_views.customer_360, name="customer_360"),
    # A customer's interests (their own page; staff see it too).
    path("interests/", interest_views.interests_home, name="interests_home"),
    path(
        "organisations/<uuid:organisation_id>/interests/",
        interest_views.customer_interests,
        name="customer_interests",
    ),
    # Interest categories: provider admins only. Under /staff/, the provider's settings.
    path("staff/interest-categories/", interest_views.interest_categories, name="interest_categories"),
    path(
        "staff/interest-categories/new/",
        interest_views.interest_category_create,
        name="interest_category_create",
    ),
    path(
        "staff/interest-categories/<uuid:category_id>/",
        interest_views.interest_category_edit,
        name="interest_category_edit",
    ),
    path(
        "staff/interest-categories/<uuid:category_id>/active/",
        interest_views.interest_category_active,
        name="interest_category_active",
    ),
]
