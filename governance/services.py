"""Data-governance actions: edit the retention schedule, place and release legal holds, and the purge (the daily
task's work). The pages, the API and the task call these.

The purge works in batches (``PURGE_BATCH`` records a transaction): each batch locks its rows, checks again that they
may go (a hold placed a moment ago locks the same rows first, so it is seen or waits) and deletes them; the stored
files of deleted attachments and consents are removed after the commit (a file left by a crash is removed by
``cases.tasks.storage_orphans_delete``). Run again, it finds nothing more to do.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Attachment, Consent, Note, Notification, Person, Referral, Transition
from partners.models import TaskForce
from psn import access, audit
from psn.models import AUDIT_MIN_RETENTION_DAYS, AuditEvent

from .models import (
    AUDIT_MIN_DAYS,
    MAX_DAYS,
    RECORD_MIN_DAYS,
    HoldKind,
    LegalHold,
    PersonRetentionClock,
    PurgeRun,
    RetentionSchedule,
)
from .retention import Rules, rules_for, schedule_of

logger = logging.getLogger(__name__)

PURGE_BATCH = 500
# A run unfinished this long lost its worker (a district purges in minutes): the next run takes over.
PURGE_STALE = datetime.timedelta(hours=6)
# The record types a purge counts, in the order it removes them (the dry run shows the same keys).
COUNTED = ("referrals", "transitions", "notes", "attachments", "notifications", "consents", "people", "audit_events")
SCHEDULE_FIELDS = ("referral_days", "person_days", "consent_days", "audit_days")


# --- Retention schedule -----------------------------------------------------------------------------------------


def _check_schedule(values: dict[str, int]) -> None:
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if name == "audit_days" and value < AUDIT_MIN_DAYS:
            errors[name] = [
                _("Audit events must be kept at least %(days)d days (CJIS Security Policy, AU-11).")
                % {"days": AUDIT_MIN_DAYS}
            ]
        elif value < RECORD_MIN_DAYS:
            errors[name] = [_("Keep records at least %(days)d days.") % {"days": RECORD_MIN_DAYS}]
        elif value > MAX_DAYS:
            errors[name] = [_("At most %(days)d days.") % {"days": MAX_DAYS}]
    if errors:
        raise ValidationError(errors)


def retention_schedule_update(*, actor: access.Actor, values: dict[str, int], request=None) -> RetentionSchedule:
    """A coordinator changes some of the task force's retention periods (days); audited with the changed fields."""
    access.require(access.can_manage_retention(actor), _("Only coordinators set the retention schedule."))
    values = {name: values[name] for name in SCHEDULE_FIELDS if name in values}
    _check_schedule(values)
    with transaction.atomic():
        TaskForce.objects.select_for_update().get(pk=actor.task_force.pk)
        schedule = schedule_of(actor.task_force)
        before = {name: getattr(schedule, name) for name in SCHEDULE_FIELDS}
        for name, value in values.items():
            setattr(schedule, name, value)
        changes = audit.changed_fields(before, {name: getattr(schedule, name) for name in SCHEDULE_FIELDS})
        if not changes and schedule.pk is not None:
            return schedule
        schedule.updated_at, schedule.updated_by = timezone.now(), actor.user
        schedule.full_clean()
        schedule.save()
        audit.record(
            action=audit.AuditAction.CHANGED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=schedule,
            object_repr="retention schedule",
            changes=changes,
            request=request,
        )
    return schedule


# --- Legal holds ------------------------------------------------------------------------------------------------


def hold_place(
    *,
    actor: access.Actor,
    kind: str,
    record: str,
    reason: str,
    until: datetime.date | None = None,
    request=None,
) -> LegalHold:
    """Put a person (by record number) or a referral (by reference) of the task force on hold. The record's row is
    locked first, so a purge running now either has it already (and the hold names a missing record: refused) or
    sees the hold."""
    access.require(access.can_manage_retention(actor), _("Only coordinators place legal holds."))
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the record is held.")]
    if until is not None and until < timezone.localdate(timezone=actor.task_force.tzinfo):
        errors["until"] = [_("Choose a date from today on, or leave it empty.")]
    if kind not in HoldKind.values:
        errors["kind"] = [_("Choose a person or a referral.")]
    if errors:
        raise ValidationError(errors)
    record = (record or "").strip()
    with transaction.atomic():
        hold = LegalHold(task_force=actor.task_force, kind=kind, reason=reason, until=until, placed_by=actor.user)
        if kind == HoldKind.REFERRAL:
            hold.referral = (
                Referral.objects.select_for_update().filter(task_force=actor.task_force, reference=record).first()
            )
            if hold.referral is None:
                raise ValidationError({"record": [_("No referral %(ref)s in this task force.") % {"ref": record}]})
            hold.record_label = hold.referral.reference
        else:
            number = record.removeprefix("#")
            person = None
            if number.isdigit() and len(number) < 19:
                person = (
                    Person.objects.select_for_update()
                    .filter(task_force=actor.task_force, pk=int(number), merged_into__isnull=True)
                    .first()
                )
            if person is None:
                raise ValidationError({"record": [_("No person with record number %(n)s here.") % {"n": record}]})
            hold.person, hold.record_label = person, f"person {person.pk}"
        hold.full_clean()
        hold.save()
        audit.record(
            action=audit.AuditAction.CREATED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=hold,
            changes={"record": hold.record_label, "until": until.isoformat() if until else None},
            request=request,
        )
    return hold


