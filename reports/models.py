"""Monthly outcome reports: the immutable snapshot of a month's numbers and its files, the violent-crime counts the
police partner uploads, and the business-day calendar the metrics count in.

The numbers are computed in ``reports/metrics.py`` (each defined there, once); snapshots are made by
``reports/services.py``. Models hold fields, choices, constraints and indexes.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, TaskForce


class CalendarDay(models.Model):
    """One day of the business-day calendar: weekends and U.S. federal holidays (observed, as ``cases.sla``) are not
    business days. ``business_index`` counts the business days from the table's first day up to and including this
    one, so the business days between two dates are one subtraction in SQL (``metrics.py`` does it); ``day_number``
    counts every day likewise (calendar days between two dates)."""

    day = models.DateField(primary_key=True)
    day_number = models.PositiveIntegerField(unique=True)
    is_business_day = models.BooleanField()
    business_index = models.PositiveIntegerField()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} ({self.business_index})"


class Offense(models.TextChoices):
    """Violent-crime categories of the police partner's monthly counts (after the FBI's UCR/NIBRS groupings)."""

    HOMICIDE = "homicide", _("Homicide")
    NON_FATAL_SHOOTING = "non_fatal_shooting", _("Non-fatal shooting")
    AGGRAVATED_ASSAULT = "aggravated_assault", _("Aggravated assault")
    ROBBERY = "robbery", _("Robbery")
    RAPE = "rape", _("Rape")
    CARJACKING = "carjacking", _("Carjacking")
    OTHER_VIOLENT = "other_violent", _("Other violent crime")


class CrimeCountUpload(models.Model):
    """One accepted CSV upload: which months it replaced, by whom, from which file name (the rows are the counts)."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    filename = models.CharField(max_length=200, blank=True)
    months = models.JSONField(default=list)  # ["2026-09", "2026-10"]
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["task_force", "uploaded_at"], name="crimeupload_tf_at_idx")]

    def __str__(self) -> str:
        return f"{self.filename or 'upload'} ({', '.join(self.months)})"


class CrimeCount(models.Model):
    """A month's count of one offense in the task force's area, as the police partner reported it."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    month = models.DateField(_("month"))  # the first day of the month
    offense = models.CharField(_("offense"), max_length=30, choices=Offense.choices)
    count = models.PositiveIntegerField(_("count"))
    upload = models.ForeignKey(CrimeCountUpload, on_delete=models.PROTECT, related_name="counts")

    class Meta:
        ordering = ["month", "offense"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "month", "offense"], name="crimecount_one_per_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="crimecount_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.get_offense_display()}: {self.count}"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ReportSnapshot(models.Model):
    """The numbers of one task force's month as of its generation, and its files. Immutable once done: generating
    the month again makes a new version; every version stays viewable."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    period = models.DateField(_("month"))  # the first day of the month
    version = models.PositiveIntegerField(editable=False)
    # The monthly run of the beat schedule (at most one per task force and month) or a coordinator's request.
    scheduled = models.BooleanField(default=False, editable=False)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    progress_label = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The numbers (metrics.compute) and the shared version's (suppression applied), as stored data.
    numbers = models.JSONField(null=True, blank=True, editable=False)
    shared_numbers = models.JSONField(null=True, blank=True, editable=False)
    csv_file = models.FileField(upload_to="reports/", blank=True, editable=False)
    pdf_file = models.FileField(upload_to="reports/", blank=True, editable=False)
    shared_csv_file = models.FileField(upload_to="reports/", blank=True, editable=False)
    shared_pdf_file = models.FileField(upload_to="reports/", blank=True, editable=False)

    class Meta:
        ordering = ["-period", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["task_force", "period", "version"], name="report_version_unique"),
            models.UniqueConstraint(
                fields=["task_force", "period"], condition=models.Q(scheduled=True), name="report_one_scheduled_run"
            ),
            models.CheckConstraint(condition=models.Q(period__day=1), name="report_period_is_first_day"),
            models.CheckConstraint(
                condition=models.Q(progress__gte=0, progress__lte=100), name="report_progress_is_percent"
            ),
        ]
        indexes = [
            models.Index(fields=["task_force", "period", "version"], name="report_tf_period_idx"),
            models.Index(fields=["status", "created_at"], name="report_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task_force} {self.period:%Y-%m} v{self.version}"

    @property
    def is_done(self) -> bool:
        return self.status == ReportStatus.DONE
