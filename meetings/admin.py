"""Meetings in the Django admin (site admins): read only. Meetings, action items and reminders change only through
meetings/services.py, which check the rules, plan the reminders and write the audit trail; here a site admin looks
things up (a reminder's claim and error when mail did not go out, above all). Minutes are not shown: a case
review's are for its invitees only, reached through the access-checked pages."""

from django.contrib import admin

from cases.admin import ReadOnlyAdmin
from partners.admin import URL_HTTPS

from .models import ActionItem, Invitee, Meeting, MeetingPartner, MeetingSeries, Reminder, ReminderSettings


class _InviteeInline(admin.TabularInline):
    model = Invitee
    fields = ["user", "invited_personally", "via_partner", "attendance"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "via_partner")


class _PartnerInline(_InviteeInline):
    model = MeetingPartner
    fields = ["partner", "attendance"]
    readonly_fields = fields

    def get_queryset(self, request):
        return admin.TabularInline.get_queryset(self, request).select_related("partner")


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ["title", "task_force", "kind", "start", "status", "series"]
    list_filter = ["task_force", "kind", "status"]
    list_select_related = ["task_force", "series"]
    search_fields = ["title"]
    date_hierarchy = "start"
    exclude = ["minutes", "partners"]
    formfield_overrides = URL_HTTPS
    inlines = [_PartnerInline, _InviteeInline]


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(ReadOnlyAdmin):
    list_display = ["title", "task_force", "kind", "rrule", "first_start", "planned_until", "ended_at"]
    list_filter = ["task_force", "kind"]
    list_select_related = ["task_force"]
    search_fields = ["title"]
    exclude = ["partners", "users"]
    formfield_overrides = URL_HTTPS


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ["text", "task_force", "owner", "due_date", "status"]
    list_filter = ["task_force", "status"]
    list_select_related = ["task_force", "owner"]
    search_fields = ["owner__email"]
    raw_id_fields = ["meeting"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["kind", "user", "task_force", "send_at", "sent_at", "cancelled_at", "attempts", "last_error"]
    list_filter = ["task_force", "kind"]
    list_select_related = ["user", "task_force"]
    search_fields = ["user__email"]
    date_hierarchy = "send_at"
    raw_id_fields = ["meeting", "action_item"]


@admin.register(ReminderSettings)
class ReminderSettingsAdmin(ReadOnlyAdmin):
    list_display = ["task_force", "meeting_hours", "action_due_days", "action_overdue", "action_hour"]
    list_select_related = ["task_force"]
