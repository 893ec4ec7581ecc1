from __future__ import annotations

from django.urls import path

from kundportal.commerce import catalogue_views, views

urlpatterns = [
    path("orders/", views.order_list, name="order_list"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:order_id>/invoice/", views.order_invoice, name="order_invoice"),
    path("orders/<uuid:order_id>/invoice/issue/", views.order_issue_invoice, name="order_issue_invoice"),
    path("orders/<uuid:order_id>/status/", views.order_status, name="order_status"),
    path("orders/<uuid:order_id>/reorder/", views.order_reorder, name="order_reorder"),
    path(
        "organisations/<uuid:organisation_id>/orders/", views.organisation_orders, name="organisation_orders"
    ),
    path("organisations/<uuid:organisation_id>/orders/new/", views.order_create, name="order_create"),
    # The provider's catalogue: staff only (provider admins change it).
    path("catalogue/", catalogue_views.product_list, name="product_list"),
    path("catalogue/new/", catalogue_views.product_create, name="product_create"),
    path("catalogue/<uuid:product_id>/", catalogue_views.product_edit, name="product_edit"),
    path(
        "catalogue/<uuid:product_id>/deactivate/",
        catalogue_views.product_deactivate,
        name="product_deactivate",
    ),
    path("catalogue/<uuid:product_id>/activate/", catalogue_views.product_activate, name="product_activate"),
    path("catalogue/categories/", catalogue_views.category_list, name="category_list"),
    path("catalogue/categories/new/", catalogue_views.category_create, name="category_create"),
    path(
        "catalogue/categories/<uuid:product_category_id>/",
        catalogue_views.category_edit,
        name="category_edit",
    ),
]