def hold_release(*, actor: access.Actor, hold: LegalHold, request=None) -> LegalHold:
    """End a hold now (its record may go in the next purge that finds it expired)."""
    access.require(access.can_manage_retention(actor), _("Only coordinators release legal holds."))
    now = timezone.now()
    with transaction.atomic():
        released = LegalHold.objects.filter(pk=hold.pk, task_force=actor.task_force, released_at__isnull=True).update(
            released_at=now, released_by=actor.user
        )
        if not released:
            raise ValidationError(_("This hold was already released."))
        audit.record(
            action=audit.AuditAction.CHANGED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=hold,
            changes={"released_at": [None, now.isoformat()]},
            request=request,
        )
    hold.refresh_from_db()
    return hold


# --- The purge --------------------------------------------------------------------------------------------------


def _delete_files_after_commit(names: list[tuple[object, str]]) -> None:
    def delete() -> None:
        for storage, name in names:
            try:
                storage.delete(name)
            except OSError:  # the daily orphan sweep removes it later
                logger.exception("purged file %s not deleted", name)

    if names:
        transaction.on_commit(delete)


def _claim_run(task_force: TaskForce, now: datetime.datetime) -> PurgeRun | None:
    """Start a run, unless one is in progress (a second worker or beat): None then. A run that lost its worker long
    ago is marked interrupted and taken over."""
    PurgeRun.objects.filter(task_force=task_force, finished_at__isnull=True, started_at__lt=now - PURGE_STALE).update(
        finished_at=now, interrupted=True
    )
    try:
        with transaction.atomic():
            return PurgeRun.objects.create(task_force=task_force, started_at=now)
    except IntegrityError:
        return None


