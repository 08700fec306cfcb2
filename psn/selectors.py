"""Reads of the audit trail, scoped through psn.access."""

from __future__ import annotations

from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from partners.models import Membership

from . import access
from .models import AuditEvent


def _events_of_task_force(task_force) -> QuerySet[AuditEvent]:
    """The task force's events, plus the sign-in events (which belong to no task force) of its members."""
    members = Membership.objects.filter(task_force=task_force).values("user_id")
    member_ids_text = (
        Membership.objects.filter(task_force=task_force)
        .annotate(user_text=Cast("user_id", output_field=CharField()))
        .values("user_text")
    )
    return (
        AuditEvent.objects.filter(
            Q(task_force=task_force)
            | Q(task_force__isnull=True, actor_id__in=members)
            | Q(task_force__isnull=True, object_type="accounts.user", object_id__in=member_ids_text)
        )
        .select_related("actor", "task_force")
        .order_by("-at", "-id")
    )


def audit_event_list_for(*, actor: access.Actor) -> QuerySet[AuditEvent]:
    """A coordinator's trail: their task force's events. A site admin sees every event from the Django admin."""
    if not access.can_view_audit(actor):
        return AuditEvent.objects.none()
    return _events_of_task_force(actor.task_force)


def audit_event_get_for(*, actor: access.Actor, pk) -> AuditEvent:
    """One event of the actor's task force. Beyond it (or for an id that is no number) the event does not
    exist for the actor: a 404, which comes before the 403 for not being allowed to read the trail."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not access.can_act(actor):
        raise Http404
    event = get_object_or_404(_events_of_task_force(actor.task_force), pk=pk)
    access.require(access.can_view_audit(actor), _("Only coordinators can read the audit trail."))
    return event
