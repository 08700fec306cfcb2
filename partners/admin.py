from django.contrib import admin

from psn.admin_audit import AuditedModelAdmin

from .models import Membership, Partner, TaskForce


@admin.register(TaskForce)
class TaskForceAdmin(AuditedModelAdmin):
    list_display = ["name", "slug", "district", "timezone", "sla_business_days", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Partner)
class PartnerAdmin(AuditedModelAdmin):
    list_display = ["name", "task_force", "kind", "active"]
    list_filter = ["task_force", "kind", "active"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin):
    list_display = ["user", "partner", "task_force", "role", "active"]
    list_filter = ["task_force", "role", "active"]
    search_fields = ["user__email", "partner__name"]
    autocomplete_fields = ["user", "partner"]

    def save_model(self, request, obj, form, change):
        obj.task_force_id = obj.partner.task_force_id
        super().save_model(request, obj, form, change)
