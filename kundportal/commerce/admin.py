"""The back office view of the catalogue and orders: for looking things up. Orders are changed in the portal
(statuses validate, invoices are generated there), so here they are read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kundportal.commerce.models import (
    Order,
    OrderLine,
    OrderStatusChange,
    Product,
    ProductCategory,
    ReorderRequest,
)


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["interest_categories"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "sku", "price", "currency", "active", "one_off", "category"]
    list_filter = ["active", "currency", "category"]
    search_fields = ["name", "sku", "external_id"]
    filter_horizontal = ["interest_categories"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["sku", "description", "quantity", "unit_price", "line_total"]


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ["created_at", "from_status", "to_status", "actor", "note"]
    readonly_fields = ["created_at"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "organisation", "status", "total", "currency", "placed_at", "invoice_number"]
    list_filter = ["status", "currency"]
    search_fields = ["number", "invoice_number", "external_id", "organisation__name"]
    inlines = [OrderLineInline, OrderStatusChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ReorderRequest)
class ReorderRequestAdmin(admin.ModelAdmin):
    list_display = ["order", "organisation", "requested_by", "created_at", "handled_at"]
    readonly_fields = ["order", "organisation", "requested_by", "message", "created_at"]
    raw_id_fields = ["handled_by"]
