"""Reads of referrals scoped to the actor (psn/access.py decides who sees what; this module only asks).

Privacy by construction: list rows never load the person. Each row carries ``details_visible`` and
``person_name`` (empty where the actor sees metadata only), so a coordinator's page cannot show a name by
accident; touching ``row.person`` costs a query per row, which the pinned query counts would catch.

Reads are not audited by the selectors themselves: the views and API that show a referral's details call
``referral_viewed`` to record the "viewed" event (the download of an attachment is audited by
``cases.attachments.attachment_open_for``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Partner, Service, TaxonomyTerm
from psn import access, audit

from .models import PRIORITY_RANK, Notification, Person, Priority, Referral, Status, Transition
from .people import fold, task_force_key

LIST_DEFERRED = [
    "sending_partner__description",
    "sending_partner__service_area",
    "receiving_partner__description",
    "receiving_partner__service_area",
    "service__description",
    "service__eligibility",
    "service__hours",
    "service__search_vector",
]
# The orderings a list may ask for (a closed list: user input never reaches order_by). The last key breaks ties.
ORDERINGS = {
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
    "due": (F("due_date").asc(nulls_last=True), "pk"),
    "-due": (F("due_date").desc(nulls_last=True), "-pk"),
    "priority": ("priority_rank", "-created_at", "-pk"),
    "-priority": ("-priority_rank", "-created_at", "-pk"),
    "status": ("status", "-created_at", "-pk"),
    "reference": ("reference", "pk"),
    "-reference": ("-reference", "-pk"),
}
DEFAULT_ORDERING = "-created"

INBOX_LIMIT = 10
PERSON_SEARCH_LIMIT = 20
DUE_SOON_DAYS = 7
SENT_CHANGED_DAYS = 14
# A reference search: one word with a digit (R-2026-000123, 000123, 2026-0001), or only an R and dashes (R-, r,
# which every reference holds). Names hold no digits: such a text is looked up in the references only.
REFERENCE_LIKE = re.compile(r"\S*\d\S*|[Rr]?-*")


def _values(value, allowed: Iterable[str], name: str) -> list[str]:
    values = [value] if isinstance(value, str) else list(value)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError({name: _("Unknown value: %(value)s.") % {"value": ", ".join(map(str, unknown))}})
    return values


def _pk(value) -> int:
    return value.pk if hasattr(value, "pk") else int(value)


def _day_start(day: datetime.date, tz) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)


def _with_row_privacy(qs: QuerySet[Referral], actor: access.Actor) -> QuerySet[Referral]:
    # The name is a subquery, not a join: the paginator's COUNT drops an unused annotation but not its join.
    details = access.referral_details_condition(actor)
    name = (
        Person.objects.filter(pk=OuterRef("person_id"))
        .order_by()
        .values(full_name=Concat("given_name", Value(" "), "family_name", output_field=CharField()))
    )
    return qs.annotate(
        details_visible=Case(When(details, then=Value(True)), default=Value(False), output_field=BooleanField()),
        person_name=Case(When(details, then=Subquery(name[:1])), default=Value(""), output_field=CharField()),
    )


def referral_list_for(
    *,
    actor: access.Actor,
    status: str | Iterable[str] | None = None,
    partner: Partner | int | None = None,
    need: TaxonomyTerm | int | None = None,
    priority: str | Iterable[str] | None = None,
    created_from: datetime.date | None = None,
    created_to: datetime.date | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    ordering: str | None = None,
) -> QuerySet[Referral]:
    """The referrals the actor sees, filtered and ordered. ``partner`` matches either side; ``need`` matches the
    term and its direct children; dates are days of the task force's time zone, both ends included; ``q``
    searches the references when it looks like one (``_search``), else the person's names and aliases, only on
    rows whose details the actor sees. Two queries for a page: the rows, and their needs; with ``need``, one more
    here (its terms). The plans at full scale: bench/results.md, "Referral pages"."""
    qs = access.referrals_visible_to(actor)
    if not access.can_act(actor):
        return qs
    tz = actor.task_force.tzinfo
    if status:
        qs = qs.filter(status__in=_values(status, Status.values, "status"))
    if priority:
        qs = qs.filter(priority__in=_values(priority, Priority.values, "priority"))
    if partner is not None:
        partner_id = _pk(partner)
        qs = qs.filter(Q(sending_partner_id=partner_id) | Q(receiving_partner_id=partner_id))
    if need is not None:
        need_id = _pk(need)
        # The term ids first (a query of its own): inlined, the planner knows how many referrals hold them and
        # joins them with the visible rows; as a subquery it guessed one term and probed each of its referrals.
        terms = TaxonomyTerm.objects.filter(task_force=actor.task_force).filter(Q(pk=need_id) | Q(parent_id=need_id))
        term_ids = list(terms.values_list("pk", flat=True))
        qs = qs.filter(pk__in=Referral.needs.through.objects.filter(taxonomyterm_id__in=term_ids).values("referral_id"))
    if created_from is not None:
        qs = qs.filter(created_at__gte=_day_start(created_from, tz))
    if created_to is not None:
        qs = qs.filter(created_at__lt=_day_start(created_to + datetime.timedelta(days=1), tz))
    if overdue is not None:
        overdue_q = Q(status=Status.SUBMITTED, overdue_at__isnull=False)
        qs = qs.filter(overdue_q) if overdue else qs.exclude(overdue_q)
    if q and q.strip():
        qs = qs.filter(_search(q.strip(), actor))
    key = ordering or DEFAULT_ORDERING
    if key not in ORDERINGS:
        raise ValidationError({"ordering": _("Unknown ordering: %(value)s.") % {"value": key}})
    if key.lstrip("-") == "priority":
        qs = qs.annotate(priority_rank=PRIORITY_RANK)
    return (
        _with_row_privacy(qs, actor)
        .select_related("sending_partner", "receiving_partner", "service")
        # No list, export or API row shows these long texts (nor the service's search vector): not read.
        .defer(*LIST_DEFERRED)
        .prefetch_related(Prefetch("needs", queryset=TaxonomyTerm.objects.order_by("name")))
        .order_by(*ORDERINGS[key])
    )


def _search(text: str, actor: access.Actor) -> Q:
    """A text like a reference is looked up in the references of the task force (trigram index
    ``referral_tf_reference_trgm``), any other in the names and aliases of the people of the rows whose details the
    actor sees: ``search_text`` holds them folded (trigram index ``person_tf_search_trgm``). Never both in one OR,
    which no index can answer. Both indexes lead with the task force (migration 0008): each search is a subquery
    that gives it as ``people.task_force_key``, the type the index answers."""
    if REFERENCE_LIKE.fullmatch(text):
        references = Referral.objects.filter(
            task_force_id=task_force_key(actor.task_force),
            reference__contains=text.upper(),  # references are upper case
        )
        return Q(pk__in=references.values("pk"))
    people = Person.objects.filter(task_force_id=task_force_key(actor.task_force))
    for word in text.lower().split()[:5]:
        # A person saved without the people service (no search_text) is still found by the names themselves
        # (the partial index ``person_unfolded_idx`` keeps that branch out of a scan).
        people = people.filter(
            Q(search_text__contains=fold(word))
            | (
                Q(search_text="")
                & (Q(given_name__icontains=word) | Q(family_name__icontains=word) | Q(aliases__icontains=word))
            )
        )
    found = Q(person__in=people)
    if actor.is_coordinator:
        # Only a coordinator sees rows without their details (``access.referrals_visible_to``); for anyone else the
        # visible rows are those already, and the condition repeated made PostgreSQL count its selectivity twice
        # (145 rows expected of 4,206) and probe the person of every visible row instead of the name index.
        found &= access.referral_details_condition(actor)
    return found


def referral_get_for(*, actor: access.Actor, pk: int | str) -> Referral:
    """One referral the actor sees (Http404 otherwise) with ``details_visible``, its transitions (prefetched),
    and ``visible_notes`` / ``visible_attachments`` (lists: empty where the actor sees metadata only).

    Where ``details_visible`` is False a page shows only the metadata: reference, partners, service, needs,
    priority, due date, status, clock times and each transition's who/when/from/to/coded reason; never the
    person, ``reason``, a transition's ``reason_text``, notes or attachments. ``transferred_from`` and
    ``transferred_to`` are loaded for the links; the other end may be one the actor cannot open (a transfer to
    a partner they are not in): link it only if ``access.can_view_referral`` says so. Five queries with details,
    three without."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    transitions = Transition.objects.select_related("actor", "actor_partner", "reason").order_by("at", "pk")
    referral = (
        access.referrals_visible_to(actor)
        .select_related(
            "person",
            "sending_partner",
            "receiving_partner",
            "service",
            "close_reason",
            "transferred_from",
            "transferred_to",
        )
        .prefetch_related(
            Prefetch("needs", queryset=TaxonomyTerm.objects.order_by("name")), Prefetch("transitions", transitions)
        )
        .filter(pk=pk)
        .first()
    )
    if referral is None:
        raise Http404
    referral.details_visible = access.can_view_referral_details(actor, referral)
    if referral.details_visible:
        referral.visible_notes = list(
            access.notes_visible_to(actor, referral)
            .select_related("author", "author_partner")
            .order_by("created_at", "pk")
        )
        referral.visible_attachments = list(
            access.attachments_visible_to(actor, referral)
            .select_related("uploaded_by", "uploaded_by_partner")
            .order_by("created_at", "pk")
        )
    else:
        referral.visible_notes = []
        referral.visible_attachments = []
    return referral


