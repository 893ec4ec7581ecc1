"""The back office view of offers: for looking things up. Offers are written, published and ended in the portal
(/offers/manage/), where the rules are checked and every change is audited, so here everything is read-only.
The picture's key material and storage name are never shown."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from kundportal.offers.models import Offer, OfferImage, OfferResponse


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class OfferImageInline(admin.StackedInline):
    model = OfferImage
    fields = ["content_type", "width", "height", "plaintext_size", "alt_text", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Offer)
class OfferAdmin(ReadOnlyAdmin):
    list_display = ["title", "status", "starts_on", "ends_on", "personal", "manager", "reach", "created_at"]
    list_filter = ["status", "personal"]
    search_fields = ["title"]
    inlines = [OfferImageInline]


@admin.register(OfferResponse)
class OfferResponseAdmin(ReadOnlyAdmin):
    list_display = ["offer", "organisation", "user", "seen_at", "dismissed_at", "accepted_at", "handled_at"]
    list_filter = ["accepted_at", "handled_at"]
    search_fields = ["offer__title", "organisation__name", "user__email"]
    list_select_related = ["offer", "organisation", "user"]
