"""Report actions: request a month's report, the monthly scheduled run, building a snapshot (the Celery task's
work, with progress), retrying a failed one. Pages, API, tasks and ``build_report`` call these.

A snapshot is immutable once done: nothing here changes a done snapshot; generating the month again makes the next
version. Building is claimed with a conditional UPDATE (queued -> running), so a task delivered twice builds once;
a build whose worker died (running for longer than ``PSN_REPORT_STALE_SECONDS``) may be claimed again: the broker
delivers its message again (acks late), and the beat's ``reports_recover_stale`` queues it again or, its attempts used
up, marks it failed with the reason, so no report stays "running" for ever.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import TaskForce
from psn import access, audit, jobs
from psn.tasks import enqueue_on_commit

from . import metrics, suppression, tidy
from .models import ReportSnapshot, ReportStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = jobs.MAX_ATTEMPTS
# The monthly run: on the 1st of each month from this local hour, last month's report.
SCHEDULED_HOUR = 6


def _enqueue(snapshot: ReportSnapshot) -> None:
    from .tasks import build_report

    enqueue_on_commit(build_report, snapshot.pk)


def _stale_after() -> datetime.timedelta:
    """A build running this long lost its worker (a month builds in seconds; the window leaves a wide margin)."""
    return datetime.timedelta(seconds=settings.PSN_REPORT_STALE_SECONDS)


def _next_version(task_force: TaskForce, month: datetime.date) -> int:
    """The next version number of the month (the task force row is locked by the caller)."""
    latest = ReportSnapshot.objects.filter(task_force=task_force, period=month).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def _check_month(task_force: TaskForce, month: datetime.date) -> None:
    today = timezone.localdate(timezone=metrics.Period(task_force, month).tz)
    if month > today.replace(day=1):
        raise ValidationError({"month": _("Choose a month that has begun.")})
    if month.year < 2000:
        raise ValidationError({"month": _("Choose a month from 2000 on.")})


def _create(task_force: TaskForce, month: datetime.date, *, user=None, scheduled: bool = False) -> ReportSnapshot:
    TaskForce.objects.select_for_update().get(pk=task_force.pk)
    return ReportSnapshot.objects.create(
        task_force=task_force,
        period=month,
        version=_next_version(task_force, month),
        scheduled=scheduled,
        generated_by=user,
    )


def report_queue(*, task_force: TaskForce, month: datetime.date, user=None, enqueue: bool = True) -> ReportSnapshot:
    """A new queued version of a month's report (built by the worker unless ``enqueue`` is False: the
    ``build_report`` command builds it in its own process)."""
    month = metrics.month_of(month)
    _check_month(task_force, month)
    with transaction.atomic():
        snapshot = _create(task_force, month, user=user)
        if enqueue:
            _enqueue(snapshot)
    return snapshot


def report_request(*, actor: access.Actor, month: datetime.date, request=None) -> ReportSnapshot:
    """A coordinator asks for a month's report: a new queued version, built by the worker."""
    access.require(access.can_manage_reports(actor), _("Only coordinators generate reports."))
    with transaction.atomic():
        snapshot = report_queue(task_force=actor.task_force, month=month, user=actor.user)
        audit.record(
            action=audit.AuditAction.CREATED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=snapshot,
            changes={"period": snapshot.period.isoformat(), "version": snapshot.version},
            request=request,
        )
    return snapshot


def reports_schedule_monthly(*, now: datetime.datetime | None = None) -> list[ReportSnapshot]:
    """The beat task (run often): for each active task force where it is now the 1st of the month from 06:00
    local time or later in the month, last month's scheduled report, once (the unique constraint on task force and
    period for scheduled runs makes a second run, or a second beat, create nothing)."""
    now = now or timezone.now()
    made = []
    for task_force in TaskForce.objects.filter(active=True).order_by("pk"):
        local = timezone.localtime(now, metrics.Period(task_force, now.date()).tz)
        if local.day == 1 and local.hour < SCHEDULED_HOUR:
            continue
        month = metrics.Period(task_force, local.date().replace(day=1)).shifted(-1).month
        if ReportSnapshot.objects.filter(task_force=task_force, period=month, scheduled=True).exists():
            continue
        try:
            with transaction.atomic():
                snapshot = _create(task_force, month, scheduled=True)
                _enqueue(snapshot)
        except IntegrityError:
            continue  # another beat made it a moment ago
        made.append(snapshot)
    return made


def _progress(snapshot_id: int, echo: Callable[[int, str], None] | None) -> Callable[[int, str], None]:
    record = jobs.job_progress(ReportSnapshot, snapshot_id)

    def tell(percent: int, label: str) -> None:
        record(percent, label)
        if echo is not None:
            echo(percent, label)
        if settings.PSN_REPORT_STEP_DELAY_MS:  # tests only: a build slow enough to kill its worker mid-way
            time.sleep(settings.PSN_REPORT_STEP_DELAY_MS / 1000)

    return tell


