from __future__ import annotations

from django.urls import URLPattern, path

from kundportal.customers import views

urlpatterns: list[URLPattern] = [
    path("data/", views.customer_data_home, name="customer_data_home"),
    path("organisations/<uuid:organisation_id>/data/", views.customer_data, name="customer_data"),
    path(
        "organisations/<uuid:organisation_id>/data/profile/", views.profile_edit, name="customer_profile_edit"
    ),
    path(
        "organisations/<uuid:organisation_id>/data/changes/", views.customer_changes, name="customer_changes"
    ),
    path(
        "organisations/<uuid:organisation_id>/data/addresses/new/",
        views.address_create,
        name="address_create",
    ),
    path("addresses/<uuid:address_id>/", views.address_edit, name="address_edit"),
    path("addresses/<uuid:address_id>/default/", views.address_default, name="address_default"),
    path("addresses/<uuid:address_id>/delete/", views.address_delete, name="address_delete"),
    path(
        "organisations/<uuid:organisation_id>/data/payment-methods/new/",
        views.payment_method_create,
        name="payment_method_create",
    ),
    path(
        "payment-methods/<uuid:payment_method_id>/default/",
        views.payment_method_default,
        name="payment_method_default",
    ),
    path(
        "payment-methods/<uuid:payment_method_id>/delete/",
        views.payment_method_delete,
        name="payment_method_delete",
    ),
    path("change-requests/", views.change_request_list, name="change_requests"),
    path(
        "change-requests/<uuid:change_request_id>/withdraw/",
        views.change_request_withdraw,
        name="change_request_withdraw",
    ),
    path(
        "change-requests/<uuid:change_request_id>/decide/",
        views.change_request_decide,
        name="change_request_decide",
    ),
]
