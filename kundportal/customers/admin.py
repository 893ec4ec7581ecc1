"""The back office view of customer data: read-only. Changes go through the portal's pages and API, whose
services validate them and write the change log and the audit trail; an admin form would do neither.
IBANs appear only masked; the encrypted columns and card tokens are not shown at all."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kundportal.customers.models import (
    Address,
    ChangeRecord,
    ChangeRequest,
    CustomerProfile,
    InterestCategory,
    PaymentMethod,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CustomerProfile)
class CustomerProfileAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "external_id", "vat_number", "email", "preferred_language", "updated_at"]
    search_fields = ["organisation__name", "external_id", "vat_number", "email"]
    exclude = ["birth_date_encrypted"]


@admin.register(Address)
class AddressAdmin(ReadOnlyAdmin):
    list_display = [
        "organisation",
        "purpose",
        "is_default",
        "street_address",
        "postal_code",
        "city",
        "country",
    ]
    list_filter = ["purpose", "country"]
    search_fields = ["organisation__name", "street_address", "city"]


@admin.register(PaymentMethod)
class PaymentMethodAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "kind", "masked", "is_default", "created_at"]
    list_filter = ["kind"]
    search_fields = ["organisation__name"]
    fields = [
        "organisation",
        "kind",
        "is_default",
        "masked",
        "account_holder",
        "bic",
        "card_brand",
        "card_last4",
    ]
    readonly_fields = fields


@admin.register(ChangeRecord)
class ChangeRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organisation", "actor_label", "subject", "field", "old_value", "new_value"]
    list_filter = ["subject"]
    search_fields = ["organisation__name", "actor_label", "field"]


@admin.register(ChangeRequest)
class ChangeRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "organisation", "field", "requested_value", "status", "decided_at"]
    list_filter = ["status", "field"]
    search_fields = ["organisation__name", "requested_value"]


@admin.register(InterestCategory)
class InterestCategoryAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_en", "name_sv", "name_de", "active"]
    list_filter = ["active"]
    search_fields = ["slug", "name_en", "name_sv", "name_de"]
