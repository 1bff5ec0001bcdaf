"""The audit log of data-rights requests, read-only for staff."""

from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "action", "request_id", "asked_by")
    list_filter = ("kind", "action")
    search_fields = ("request_id",)
    readonly_fields = ("request_id", "kind", "action", "asked_by", "at", "counts", "detail")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff
