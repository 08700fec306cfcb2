"""Data governance: each task force's retention schedule, the record of every purge (counts, never content), the
legal holds that keep a person or a referral from any purge, and the clock a person's retention runs on once their
referrals are gone.

The purge itself is ``governance/services.py``; these models hold fields, constraints and indexes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import TaskForce

# CJIS Security Policy 5.9.5, AU-11: audit records are kept at least a year.
AUDIT_MIN_DAYS = 365
# Below this a schedule would purge records while their case is still being talked about: a typing slip, not policy.
RECORD_MIN_DAYS = 30
MAX_DAYS = 36500
# Seven years: the longest common U.S. records schedule for social-service case files.
DEFAULT_DAYS = 2555


class RetentionSchedule(models.Model):
    """How long a task force keeps each record type once it is finished with. A task force without a row keeps
    the defaults (``DEFAULT_DAYS`` for every type)."""

    task_force = models.OneToOneField(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    referral_days = models.PositiveIntegerField(
        _("closed referrals (days after closing)"),
        default=DEFAULT_DAYS,
        help_text=_("With their notes, attachments, transitions and notifications."),
    )
    person_days = models.PositiveIntegerField(
        _("people (days after their last referral closed)"),
        default=DEFAULT_DAYS,
        help_text=_("Only people with no referral left; for people never referred, days after the record was made."),
    )
    consent_days = models.PositiveIntegerField(_("consents (days after expiry or revocation)"), default=DEFAULT_DAYS)
    audit_days = models.PositiveIntegerField(
        _("audit events (days)"),
        default=DEFAULT_DAYS,
        help_text=_("At least 365 days (CJIS Security Policy, AU-11)."),
    )
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(audit_days__gte=AUDIT_MIN_DAYS), name="retention_audit_min"),
            models.CheckConstraint(
                condition=models.Q(
                    referral_days__gte=RECORD_MIN_DAYS,
                    person_days__gte=RECORD_MIN_DAYS,
                    consent_days__gte=RECORD_MIN_DAYS,
                ),
                name="retention_records_min",
            ),
        ]

    def __str__(self) -> str:
        return f"retention of {self.task_force_id}"


class PurgeRun(models.Model):
    """One purge of one task force: when, and how many rows of each type went (``counts``). No content."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    counts = models.JSONField(default=dict, editable=False)
    # Set when a run was found unfinished long after it started (its worker died): the next run takes over.
    interrupted = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            # At most one run in progress per task force: a second worker (or a second beat) finds it and stops.
            models.UniqueConstraint(
                fields=["task_force"], condition=models.Q(finished_at__isnull=True), name="purge_one_running"
            ),
        ]
        indexes = [models.Index(fields=["task_force", "-started_at"], name="purge_tf_started_idx")]

    def __str__(self) -> str:
        return f"purge {self.task_force_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class HoldKind(models.TextChoices):
    PERSON = "person", _("Person")
    REFERRAL = "referral", _("Referral")


class LegalHold(models.Model):
    """A person or a referral kept from every purge while the hold is active (not released, its end date not
    passed). A person's hold keeps all their referrals; a referral's keeps its person. The record keys are set
    null only when a released or ended hold's record is purged later (the label stays)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(_("record"), max_length=10, choices=HoldKind.choices)
    person = models.ForeignKey(
        "cases.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    referral = models.ForeignKey(
        "cases.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # What the hold was placed on, as shown (a referral's reference or a person's record number): never a name.
    record_label = models.CharField(max_length=40, editable=False)
    reason = models.CharField(_("reason"), max_length=500)
    until = models.DateField(_("until"), null=True, blank=True, help_text=_("Leave empty to hold until released."))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    placed_at = models.DateTimeField(default=timezone.now, editable=False)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    released_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="person", referral__isnull=True)
                | models.Q(kind="referral", person__isnull=True),
                name="hold_one_record",
            ),
            # A hold with no end and not released always points at its record (nothing purges held records).
            models.CheckConstraint(
                condition=models.Q(person__isnull=False)
                | models.Q(referral__isnull=False)
                | models.Q(released_at__isnull=False)
                | models.Q(until__isnull=False),
                name="hold_active_has_record",
            ),
        ]
        indexes = [
            models.Index(fields=["task_force", "released_at", "-placed_at"], name="hold_tf_released_idx"),
            models.Index(fields=["person"], condition=models.Q(released_at__isnull=True), name="hold_person_idx"),
            models.Index(fields=["referral"], condition=models.Q(released_at__isnull=True), name="hold_referral_idx"),
        ]

    def __str__(self) -> str:
        return f"hold on {self.record_label}"

    def is_active(self, today) -> bool:
        return self.released_at is None and (self.until is None or self.until >= today)


class PersonRetentionClock(models.Model):
    """When a person's last referral closed, kept when the purge removes their referrals: their own retention
    counts from it, and the referrals that told it are gone."""

    person = models.OneToOneField("cases.Person", on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_referral_closed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.person_id}: {self.last_referral_closed_at:%Y-%m-%d}"