def report_build(
    *, snapshot_id: int, renderers: dict | None = None, echo: Callable[[int, str], None] | None = None
) -> ReportSnapshot | None:
    """Build a queued snapshot: the numbers, the shared version, the CSV files (and the PDFs, by the renderers
    given: ``{"pdf": callable(snapshot, numbers) -> bytes}``). Returns the snapshot, or None when another run has it
    or it is done. A failure marks it failed with the reason (and re-raises for the worker's log)."""
    now = timezone.now()
    if not jobs.job_claim(ReportSnapshot, snapshot_id, now=now, stale_after=_stale_after()):
        return None
    snapshot = ReportSnapshot.objects.select_related("task_force").get(pk=snapshot_id)
    tell = _progress(snapshot_id, echo)
    try:
        numbers = metrics.compute(snapshot.task_force, snapshot.period, progress=tell)
        numbers["meta"]["version"] = snapshot.version
        shared = suppression.suppress(numbers)
        tell(85, "files")
        files = _files(snapshot, numbers, shared, renderers or {})
        tell(99, "saving")
    except Exception as exc:  # any failure of a build is recorded on the snapshot (the page shows it), then re-raised
        jobs.job_fail(ReportSnapshot, snapshot_id, exc)
        raise
    with transaction.atomic():
        locked = ReportSnapshot.objects.select_for_update().get(pk=snapshot_id)
        if locked.status != ReportStatus.RUNNING:
            return None
        locked.numbers, locked.shared_numbers = numbers, shared
        for field, (name, content) in files.items():
            getattr(locked, field).save(name, ContentFile(content), save=False)
        locked.status, locked.progress, locked.progress_label = ReportStatus.DONE, 100, "done"
        locked.finished_at = timezone.now()
        locked.save()
        if locked.scheduled:
            transaction.on_commit(lambda: _email_coordinators(locked))
    return locked


def reports_recover_stale(*, now: datetime.datetime | None = None) -> dict[str, list[int]]:
    """The beat task: builds whose worker was lost are queued again or, their attempts used up, marked failed with
    the reason, which the coordinator sees on the report's page with a Retry button (``psn.jobs``)."""
    from .tasks import build_report

    return jobs.jobs_recover_stale(ReportSnapshot, task=build_report, stale_after=_stale_after(), now=now)


def _files(snapshot: ReportSnapshot, numbers: dict, shared: dict, renderers: dict) -> dict[str, tuple[str, bytes]]:
    stem = f"{snapshot.task_force.slug}-{snapshot.period:%Y-%m}-v{snapshot.version}"
    files = {
        "csv_file": (f"{stem}.csv", tidy.csv_bytes(numbers)),
        "shared_csv_file": (f"{stem}-shared.csv", tidy.csv_bytes(shared)),
    }
    if "pdf" in renderers:
        files["pdf_file"] = (f"{stem}.pdf", renderers["pdf"](snapshot, numbers))
        files["shared_pdf_file"] = (f"{stem}-shared.pdf", renderers["pdf"](snapshot, shared))
    return files


def report_retry(*, actor: access.Actor, snapshot: ReportSnapshot, request=None) -> ReportSnapshot:
    """Queue a failed build again (a fresh set of attempts)."""
    access.require(access.can_manage_reports(actor), _("Only coordinators generate reports."))
    with transaction.atomic():
        changed = ReportSnapshot.objects.filter(
            pk=snapshot.pk, task_force=actor.task_force, status=ReportStatus.FAILED
        ).update(status=ReportStatus.QUEUED, attempts=0, progress=0, progress_label="", error="")
        if not changed:
            raise ValidationError(_("Only a failed report can be retried."))
        audit.record(
            action=audit.AuditAction.CHANGED,
            actor=actor.user,
            task_force=actor.task_force,
            obj=snapshot,
            changes={"status": [ReportStatus.FAILED, ReportStatus.QUEUED]},
            request=request,
        )
        _enqueue(snapshot)
    snapshot.refresh_from_db()
    return snapshot


def _email_coordinators(snapshot: ReportSnapshot) -> None:
    """Tell the task force's coordinators the monthly report is ready: a link, never the numbers."""
    from cases.notifications import coordinators_of

    url = settings.PSN_SITE_URL + reverse("reports:report_detail", kwargs={"pk": snapshot.pk})
    context = {"snapshot": snapshot, "url": url, "task_force": snapshot.task_force}
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(
        render_to_string("emails/report_ready_subject.txt", context).split()
    )
    for user in coordinators_of(snapshot.task_force_id):
        email = EmailMultiAlternatives(
            subject=subject, body=render_to_string("emails/report_ready.txt", context), to=[user.email]
        )
        email.attach_alternative(render_to_string("emails/report_ready.html", context), "text/html")
        email.send()


@dataclass(frozen=True)
class ReportFile:
    handle: object
    filename: str
    content_type: str


FILE_FORMATS = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
FILE_VERSIONS = ("full", "shared")


def report_file_open(
    *, actor: access.Actor, snapshot: ReportSnapshot, file_format: str, version: str, request=None
) -> ReportFile | None:
    """Open a done snapshot's stored CSV or PDF (full or shared) for download, audited as an export; None when there
    is no such file (yet). The page's and the API's downloads both come here."""
    access.require(access.can_manage_reports(actor), _("Only coordinators download reports."))
    if file_format not in FILE_FORMATS or version not in FILE_VERSIONS:
        return None
    stored = getattr(snapshot, f"{'shared_' if version == 'shared' else ''}{file_format}_file")
    if snapshot.status != ReportStatus.DONE or not stored:
        return None
    handle = stored.open("rb")
    audit.record(
        action=audit.AuditAction.EXPORTED,
        actor=actor.user,
        task_force=snapshot.task_force,
        obj=snapshot,
        changes={
            "format": file_format,
            "version": version,
            "period": f"{snapshot.period:%Y-%m}",
            "report": snapshot.version,
        },
        request=request,
    )
    suffix = "-shared" if version == "shared" else ""
    filename = f"{snapshot.task_force.slug}-{snapshot.period:%Y-%m}-v{snapshot.version}{suffix}.{file_format}"
    return ReportFile(handle=handle, filename=filename, content_type=FILE_FORMATS[file_format])
