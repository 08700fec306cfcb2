from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Site admins read every task force's trail here; nobody adds, edits or deletes events."""

    list_display = ["at", "actor_email", "task_force", "action", "object_type", "object_id", "object_repr", "ip"]
    list_filter = ["action", "task_force"]
    search_fields = ["actor_email", "object_type", "object_id", "object_repr"]
    date_hierarchy = "at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
