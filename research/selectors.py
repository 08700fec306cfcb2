"""Reads of research grants and extracts, scoped by research/access.py: another task force's rows are a 404 for
everyone; inside the task force a missing right is a 403; an extract of a grant that ended is a 404 for the
research partner (it no longer exists for them). Keys are never loaded by a read."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from psn import access

from .access import can_manage_research, can_view_extracts, extracts_visible_to, grants_visible_to
from .models import ResearchExtract, ResearchGrant

_GRANT_FIELDS = ("secret",)
_EXTRACT_FIELDS = ("secret", "grant__secret")


def require_manager(actor: access.Actor) -> None:
    access.require(can_manage_research(actor), _("Only coordinators manage research grants."))


def require_extract_reader(actor: access.Actor) -> None:
    access.require(
        can_view_extracts(actor), _("Only coordinators and the research partner's members see research extracts.")
    )


def grant_list_for(*, actor: access.Actor) -> QuerySet[ResearchGrant]:
    require_manager(actor)
    return (
        grants_visible_to(actor)
        .defer(*_GRANT_FIELDS)
        .select_related("partner", "granted_by", "revoked_by")
        .annotate(extract_count=Count("extracts"))
        .order_by("-granted_at", "-pk")
    )


def grant_get_for(*, actor: access.Actor, pk: int) -> ResearchGrant:
    grant = ResearchGrant.objects.filter(task_force=actor.task_force, pk=pk).defer(*_GRANT_FIELDS).first()
    if grant is None:
        raise Http404("No such grant.")
    require_manager(actor)
    return grant


def active_grants_for(*, actor: access.Actor, today) -> QuerySet[ResearchGrant]:
    """Grants an extract may be requested under (the request form's choices)."""
    return (
        grants_visible_to(actor)
        .filter(revoked_at__isnull=True, valid_until__gte=today)
        .defer(*_GRANT_FIELDS)
        .select_related("partner")
        .order_by("-granted_at", "-pk")
    )


def extract_list_for(*, actor: access.Actor) -> QuerySet[ResearchExtract]:
    require_extract_reader(actor)
    return (
        extracts_visible_to(actor)
        .defer(*_EXTRACT_FIELDS)
        .select_related("grant__partner", "created_by", "task_force")
        .order_by("-created_at", "-pk")
    )


def extract_get_for(*, actor: access.Actor, pk: int) -> ResearchExtract:
    """The extract of the actor's task force (404 otherwise), then the right (403), then whether it is theirs (404)."""
    if not ResearchExtract.objects.filter(task_force=actor.task_force, pk=pk).exists():
        raise Http404("No such extract.")
    require_extract_reader(actor)
    extract = (
        extracts_visible_to(actor)
        .defer(*_EXTRACT_FIELDS)
        .select_related("grant__partner", "created_by", "task_force")
        .filter(pk=pk)
        .first()
    )
    if extract is None:
        raise Http404("No such extract.")
    return extract
