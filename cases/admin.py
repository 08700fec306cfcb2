"""The cases in the Django admin (site admins): read-mostly. Referrals, people and consents change only through
the services (cases/lifecycle.py, people.py, consent.py), which check the rules and write the audit trail; here a
site admin looks things up. Only the coded reason lists are edited here. Note bodies and stored files are not
shown: they are the partners' confidential work, reached only through the access-checked views."""

from django.contrib import admin

from psn import audit
from psn.admin_audit import AuditedModelAdmin

from .models import Attachment, Consent, Note, Notification, Person, ReasonCode, Referral, Transition


class ReadOnlyAdmin(AuditedModelAdmin):
    """View only; opening a record about a person is itself recorded (who viewed what)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Here rather than in change_view: the page's URL stays Django's own view (the access matrix declares
        # every URL whose view is ours), and this runs only when the record is actually shown.
        if obj is not None:
            audit.record(action="viewed", obj=obj, task_force=getattr(obj, "task_force", None), request=request)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


@admin.register(ReasonCode)
class ReasonCodeAdmin(AuditedModelAdmin):
    list_display = ["label", "code", "kind", "task_force", "needs_text", "position", "active"]
    list_filter = ["task_force", "kind", "active"]
    list_select_related = ["task_force"]
    search_fields = ["label", "code"]

    def get_readonly_fields(self, request, obj=None):
        # Codes are stable: transitions and reports refer to them.
        return ["task_force", "kind", "code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["family_name", "given_name", "task_force", "date_of_birth", "neighborhood", "merged_into"]
    list_filter = ["task_force"]
    list_select_related = ["task_force", "merged_into"]
    search_fields = ["family_name", "given_name", "search_text"]
    readonly_fields = ["phone_digits", "search_text", "created_by", "created_at", "merged_into", "merged_at"]


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin):
    list_display = ["person", "task_force", "scope", "method", "given_on", "expires_on", "revoked_at"]
    list_filter = ["task_force", "scope", "method"]
    list_select_related = ["task_force", "person"]
    search_fields = ["person__family_name", "person__given_name"]
    exclude = ["file"]
    readonly_fields = ["recorded_by", "recorded_by_partner", "recorded_at", "revoked_at", "revoked_by"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "task_force",
        "status",
        "priority",
        "sending_partner",
        "receiving_partner",
        "created_at",
    ]
    list_filter = ["task_force", "status", "priority"]
    list_select_related = ["task_force", "sending_partner", "receiving_partner"]
    search_fields = ["reference"]
    readonly_fields = [
        "task_force",
        "reference",
        "transferred_from",
        "created_by",
        "created_at",
        "submitted_at",
        "acknowledge_by",
        "acknowledged_at",
        "overdue_at",
        "first_contact_at",
        "closed_at",
        "close_reason",
    ]


@admin.register(Transition)
class TransitionAdmin(ReadOnlyAdmin):
    list_display = ["referral", "from_status", "to_status", "actor", "actor_partner", "at"]
    list_filter = ["task_force", "to_status"]
    list_select_related = ["referral", "actor", "actor_partner"]
    search_fields = ["referral__reference"]


@admin.register(Note)
class NoteAdmin(ReadOnlyAdmin):
    list_display = ["referral", "author_partner", "visibility", "is_contact", "created_at"]
    list_filter = ["task_force", "visibility"]
    list_select_related = ["referral", "author_partner"]
    search_fields = ["referral__reference"]
    exclude = ["body"]


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["original_name", "referral", "uploaded_by_partner", "content_type", "size", "created_at"]
    list_filter = ["task_force", "content_type"]
    list_select_related = ["referral", "uploaded_by_partner"]
    search_fields = ["referral__reference", "original_name"]
    exclude = ["file"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["user", "kind", "referral", "task_force", "created_at", "read_at"]
    list_filter = ["task_force", "kind"]
    list_select_related = ["user", "referral", "task_force"]
    search_fields = ["user__email", "message"]
