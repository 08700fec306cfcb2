"""Reads of meetings and action items, always through ``psn.access`` (who sees which meeting), with the joins and
prefetches that keep each page's query count constant."""

from __future__ import annotations

import datetime

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from psn import access

from .models import ActionItem, ActionItemStatus, Invitee, Meeting, MeetingPartner, MeetingSeries, MeetingStatus

UPCOMING = "upcoming"
PAST = "past"


def meeting_list_for(
    *,
    actor: access.Actor,
    when: str = UPCOMING,
    kind: str | None = None,
    status: str | None = None,
    start_from: datetime.datetime | None = None,
    start_before: datetime.datetime | None = None,
    q: str = "",
) -> QuerySet[Meeting]:
    """The meetings the actor sees: upcoming (ends now or later, soonest first) or past (latest first), optionally
    of one kind or status, within a time range (a calendar month) or matching words of the title."""
    now = timezone.now()
    qs = access.meetings_visible_to(actor)
    if when == UPCOMING:
        qs = qs.filter(end__gte=now).order_by("start", "pk")
    elif when == PAST:
        qs = qs.filter(end__lt=now).order_by("-start", "-pk")
    else:
        qs = qs.order_by("start", "pk")
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if start_from is not None:
        qs = qs.filter(start__gte=start_from)
    if start_before is not None:
        qs = qs.filter(start__lt=start_before)
    for word in q.split()[:5]:
        qs = qs.filter(title__icontains=word)
    # A correlated count, run for the rows of the page only: a join with every invitee grouped by meeting made
    # PostgreSQL count the invitees of all 4,000 past meetings before it could take the latest 25 (bench/pages.py).
    invitees = Invitee.objects.filter(meeting=OuterRef("pk")).order_by().values("meeting").annotate(n=Count("pk"))
    return qs.annotate(invitee_count=Coalesce(Subquery(invitees.values("n")), 0))


def meeting_get_for(*, actor: access.Actor, pk: int, for_update: bool = False) -> Meeting:
    """One meeting the actor sees, or 404 (another task force's meeting, or one they are not invited to)."""
    try:
        return access.meetings_visible_to(actor).select_related("series").get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such meeting.") from exc


def meeting_detail_for(*, actor: access.Actor, pk: int) -> Meeting:
    """A meeting with what its page shows: invited partners, invitees and (where the actor may see them) its
    action items, each with their people: a fixed number of queries whatever the meeting's size."""
    meeting = meeting_get_for(actor=actor, pk=pk)
    prefetches = [
        Prefetch(
            "partner_invitations", queryset=MeetingPartner.objects.select_related("partner").order_by("partner__name")
        ),
        Prefetch(
            "invitees",
            queryset=Invitee.objects.select_related("user", "via_partner").order_by("user__full_name", "user__email"),
        ),
    ]
    if access.can_view_action_items_of(actor, meeting):
        prefetches.append(
            Prefetch("action_items", queryset=ActionItem.objects.select_related("owner").order_by("due_date", "pk"))
        )
    prefetch_related_objects([meeting], *prefetches)
    # What the list's annotation counts, from the prefetched rows (the detail serializer shows it too).
    meeting.invitee_count = len(meeting.invitees.all())
    return meeting


def series_get_for(*, actor: access.Actor, pk: int) -> MeetingSeries:
    if not access.can_manage_meetings(actor):
        raise Http404("No such series.")
    try:
        return MeetingSeries.objects.get(pk=pk, task_force=actor.task_force)
    except (MeetingSeries.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such series.") from exc


def action_item_list_for(
    *, actor: access.Actor, mine: bool = False, status: str | None = None, meeting: Meeting | None = None
) -> QuerySet[ActionItem]:
    qs = access.action_items_visible_to(actor).select_related("owner", "meeting")
    if mine:
        qs = qs.filter(owner=actor.user)
    if status:
        qs = qs.filter(status=status)
    if meeting is not None:
        qs = qs.filter(meeting=meeting)
    return qs.order_by("due_date", "pk")


def action_item_get_for(*, actor: access.Actor, pk: int) -> ActionItem:
    try:
        return access.action_items_visible_to(actor).select_related("owner", "meeting__task_force").get(pk=pk)
    except (ActionItem.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such action item.") from exc


def inbox_meetings_for(*, actor: access.Actor, limit: int = 5) -> list[Meeting]:
    """The inbox's "your meetings": the next scheduled meetings the actor is invited to (coordinators too: their
    inbox shows their own, the meetings page shows all)."""
    if not access.can_act(actor):
        return []
    return list(
        access.meetings_visible_to(actor)
        .filter(actor_invited=True, status=MeetingStatus.SCHEDULED, end__gte=timezone.now())
        .order_by("start", "pk")[:limit]
    )


def inbox_action_items_for(*, actor: access.Actor, limit: int = 5) -> list[ActionItem]:
    """The inbox's "your action items": the actor's open items, soonest due first."""
    if not access.can_act(actor):
        return []
    return list(action_item_list_for(actor=actor, mine=True, status=ActionItemStatus.OPEN)[:limit])