def referral_viewed(*, actor: access.Actor, referral: Referral, request, changes: dict | None = None) -> None:
    """Record that the actor read the referral's details (the web page, the API's detail, notes, attachments and
    FHIR Bundle alike); nothing where they see its metadata only. ``request`` is Django's (DRF's ``_request``)."""
    if referral.details_visible:
        audit.record(
            action="viewed",
            actor=actor.user,
            task_force=actor.task_force,
            obj=referral,
            changes=changes,
            request=request,
        )


@dataclass
class InboxSection:
    items: list = field(default_factory=list)
    count: int = 0


@dataclass
class Inbox:
    new: InboxSection
    overdue: InboxSection
    due_soon: InboxSection
    sent_changed: InboxSection
    notifications: InboxSection


def inbox_for(*, actor: access.Actor, limit: int = INBOX_LIMIT) -> Inbox:
    """The landing page: what waits for the actor's partners. ``new``: submitted to them, not overdue;
    ``overdue``: submitted to them and past the acknowledgement deadline; ``due_soon``: accepted or in progress
    at them with a due date within 7 days (or already past); ``sent_changed``: sent by them (not drafts) and
    changed in the last 14 days; ``notifications``: the actor's unread ones. Each holds at most ``limit`` items
    and the full count. Seven queries whatever the numbers (none without a task force, three without a
    partner): one count for the four referral sections, one list each, the notifications' count and list."""
    empty = Inbox(*(InboxSection() for _ in range(5)))
    if not access.can_act(actor):
        return empty
    now = timezone.now()
    today = timezone.localdate(now, timezone=actor.task_force.tzinfo)
    partner_ids = sorted(actor.partner_ids)
    # All four sections are the actor's own partners' referrals: they are a party, details are visible.
    referrals = Referral.objects.filter(task_force=actor.task_force)
    to_us = Q(receiving_partner_id__in=partner_ids)
    conditions = {
        "new": to_us & Q(status=Status.SUBMITTED, overdue_at__isnull=True),
        "overdue": to_us & Q(status=Status.SUBMITTED, overdue_at__isnull=False),
        "due_soon": to_us
        & Q(status__in=[Status.ACCEPTED, Status.IN_PROGRESS], due_date__lte=today + datetime.timedelta(DUE_SOON_DAYS)),
        "sent_changed": Q(
            sending_partner_id__in=partner_ids, updated_at__gte=now - datetime.timedelta(SENT_CHANGED_DAYS)
        )
        & ~Q(status=Status.DRAFT),
    }
    orderings = {
        "new": ("submitted_at", "pk"),
        "overdue": ("acknowledge_by", "pk"),
        "due_soon": ("due_date", "pk"),
        "sent_changed": ("-updated_at", "-pk"),
    }
    sections: dict[str, InboxSection] = {}
    if partner_ids:
        # Counted over the rows of some section only (indexes: receiving partner and status, sending partner
        # and update time), not over the whole task force.
        counts = referrals.filter(reduce(or_, conditions.values())).aggregate(
            **{name: Count("pk", filter=cond) for name, cond in conditions.items()}
        )
        for name, cond in conditions.items():
            items = list(
                referrals.filter(cond)
                .select_related("person", "sending_partner", "receiving_partner")
                .order_by(*orderings[name])[:limit]
            )
            sections[name] = InboxSection(items=items, count=counts[name])
    else:
        sections = {name: InboxSection() for name in conditions}
    unread = Notification.objects.filter(task_force=actor.task_force, user=actor.user, read_at__isnull=True)
    unread_count = unread.count()
    notifications = list(unread.select_related("referral").order_by("-created_at", "-pk")[:limit])
    return Inbox(**sections, notifications=InboxSection(items=notifications, count=unread_count))


