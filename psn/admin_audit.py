"""Changes a site admin makes in the Django admin go into the audit trail too, not only Django's LogEntry."""

from django.contrib import admin

from partners.models import TaskForce

from . import audit


def _task_force_of(obj):
    if isinstance(obj, TaskForce):
        return obj
    return getattr(obj, "task_force", None)


def _changed_fields(message) -> dict:
    fields = []
    for entry in message if isinstance(message, list) else []:
        fields += entry.get("changed", {}).get("fields", [])
    return {str(name): ["", "changed in the admin"] for name in fields}


class AuditedModelAdmin(admin.ModelAdmin):
    def log_addition(self, request, obj, message):
        audit.record(action="created", obj=obj, task_force=_task_force_of(obj), request=request)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        audit.record(
            action="changed", obj=obj, task_force=_task_force_of(obj), changes=_changed_fields(message), request=request
        )
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        for obj in queryset:
            audit.record(action="deleted", obj=obj, task_force=_task_force_of(obj), request=request)
        return super().log_deletions(request, queryset)
