"""Who may do what with research grants and extracts, in terms of psn.access (the task force, roles, memberships).

- Coordinators (and site admins) grant, revoke and list grants, request extracts, and see every extract of the task
  force; they download a done extract while its grant is valid and not revoked.
- Members (any role) of the grant's research partner see and download their partner's done extracts while the
  grant is valid and not revoked; once it ends or is revoked its extracts no longer exist for them (404).
- Anyone else in the task force is refused (403, audited); another task force's rows do not exist (404).
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from partners.models import PartnerKind
from psn import access

from .models import ExtractStatus, ResearchExtract, ResearchGrant


def today_of(actor: access.Actor) -> datetime.date:
    return timezone.localdate(timezone=actor.task_force.tzinfo)


def can_manage_research(actor: access.Actor) -> bool:
    return access.can_act(actor) and actor.is_coordinator


def research_partner_ids(actor: access.Actor) -> list[int]:
    """The actor's research partners (read from the memberships, whose partners come with them: no query)."""
    if not access.can_act(actor):
        return []
    return sorted(m.partner_id for m in actor.memberships if m.partner.kind == PartnerKind.RESEARCH)


def can_view_extracts(actor: access.Actor) -> bool:
    return can_manage_research(actor) or bool(research_partner_ids(actor))


def grants_visible_to(actor: access.Actor) -> QuerySet[ResearchGrant]:
    if not can_manage_research(actor):
        return ResearchGrant.objects.none()
    return ResearchGrant.objects.filter(task_force=actor.task_force)


def extracts_visible_to(actor: access.Actor) -> QuerySet[ResearchExtract]:
    if not access.can_act(actor):
        return ResearchExtract.objects.none()
    extracts = ResearchExtract.objects.filter(task_force=actor.task_force)
    if can_manage_research(actor):
        return extracts
    return extracts.filter(
        grant__partner_id__in=research_partner_ids(actor),
        grant__revoked_at__isnull=True,
        grant__valid_until__gte=today_of(actor),
    )


def can_download_extract(actor: access.Actor, extract: ResearchExtract) -> bool:
    """A done extract, under a grant valid today, for a coordinator or a member of the grant's partner."""
    if not access.can_act(actor) or extract.task_force_id != actor.task_force.pk:
        return False
    if not (can_manage_research(actor) or extract.grant.partner_id in research_partner_ids(actor)):
        return False
    return extract.status == ExtractStatus.DONE and extract.grant.is_active_on(today_of(actor))