# --- Filing a referral -------------------------------------------------------------------------------------------
#
# What the filing page offers. The lists are what a referral may be filed with; the service
# (``cases.lifecycle.referral_create``) checks each choice again, so these only keep the page honest.


def referral_receivers_for(*, actor: access.Actor) -> QuerySet[Partner]:
    """The partners a referral may go to: the task force's active partners (the page leaves out the sender)."""
    return access.partners_visible_to(actor).filter(active=True).order_by("name")


def referral_transfer_targets_for(*, actor: access.Actor, referral: Referral) -> QuerySet[Partner]:
    """The partners a referral may be transferred to: the task force's active partners but its two sides. Only what
    the form shows and the transfer reads (a list of every partner's full row cost a referral page ~10 ms)."""
    return (
        access.partners_visible_to(actor)
        .filter(active=True)
        .exclude(pk__in=[referral.sending_partner_id, referral.receiving_partner_id])
        .only("pk", "name", "kind", "task_force_id", "active")
        .order_by("name")
    )


def referral_services_for(*, actor: access.Actor) -> QuerySet[Service]:
    """The active services of the active partners, grouped by partner (the form checks the one chosen belongs to
    the receiving partner)."""
    return (
        access.services_visible_to(actor)
        .filter(active=True, partner__active=True)
        .select_related("partner")
        .order_by("partner__name", "partner_id", "name", "pk")
    )


def referral_needs_for(*, actor: access.Actor) -> QuerySet[TaxonomyTerm]:
    if not access.can_act(actor):
        return TaxonomyTerm.objects.none()
    return TaxonomyTerm.objects.filter(task_force=actor.task_force, active=True).order_by("name", "pk")


def person_search_for(*, actor: access.Actor, q: str, limit: int = PERSON_SEARCH_LIMIT) -> list[Person]:
    """People the actor may see (``access.people_visible_to``) whose names or aliases hold every word of ``q``
    (case and accents ignored); at most ``limit``, by name. One query."""
    words = fold(q).split()[:5]
    if not words:
        return []
    qs = access.people_visible_to(actor)
    for word in words:
        qs = qs.filter(
            Q(search_text__contains=word)
            | Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(aliases__icontains=word)
        )
    return list(qs.order_by("family_name", "given_name", "pk")[:limit])


def person_for_filing(*, actor: access.Actor, pk: int | str | None, picked=()) -> Person | None:
    """The person ``pk`` if the actor may file for them (``access.people_fileable_by``), else None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    return access.people_fileable_by(actor, picked=picked).filter(pk=pk).first()
