from django.contrib import admin

from kundportal.organisations.models import Invitation, Membership, Organisation, StaffAssignment


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class StaffAssignmentInline(admin.TabularInline):
    model = StaffAssignment
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "require_mfa", "created_at"]
    list_filter = ["kind", "require_mfa"]
    search_fields = ["name"]
    inlines = [MembershipInline, StaffAssignmentInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organisation",
        "role",
        "provider_role",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    search_fields = ["email"]
    readonly_fields = ["token_hash", "invited_by", "accepted_at"]

    def has_add_permission(self, request: object) -> bool:
        return False  # invitations are sent from the portal, which emails the link
