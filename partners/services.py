"""Task force and membership actions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from psn import access, audit

from .models import Membership, Partner, TaskForce, TaxonomyTerm
from .taxonomy import DEFAULT_TAXONOMY


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
        taxonomy_seed(task_force=task_force)
        audit.record(action="created", actor=actor_user, task_force=task_force, obj=task_force, request=request)
    return task_force


def taxonomy_seed(*, task_force: TaskForce) -> int:
    """Give a task force the default need/service taxonomy (terms it already has are left as they are)."""
    existing = set(TaxonomyTerm.objects.filter(task_force=task_force).values_list("code", flat=True))
    TaxonomyTerm.objects.bulk_create(
        [
            TaxonomyTerm(task_force=task_force, code=code, name=name, description=description)
            for code, name, description in DEFAULT_TAXONOMY
            if code not in existing
        ]
    )
    return len(DEFAULT_TAXONOMY) - len(existing & {code for code, _, _ in DEFAULT_TAXONOMY})


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
