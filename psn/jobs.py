"""Builds a worker does for a row that tracks them: a monthly report (reports.ReportSnapshot), a research extract
(research.ResearchExtract), a person's record for a records request (cases.PersonRecordJob).

Each such model has the same fields: ``status`` ("queued", "running", "done", "failed", and any of its own),
``created_at``, ``started_at``, ``finished_at``, ``progress`` (a percent), ``progress_label``, ``error`` and
``attempts``. The moves written once here:

- ``job_claim``: a conditional UPDATE (queued -> running, or running past the stale window after a lost worker), so
  a task delivered twice builds once;
- ``job_progress``: what the build tells the page while it runs (1..99: 100 is for done);
- ``job_fail``: a failure recorded on the row (the page shows it);
- ``jobs_recover_stale``: the beat's sweep for builds whose worker was lost (killed, out of memory, its message gone
  with the broker): each is queued again while it has attempts left, else marked failed with the reason;
- ``jobs_files_expire``: a done build's file deleted when it is no longer to be kept, the row left as history.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .tasks import enqueue_on_commit

logger = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, EXPIRED = "queued", "running", "done", "failed", "expired"
MAX_ATTEMPTS = 3


def job_claim(model: type[models.Model], pk: int, *, now: datetime.datetime, stale_after: datetime.timedelta) -> bool:
    """Take the build of row ``pk``: True when this run has it (and must build), False when another run has it, it
    is finished, or its attempts are used up."""
    claimable = Q(status=QUEUED) | Q(status=RUNNING, started_at__lt=now - stale_after)
    return bool(
        model.objects.filter(claimable, pk=pk, attempts__lt=MAX_ATTEMPTS).update(
            status=RUNNING, started_at=now, progress=1, progress_label="starting", error="", attempts=F("attempts") + 1
        )
    )


def job_progress(model: type[models.Model], pk: int) -> Callable[[int, str], None]:
    def tell(percent: int, label: str) -> None:
        model.objects.filter(pk=pk, status=RUNNING).update(
            progress=max(1, min(percent, 99)), progress_label=label[:100]
        )

    return tell


def job_fail(model: type[models.Model], pk: int, exc: BaseException) -> None:
    """Record a running build's failure on its row (then the caller re-raises it for the worker's log)."""
    model.objects.filter(pk=pk, status=RUNNING).update(
        status=FAILED, error=f"{type(exc).__name__}: {exc}"[:500], finished_at=timezone.now()
    )


def jobs_recover_stale(
    model: type[models.Model], *, task, stale_after: datetime.timedelta, now: datetime.datetime | None = None
) -> dict[str, list[int]]:
    """Builds running, or still queued, past the stale window: queue each again with ``task`` while it has attempts
    left (its claim takes it over; a second delivery finds it claimed and does nothing); mark the others failed with
    the reason. Returns the ids queued and failed."""
    now = now or timezone.now()
    cutoff = now - stale_after
    stale = model.objects.filter(Q(status=RUNNING, started_at__lt=cutoff) | Q(status=QUEUED, created_at__lt=cutoff))
    what = model._meta.verbose_name_plural
    failed = list(stale.filter(attempts__gte=MAX_ATTEMPTS).values_list("pk", flat=True))
    if failed:
        stale.filter(pk__in=failed, attempts__gte=MAX_ATTEMPTS).update(
            status=FAILED,
            error=_("The build stopped before it finished (%(attempts)d attempts): the worker was lost.")
            % {"attempts": MAX_ATTEMPTS},
            finished_at=now,
        )
        logger.warning("%s given up after %d lost builds: %s", what, MAX_ATTEMPTS, failed)
    queued = list(stale.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True))
    if queued:
        logger.warning("%s taken over after their worker was lost: %s", what, queued)
        for pk in queued:
            enqueue_on_commit(task, pk)
    return {"queued": queued, "failed": failed}


def progress_payload(job: models.Model, *, label: str, url: str) -> dict:
    """What a build's progress URL answers, read by static/js/report_progress.js: the status, the percent, the step
    in words, the failure's reason and the page to show when done."""
    return {"status": job.status, "progress": job.progress, "label": label, "error": job.error, "url": url}


def jobs_files_expire(model: type[models.Model], due: models.QuerySet, *, cleared: dict | None = None) -> list[int]:
    """Each done row of ``due`` (re-read locked: still done) becomes "expired": its ``file`` is emptied, the fields of
    ``cleared`` set (a key no longer needed), and the stored file deleted once that commits. Returns their ids;
    run again, it finds nothing."""
    cleared = cleared or {}
    expired = []
    for pk in list(due.filter(status=DONE).order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            row = model.objects.select_for_update().filter(pk=pk, status=DONE).first()
            if row is None:
                continue
            name, storage = row.file.name, row.file.storage
            row.status, row.file = EXPIRED, ""
            for field, value in cleared.items():
                setattr(row, field, value)
            row.save(update_fields=["status", "file", *cleared])
            if name:
                transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))
        expired.append(pk)
    return expired
