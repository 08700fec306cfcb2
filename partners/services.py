"""Task force and membership actions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from psn import access, audit

from .models import Membership, Partner, TaskForce


def task_force_create(
    *,
    actor_user,
    name: str,
    slug: str,
    district: str = "",
    timezone: str = "America/Chicago",
    sla_business_days: int = 2,
    request=None,
) -> TaskForce:
    """Create a tenant. Site admins only (the `create_task_force` command runs as the system)."""
    if actor_user is not None and not access.can_create_task_force(actor_user):
        raise PermissionDenied(_("Only a site admin can create a task force."))
    task_force = TaskForce(
        name=(name or "").strip(),
        slug=(slug or "").strip().lower(),
        district=(district or "").strip(),
        timezone=(timezone or "").strip(),
        sla_business_days=sla_business_days,
    )
    task_force.full_clean()
    with transaction.atomic():
        task_force.save()
        audit.record(action="created", actor=actor_user, task_force=task_force, obj=task_force, request=request)
    return task_force


def membership_create(*, partner: Partner, user, role: str, actor_user=None, request=None) -> Membership:
    """Attach a user to a partner with a role (the directory issue adds invitations on top of this)."""
    membership = Membership(partner=partner, user=user, role=role, task_force_id=partner.task_force_id)
    membership.full_clean()
    with transaction.atomic():
        membership.save()
        audit.record(
            action="created",
            actor=actor_user,
            task_force=partner.task_force,
            obj=membership,
            changes={"role": [None, role]},
            request=request,
        )
    return membership
