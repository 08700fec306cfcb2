"""What a purge removes: the retention rules, written once and read by the purge (``services.retention_purge``) and
by its dry run (``selectors.retention_dry_run_for``), so the dry run shows exactly what the next purge takes.

For one task force at one instant (``Rules``):
- a referral goes when it is closed (declined, completed, closed unsuccessful, withdrawn, transferred) for longer
  than ``referral_days``, with its notes, attachments, transitions, needs and notifications;
- a consent goes ``consent_days`` after it was revoked or expired;
- a person goes when no referral of theirs is left after this purge and their last referral closed (or, never
  referred, their record was made) more than ``person_days`` ago; with them go their consents and the records
  merged into theirs;
- the task force's audit events go after ``audit_days``, and never before 365 days (CJIS AU-11); events of no task
  force (sign-ins, lockouts, the site admin's work) follow ``PSN_SITE_AUDIT_RETENTION_DAYS`` instead
  (``services.site_audit_purge``);
- nothing on an active legal hold goes: a held person keeps every referral and consent of theirs, a held referral
  keeps its person (and so the person's consents).
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from cases.models import CLOSED_STATUSES, Consent, Person, Referral
from partners.models import TaskForce
from psn.models import AUDIT_MIN_RETENTION_DAYS, AuditEvent

from .models import LegalHold, PersonRetentionClock, RetentionSchedule


def schedule_of(task_force: TaskForce) -> RetentionSchedule:
    """The task force's schedule, or the defaults (unsaved) when it never set one."""
    return RetentionSchedule.objects.filter(task_force=task_force).first() or RetentionSchedule(task_force=task_force)


@dataclass(frozen=True)
class Rules:
    task_force: TaskForce
    now: datetime.datetime
    schedule: RetentionSchedule

    @property
    def today(self) -> datetime.date:
        return self.now.astimezone(zoneinfo.ZoneInfo(self.task_force.timezone)).date()

    def _before(self, days: int) -> datetime.datetime:
        return self.now - datetime.timedelta(days=days)

    @property
    def referral_cutoff(self) -> datetime.datetime:
        return self._before(self.schedule.referral_days)

    @property
    def person_cutoff(self) -> datetime.datetime:
        return self._before(self.schedule.person_days)

    @property
    def consent_cutoff(self) -> datetime.datetime:
        return self._before(self.schedule.consent_days)

    @property
    def consent_expiry_cutoff(self) -> datetime.date:
        return self.today - datetime.timedelta(days=self.schedule.consent_days)

    @property
    def audit_cutoff(self) -> datetime.datetime:
        return self._before(max(self.schedule.audit_days, AUDIT_MIN_RETENTION_DAYS))

    # --- holds

    def active_holds(self) -> QuerySet[LegalHold]:
        return LegalHold.objects.filter(task_force=self.task_force, released_at__isnull=True).filter(
            Q(until__isnull=True) | Q(until__gte=self.today)
        )

    def _person_held(self, person_ref: str) -> Q:
        """True for a person held themselves, through a hold on one of their referrals, or through a hold on a
        record merged into theirs."""
        holds = self.active_holds()
        return (
            Q(Exists(holds.filter(person_id=OuterRef(person_ref))))
            | Q(Exists(holds.filter(referral__person_id=OuterRef(person_ref))))
            | Q(Exists(holds.filter(person__merged_into_id=OuterRef(person_ref))))
        )

    # --- what goes

    def referrals(self) -> QuerySet[Referral]:
        holds = self.active_holds()
        return (
            Referral.objects.filter(
                task_force=self.task_force, status__in=CLOSED_STATUSES, closed_at__lt=self.referral_cutoff
            )
            .exclude(Exists(holds.filter(referral_id=OuterRef("pk"))))
            .exclude(Exists(holds.filter(person_id=OuterRef("person_id"))))
        )

    def consents(self) -> QuerySet[Consent]:
        """Consents ended long enough ago (the ones that go with their person are in ``consents_of_people``)."""
        ended = Q(revoked_at__lt=self.consent_cutoff) | Q(expires_on__lt=self.consent_expiry_cutoff)
        return Consent.objects.filter(ended, task_force=self.task_force).exclude(self._person_held("person_id"))

    def people(self) -> QuerySet[Person]:
        """People whose retention has run out once this purge's referrals are gone (annotated ``last_activity``:
        when their last referral closed, or when their record was made)."""
        kept = Referral.objects.filter(person_id=OuterRef("pk")).exclude(pk__in=self.referrals().values("pk"))
        last_closed = (
            Referral.objects.filter(person_id=OuterRef("pk"))
            .order_by()
            .values("person_id")
            .annotate(last=Max("closed_at"))
            .values("last")
        )
        clock = PersonRetentionClock.objects.filter(person_id=OuterRef("pk")).values("last_referral_closed_at")
        return (
            Person.objects.filter(task_force=self.task_force, merged_into__isnull=True)
            .exclude(Exists(kept))
            .exclude(self._person_held("pk"))
            .annotate(
                last_activity=Greatest(
                    F("created_at"),
                    Coalesce(Subquery(clock), F("created_at")),
                    Coalesce(Subquery(last_closed), F("created_at")),
                )
            )
            .filter(last_activity__lt=self.person_cutoff)
        )

    def people_with_merged(self) -> QuerySet[Person]:
        """The people that go and the records merged into theirs (hidden duplicates that go with them)."""
        going = self.people().values("pk")
        return Person.objects.filter(Q(pk__in=going) | Q(merged_into_id__in=going), task_force=self.task_force)

    def consents_of_people(self) -> QuerySet[Consent]:
        return Consent.objects.filter(task_force=self.task_force, person__in=self.people_with_merged().values("pk"))

    def audit_events(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.filter(task_force=self.task_force, at__lt=self.audit_cutoff)


def rules_for(task_force: TaskForce, now: datetime.datetime) -> Rules:
    return Rules(task_force=task_force, now=now, schedule=schedule_of(task_force))
