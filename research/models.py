"""Research extracts (issue 10, item 1): a coordinator's grant of de-identified extracts to the task force's research
partner for a period, and the extracts made under it (a zip of CSV files built by the worker).

The keys that turn a person's id into a pseudonym are random bytes kept here and nowhere else: never exported, never
shown, not in the admin. Building is in ``research/extract.py`` (the de-identification) and ``research/services.py``.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, TaskForce

# The smallest group of people an extract may single out (k-anonymity's k, and the neighborhood threshold).
K_THRESHOLD = 5
QUASI_IDENTIFIERS = ("age_band", "neighborhood", "language")


class ResearchGrant(models.Model):
    """The research partner may receive extracts covering ``period_start``..``period_end`` until ``valid_until``
    (inclusive, in the task force's timezone), unless revoked."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+", verbose_name=_("research partner"))
    period_start = models.DateField(_("extracts cover from"))
    period_end = models.DateField(_("extracts cover up to"))
    valid_until = models.DateField(_("access valid until"))
    # The stable key of a longitudinal study: extracts made with "stable key" use it, so a person keeps their
    # pseudonym across this grant's extracts.
    secret = models.BinaryField(editable=False)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    granted_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-granted_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")), name="research_grant_period_order"
            ),
        ]
        indexes = [models.Index(fields=["task_force", "partner", "valid_until"], name="research_grant_tf_idx")]

    def __str__(self) -> str:
        return f"{self.partner} {self.period_start}–{self.period_end}"

    def is_active_on(self, day: datetime.date) -> bool:
        return self.revoked_at is None and day <= self.valid_until


class ExtractStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused (k below 5)")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired (file deleted after the grant ended)")


def extract_path(instance, filename: str) -> str:
    """A non-guessable stored name (served only through the download view)."""
    return f"research/{instance.task_force_id}/{uuid.uuid4().hex}.zip"


class ResearchExtract(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    grant = models.ForeignKey(ResearchGrant, on_delete=models.PROTECT, related_name="extracts", editable=False)
    stable_key = models.BooleanField(_("stable key (longitudinal)"), default=False)
    shift_dates = models.BooleanField(_("shift dates per person"), default=False)
    suppress = models.BooleanField(_("suppress cells that break k-anonymity"), default=False)
    # This extract's own key (empty with a stable key: the grant's is used).
    secret = models.BinaryField(editable=False, default=b"")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=ExtractStatus.choices, default=ExtractStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    progress_label = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # What the build found: k over the quasi-identifiers (None: no people in the period), the sizes of the classes
    # below the threshold (a refusal shows them, by size only), what suppression changed, rows per file.
    k = models.PositiveIntegerField(null=True, blank=True, editable=False)
    quasi_identifiers = models.JSONField(default=list, editable=False)
    people = models.PositiveIntegerField(default=0, editable=False)
    small_classes = models.JSONField(default=list, editable=False)
    suppressed_people = models.PositiveIntegerField(default=0, editable=False)
    suppressed_cells = models.PositiveIntegerField(default=0, editable=False)
    unlinked_people = models.PositiveIntegerField(default=0, editable=False)
    row_counts = models.JSONField(default=dict, editable=False)
    file = models.FileField(upload_to=extract_path, blank=True, max_length=255, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=100), name="research_extract_progress_is_percent"
            ),
        ]
        indexes = [
            models.Index(fields=["task_force", "created_at"], name="research_extract_tf_idx"),
            models.Index(fields=["grant", "created_at"], name="research_extract_grant_idx"),
        ]

    def __str__(self) -> str:
        return f"extract {self.pk} ({self.grant.period_start}–{self.grant.period_end})"

    @property
    def is_done(self) -> bool:
        return self.status == ExtractStatus.DONE

    @property
    def is_running(self) -> bool:
        return self.status in (ExtractStatus.QUEUED, ExtractStatus.RUNNING)