def _purge_referrals(rules: Rules, batch_size: int, counts: Counter) -> None:
    while True:
        with transaction.atomic():
            ids = list(rules.referrals().order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return
            people = list(Referral.objects.filter(pk__in=ids).values_list("person_id", flat=True).distinct())
            list(Referral.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
            list(Person.objects.select_for_update().filter(pk__in=people).values_list("pk"))
            batch = Referral.objects.filter(pk__in=rules.referrals().filter(pk__in=ids).values("pk"))
            ids = list(batch.values_list("pk", flat=True))
            if not ids:
                continue
            _keep_person_clocks(ids)
            # A transfer's successor stays (it may be open): it no longer points at the referral that goes.
            Referral.objects.filter(transferred_from_id__in=ids).update(transferred_from=None)
            Note.objects.filter(referral_id__in=ids).update(annotates=None)
            files = [(a.file.storage, a.file.name) for a in Attachment.objects.filter(referral_id__in=ids) if a.file]
            counts["notifications"] += Notification.objects.filter(referral_id__in=ids).delete()[0]
            counts["transitions"] += Transition.objects.filter(referral_id__in=ids).delete()[0]
            counts["notes"] += Note.objects.filter(referral_id__in=ids).delete()[0]
            counts["attachments"] += Attachment.objects.filter(referral_id__in=ids).delete()[0]
            counts["referrals"] += Referral.objects.filter(pk__in=ids).delete()[1].get("cases.Referral", 0)
            _delete_files_after_commit(files)


def _keep_person_clocks(referral_ids: list[int]) -> None:
    """Before referrals go: each person's latest close, so their own retention still counts from it."""
    latest = dict(
        Referral.objects.filter(pk__in=referral_ids)
        .order_by()
        .values_list("person_id")
        .annotate(last=Max("closed_at"))
        .values_list("person_id", "last")
    )
    clocks = {c.person_id: c for c in PersonRetentionClock.objects.filter(person_id__in=latest)}
    changed = []
    for person_id, last in latest.items():
        clock = clocks.get(person_id)
        if clock is None:
            PersonRetentionClock.objects.create(person_id=person_id, last_referral_closed_at=last)
        elif clock.last_referral_closed_at < last:
            clock.last_referral_closed_at = last
            changed.append(clock)
    PersonRetentionClock.objects.bulk_update(changed, ["last_referral_closed_at"])


def _delete_consents(consents, counts: Counter) -> None:
    rows = list(consents)
    files = [(c.file.storage, c.file.name) for c in rows if c.file]
    counts["consents"] += Consent.objects.filter(pk__in=[c.pk for c in rows]).delete()[1].get("cases.Consent", 0)
    _delete_files_after_commit(files)


def _purge_consents(rules: Rules, batch_size: int, counts: Counter) -> None:
    while True:
        with transaction.atomic():
            ids = list(rules.consents().order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return
            people = list(Consent.objects.filter(pk__in=ids).values_list("person_id", flat=True).distinct())
            list(Person.objects.select_for_update().filter(pk__in=people).values_list("pk"))
            _delete_consents(Consent.objects.filter(pk__in=rules.consents().filter(pk__in=ids).values("pk")), counts)


def _merged_into(ids: list[int]) -> list[int]:
    """Every record merged (directly or through another merged record) into these people."""
    found: list[int] = []
    frontier = ids
    while frontier:
        frontier = list(Person.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        found += frontier
    return found


def _purge_people(rules: Rules, batch_size: int, counts: Counter) -> None:
    while True:
        with transaction.atomic():
            ids = list(rules.people().order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                return
            list(Person.objects.select_for_update().filter(pk__in=ids).values_list("pk"))
            ids = list(rules.people().filter(pk__in=ids).values_list("pk", flat=True))
            if not ids:
                continue
            merged = _merged_into(ids)
            everyone = ids + merged
            _delete_consents(Consent.objects.filter(person_id__in=everyone), counts)
            # The deepest merged records first: each points at the one it was merged into.
            Person.objects.filter(pk__in=everyone).update(merged_into=None)
            counts["people"] += Person.objects.filter(pk__in=everyone).delete()[1].get("cases.Person", 0)


def _purge_audit_events(rules: Rules, batch_size: int, counts: Counter) -> None:
    while True:
        ids = list(rules.audit_events().order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        counts["audit_events"] += AuditEvent.objects.filter(pk__in=ids).purge_expired(before=rules.audit_cutoff)


def retention_purge(
    *, task_force: TaskForce, now: datetime.datetime | None = None, batch_size: int = PURGE_BATCH
) -> PurgeRun | None:
    """Remove what the task force's schedule says has expired (``governance/retention.py``), in batches; record
    the run and one audit event with the counts. None when another run of the task force is in progress."""
    now = now or timezone.now()
    run = _claim_run(task_force, now)
    if run is None:
        return None
    rules = rules_for(task_force, now)
    counts: Counter = Counter()
    _purge_referrals(rules, batch_size, counts)
    _purge_consents(rules, batch_size, counts)
    _purge_people(rules, batch_size, counts)
    _purge_audit_events(rules, batch_size, counts)
    with transaction.atomic():
        run.counts = {name: counts[name] for name in COUNTED}
        run.finished_at = timezone.now()
        run.save(update_fields=["counts", "finished_at"])
        audit.record(
            action=audit.AuditAction.DELETED,
            task_force=task_force,
            obj=run,
            object_repr="retention purge",
            changes={"counts": run.counts},
        )
    return run


def site_audit_cutoff(now: datetime.datetime) -> datetime.datetime:
    days = max(settings.PSN_SITE_AUDIT_RETENTION_DAYS, AUDIT_MIN_RETENTION_DAYS)
    return now - datetime.timedelta(days=days)


def site_audit_purge(*, now: datetime.datetime | None = None, batch_size: int = PURGE_BATCH) -> int:
    """The audit events of no task force (sign-ins, failed logins, lockouts, the site admin's work) older than
    ``PSN_SITE_AUDIT_RETENTION_DAYS`` (never younger than a year), in batches; one audit event with the count when
    any went. Two workers at once delete each row once between them; run again, it finds nothing."""
    cutoff = site_audit_cutoff(now or timezone.now())
    expired = AuditEvent.objects.filter(task_force__isnull=True, at__lt=cutoff)
    deleted = 0
    while ids := list(expired.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        deleted += AuditEvent.objects.filter(pk__in=ids).purge_expired(before=cutoff)
    if deleted:
        audit.record(
            action=audit.AuditAction.DELETED,
            object_type="psn.auditevent",
            object_repr="retention purge of site-wide audit events",
            changes={"counts": {"audit_events": deleted}, "before": cutoff.isoformat()},
        )
    return deleted


def retention_purge_all(*, now: datetime.datetime | None = None) -> tuple[list[PurgeRun], int]:
    """The daily task: every active task force in turn, then the audit events of no task force. Returns the runs
    and the number of those site-wide events removed."""
    runs = []
    for task_force in TaskForce.objects.filter(active=True).order_by("pk"):
        run = retention_purge(task_force=task_force, now=now)
        if run is not None:
            runs.append(run)
    return runs, site_audit_purge(now=now)
