"""Reads of the governance area, for coordinators only (``access.can_manage_retention``): the schedule, the dry run
of the next purge (counts and oldest dates per record type, never content), the purge runs and the legal holds."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Attachment, Consent, Note, Notification, Transition
from psn import access

from .models import LegalHold, PurgeRun, RetentionSchedule
from .retention import Rules, rules_for, schedule_of

RUNS_SHOWN = 20


def require_governance(actor: access.Actor) -> None:
    access.require(access.can_manage_retention(actor), _("Only coordinators manage data retention."))


def retention_schedule_for(*, actor: access.Actor) -> RetentionSchedule:
    require_governance(actor)
    return schedule_of(actor.task_force)


@dataclass(frozen=True)
class DryRunRow:
    key: str
    count: int
    oldest: datetime.date | None


def _day(value) -> datetime.date | None:
    if value is None or (isinstance(value, datetime.date) and not isinstance(value, datetime.datetime)):
        return value
    return timezone.localdate(value)


def dry_run_rows(rules: Rules) -> list[DryRunRow]:
    """What a purge now would remove, per record type (the keys of ``services.COUNTED``): 8 queries, whatever the
    size of the task force."""
    referrals = rules.referrals()
    going = referrals.values("pk")
    ref = referrals.aggregate(n=Count("pk"), oldest=Min("closed_at"))
    consents = Consent.objects.filter(
        Q(pk__in=rules.consents().values("pk")) | Q(pk__in=rules.consents_of_people().values("pk"))
    )
    con = consents.aggregate(n=Count("pk"), revoked=Min("revoked_at"), expired=Min("expires_on"))
    ended = [day for day in (_day(con["revoked"]), con["expired"]) if day is not None]
    ppl = rules.people_with_merged().aggregate(n=Count("pk"))
    oldest_person = rules.people().aggregate(oldest=Min("last_activity"))["oldest"]
    aud = rules.audit_events().aggregate(n=Count("pk"), oldest=Min("at"))
    return [
        DryRunRow("referrals", ref["n"], _day(ref["oldest"])),
        DryRunRow("transitions", Transition.objects.filter(referral__in=going).count(), None),
        DryRunRow("notes", Note.objects.filter(referral__in=going).count(), None),
        DryRunRow("attachments", Attachment.objects.filter(referral__in=going).count(), None),
        DryRunRow("notifications", Notification.objects.filter(referral__in=going).count(), None),
        DryRunRow("consents", con["n"], min(ended) if ended else None),
        DryRunRow("people", ppl["n"], _day(oldest_person)),
        DryRunRow("audit_events", aud["n"], _day(aud["oldest"])),
    ]


def retention_dry_run_for(*, actor: access.Actor, now: datetime.datetime | None = None) -> list[DryRunRow]:
    require_governance(actor)
    return dry_run_rows(rules_for(actor.task_force, now or timezone.now()))


def purge_run_list_for(*, actor: access.Actor) -> QuerySet[PurgeRun]:
    require_governance(actor)
    return access.purge_runs_visible_to(actor).order_by("-started_at", "-pk")


def legal_hold_list_for(*, actor: access.Actor) -> QuerySet[LegalHold]:
    require_governance(actor)
    return access.legal_holds_visible_to(actor).select_related("placed_by", "released_by").order_by("-placed_at", "-pk")


def legal_hold_get_for(*, actor: access.Actor, pk: int) -> LegalHold:
    """The hold of the actor's task force (404 for any other, whoever asks), then the right (403)."""
    hold = LegalHold.objects.filter(task_force=actor.task_force, pk=pk).first() if pk < 2**63 else None
    if hold is None:
        raise Http404
    require_governance(actor)
    return hold
