"""Reads of the audit trail, scoped through psn.access."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.db.models.functions import Cast
from django.db.models import CharField

from partners.models import Membership

from . import access
from .models import AuditEvent


def audit_event_list_for(*, actor: access.Actor) -> QuerySet[AuditEvent]:
    """A coordinator's trail: their task force's events, plus the sign-in events (which belong to no task
    force) of the people who are members there. A site admin sees every event from the Django admin."""
    if not access.can_view_audit(actor):
        return AuditEvent.objects.none()
    members = Membership.objects.filter(task_force=actor.task_force).values("user_id")
    member_ids_text = (
        Membership.objects.filter(task_force=actor.task_force)
        .annotate(user_text=Cast("user_id", output_field=CharField()))
        .values("user_text")
    )
    return (
        AuditEvent.objects.filter(
            Q(task_force=actor.task_force)
            | Q(task_force__isnull=True, actor_id__in=members)
            | Q(task_force__isnull=True, object_type="accounts.user", object_id__in=member_ids_text)
        )
        .select_related("actor", "task_force")
        .order_by("-at", "-id")
    )
