"""Writing the audit trail. Every event goes through ``record`` so its shape is the same everywhere."""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditAction, AuditEvent

__all__ = ["AuditAction", "changed_fields", "record"]


def _client_ip(request) -> str | None:
    if request is None:
        return None
    # Set by axes' ipware from the configured proxy settings; falls back to the socket address.
    ip = getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")
    return ip or None


def record(
    *,
    action: str,
    actor=None,
    task_force=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    request=None,
) -> AuditEvent:
    """Append one event. ``obj`` fills type, id and a short description unless given explicitly."""
    if request is not None and actor is None:
        user = getattr(request, "user", None)
        actor = user if getattr(user, "is_authenticated", False) else None
    if request is not None and task_force is None:
        task_force = getattr(getattr(request, "actor", None), "task_force", None)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    meta = request.META if request is not None else {}
    return AuditEvent.objects.create(
        action=AuditAction(action),
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        task_force=task_force,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=object_repr[:200],
        changes=changes or {},
        ip=_client_ip(request),
        user_agent=meta.get("HTTP_USER_AGENT", "")[:300],
        path=(request.path[:300] if request is not None else ""),
    )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value differs, values as strings for JSON."""
    return {
        name: [None if before.get(name) is None else str(before.get(name)), None if value is None else str(value)]
        for name, value in after.items()
        if before.get(name) != value
    }


def record_viewed(*, actor, obj, request=None) -> AuditEvent:
    """One "viewed" event: ``actor`` (psn.access.Actor) was shown ``obj`` (a person, a referral, a consent...)."""
    return record(action=AuditAction.VIEWED, actor=actor.user, task_force=actor.task_force, obj=obj, request=request)


def record_listed(*, actor, rows, label: str, request=None) -> AuditEvent | None:
    """One "viewed" event for a page of a list that shows people or referrals (the pages, the API lists, the
    inbox): the listed model's type, no object id, and the ids of the rows shown in ``changes["listed"]``.
    ``rows`` are only those whose person the reader sees; nothing is written when there are none."""
    rows = list(rows)
    if not rows:
        return None
    return record(
        action=AuditAction.VIEWED,
        actor=actor.user,
        task_force=actor.task_force,
        object_type=rows[0]._meta.label_lower,
        object_repr=label,
        changes={"listed": [None, ",".join(str(row.pk) for row in rows)]},
        request=request,
    )
