from django.contrib import admin

from kundportal.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["email", "full_name", "provider_role", "is_active", "last_login"]
    list_filter = ["provider_role", "is_active"]
    search_fields = ["email", "full_name"]
    fields = ["email", "full_name", "provider_role", "language", "is_active", "last_login", "date_joined"]
    readonly_fields = ["last_login", "date_joined"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "hint", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "name", "hint", "created_at", "last_used_at", "expires_at"]
    search_fields = ["user__email", "name"]

    def has_add_permission(self, request: object) -> bool:
        return False
