"""HSDS import and export as actions: start an import (or dry run), run it, confirm a previewed one, export.

The page, the API, the Celery task and the management commands all call these. The reading of files is
``reader``; validating and writing the directory is ``importer`` (all or nothing) and ``export``.
"""

from __future__ import annotations

import io
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import connection, connections, transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import DirectoryImport, DirectoryImportStatus, TaskForce
from psn import access, audit
from psn.tasks import enqueue_on_commit

from . import reader
from .types import ImportResult, Problem, ReadResult

logger = logging.getLogger(__name__)

Status = DirectoryImportStatus
# A previewed upload waits this long for "Import now"; then its file is deleted.
CONFIRM_WINDOW = timedelta(days=1)
# A run still "running" this long after it started died with its worker (10,000 services take about a minute;
# nothing was written: the import is one transaction), so a redelivered task may take it over.
STALE_RUN = timedelta(minutes=30)
PROGRESS_INTERVAL = 0.5  # seconds between progress UPDATEs
READ_SHARE = 10  # percent of the bar for reading the file; the importer has the rest


def _problem_dicts(problems: list[Problem]) -> list[dict[str, Any]]:
    return [problem.as_dict() for problem in problems]


def _errors(problems: list[Problem]) -> int:
    return sum(1 for problem in problems if problem.severity == "error")


# --- Starting ---------------------------------------------------------------------------------------------


def directory_import_start(*, actor: access.Actor, uploaded_file, dry_run: bool, request=None) -> DirectoryImport:
    """Store an uploaded HSDS file privately and import it: small files at once, large ones in a worker."""
    access.require(access.can_import_directory(actor), _("Only coordinators can import the directory."))
    name = Path(getattr(uploaded_file, "name", "") or "").name[:255]
    file_format = reader.file_format_of(name)
    if file_format is None:
        raise ValidationError({"file": _("Choose a .json file (HSDS JSON) or a .zip file (HSDS CSV package).")})
    size = uploaded_file.size
    limit = settings.PSN_HSDS_MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            {"file": _("The file is larger than the limit of %(mb)s MB.") % {"mb": reader.megabytes(limit)}}
        )
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    directory_import = DirectoryImport(
        task_force=actor.task_force,
        created_by=actor.user,
        original_name=name,
        file_format=file_format,
        size=size,
        dry_run=dry_run,
    )
    directory_import.full_clean(exclude=["file"])
    with transaction.atomic():
        # A random name: the original one is only shown, never used as a path.
        directory_import.file.save(f"{uuid.uuid4().hex}.{file_format}", File(uploaded_file), save=False)
        directory_import.save()
        audit.record(
            action="created",
            actor=actor.user,
            task_force=actor.task_force,
            obj=directory_import,
            changes={"dry_run": [None, str(dry_run)], "size": [None, str(size)]},
            request=request,
        )
        _schedule(directory_import)
    return _run_inline_if_small(directory_import)


def _schedule(directory_import: DirectoryImport) -> None:
    if directory_import.size > settings.PSN_HSDS_INLINE_MAX_BYTES:
        from .tasks import run_directory_import

        enqueue_on_commit(run_directory_import, directory_import.pk)


def _run_inline_if_small(directory_import: DirectoryImport) -> DirectoryImport:
    if directory_import.size <= settings.PSN_HSDS_INLINE_MAX_BYTES:
        directory_import_run(import_id=directory_import.pk)
    directory_import.refresh_from_db()
    return directory_import


def directory_import_confirm(*, actor: access.Actor, import_id: int, request=None) -> DirectoryImport:
    """Import for real the file of a successful dry run: a new import of the same stored file, once."""
    with transaction.atomic():
        preview = get_object_or_404(access.directory_imports_of_task_force(actor).select_for_update(), pk=import_id)
        access.require(access.can_import_directory(actor), _("Only coordinators can import the directory."))
        if not preview.dry_run or preview.status != Status.DONE or _errors_in(preview.problems):
            raise ValidationError(_("Only a successful preview (dry run) can be imported."))
        if not directory_import_confirmable(preview):
            raise ValidationError(_("This preview was already imported or has expired; upload the file again."))
        directory_import = DirectoryImport(
            task_force=preview.task_force,
            created_by=actor.user,
            original_name=preview.original_name,
            file_format=preview.file_format,
            size=preview.size,
            dry_run=False,
        )
        # The file changes hands: the preview cannot be confirmed a second time.
        directory_import.file.name = preview.file.name
        directory_import.save()
        preview.file = ""
        preview.save(update_fields=["file"])
        audit.record(
            action="created",
            actor=actor.user,
            task_force=actor.task_force,
            obj=directory_import,
            changes={"confirms": [None, str(preview.pk)]},
            request=request,
        )
        _schedule(directory_import)
    return _run_inline_if_small(directory_import)


def directory_import_confirmable(directory_import: DirectoryImport) -> bool:
    """A dry run that found nothing wrong, whose file is still kept: "Import now" is offered."""
    return bool(
        directory_import.dry_run
        and directory_import.status == Status.DONE
        and directory_import.file
        and not _errors_in(directory_import.problems)
        and timezone.now() - directory_import.created_at <= CONFIRM_WINDOW
    )


def _errors_in(problem_dicts: list[dict]) -> int:
    return sum(1 for problem in problem_dicts or [] if problem.get("severity", "error") == "error")


# --- Running ----------------------------------------------------------------------------------------------


class _Progress:
    """The importer's progress callback: a throttled UPDATE of the import's row.

    Inside the importer's own transaction an UPDATE on our connection would stay invisible until the end,
    so there it goes through a second connection (PostgreSQL) or waits (SQLite has one writer at a time).
    """

    def __init__(self, import_id: int):
        self.import_id = import_id
        self.outer_atomic = connection.in_atomic_block
        self.last_time = 0.0
        self.last: tuple[int, str] | None = None
        self.side_connection = None

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        stage = kwargs.get("stage")
        numbers: list[float] = []
        for value in args:
            if isinstance(value, str):
                stage = value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                numbers.append(value)
        for key in ("done", "total", "percent", "fraction"):
            if isinstance(kwargs.get(key), int | float):
                numbers.append(kwargs[key])
        if len(numbers) >= 2:
            fraction = numbers[0] / numbers[1] if numbers[1] else 1.0
        elif numbers:
            fraction = numbers[0] if isinstance(numbers[0], float) and numbers[0] <= 1 else numbers[0] / 100
        else:
            fraction = None
        self.update(fraction=fraction, stage=stage)

    def update(self, *, fraction: float | None = None, stage: str | None = None, share=(READ_SHARE, 99)) -> None:
        low, high = share
        percent = self.last[0] if self.last and fraction is None else low
        if fraction is not None:
            percent = int(low + (high - low) * max(0.0, min(1.0, fraction)))
        stage = (stage if stage is not None else (self.last[1] if self.last else ""))[:100]
        now = time.monotonic()
        if (percent, stage) == self.last or (
            self.last is not None and stage == self.last[1] and now - self.last_time < PROGRESS_INTERVAL
        ):
            return
        self.last, self.last_time = (percent, stage), now
        self._write(percent, stage)

    def _write(self, percent: int, stage: str) -> None:
        if self.outer_atomic or not connection.in_atomic_block:
            DirectoryImport.objects.filter(pk=self.import_id, status=Status.RUNNING).update(
                progress=percent, stage=stage
            )
        elif connection.vendor == "postgresql":
            if self.side_connection is None:
                self.side_connection = connections.create_connection("default")
            table = connection.ops.quote_name(DirectoryImport._meta.db_table)
            with self.side_connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET progress = %s, stage = %s WHERE id = %s AND status = %s",  # noqa: S608
                    [percent, stage, self.import_id, Status.RUNNING],
                )

    def close(self) -> None:
        if self.side_connection is not None:
            self.side_connection.close()
            self.side_connection = None


def _take(import_id: int) -> bool:
    """Claim the run: one conditional UPDATE, so of two workers only one gets the row."""
    now = timezone.now()
    return bool(
        DirectoryImport.objects.filter(
            Q(status=Status.QUEUED) | Q(status=Status.RUNNING, started_at__lt=now - STALE_RUN), pk=import_id
        ).update(status=Status.RUNNING, started_at=now, progress=0, stage=_("Reading the file"), error="")
    )


def directory_import_run(*, import_id: int) -> bool:
    """The task body: read the stored file, validate, write (unless a dry run). Idempotent: an import that is
    done, failed or being run by someone else is left alone (returns False)."""
    if not _take(import_id):
        return False
    directory_import = DirectoryImport.objects.select_related("task_force", "created_by").get(pk=import_id)
    progress = _Progress(import_id)
    try:
        with directory_import.file.open("rb") as handle:
            read = reader.read_file(handle, filename=directory_import.original_name)
        progress.update(fraction=0.0, stage=_("Checking the rows"))
        result = import_read(
            task_force=directory_import.task_force,
            read=read,
            dry_run=directory_import.dry_run,
            actor_user=directory_import.created_by,
            progress=progress,
        )
    except Exception:
        logger.exception("HSDS import %s stopped", import_id)
        _finish(
            directory_import,
            status=Status.FAILED,
            error=_("An unexpected error stopped the import; nothing was imported."),
        )
        return True
    finally:
        progress.close()
    errors = _errors(result.problems)
    error = _("%(count)s problem(s) found; nothing was imported.") % {"count": errors} if errors else ""
    _finish(
        directory_import,
        status=Status.FAILED if errors else Status.DONE,
        error=error,
        problems=_problem_dicts(result.problems),
        summary=result.counts,
    )
    return True


def _finish(directory_import: DirectoryImport, *, status: str, error: str, problems=None, summary=None) -> None:
    keep_file = status == Status.DONE and directory_import.dry_run
    fields = {
        "status": status,
        "error": error,
        "progress": 100,
        "stage": _("Finished") if status == Status.DONE else _("Refused"),
        "finished_at": timezone.now(),
    }
    if problems is not None:
        fields["problems"] = problems
    if summary is not None:
        fields["summary"] = summary
    if not keep_file and directory_import.file:
        try:
            directory_import.file.delete(save=False)
        except OSError:  # the outcome matters more than the file; the hourly purge tries again
            logger.exception("HSDS import %s: the stored file could not be deleted", directory_import.pk)
        else:
            fields["file"] = ""
    DirectoryImport.objects.filter(pk=directory_import.pk).update(**fields)


def import_read(
    *, task_force: TaskForce, read: ReadResult, dry_run: bool, actor_user=None, request=None, progress=None
) -> ImportResult:
    """Validate (and unless ``dry_run`` write) what the reader got. When the file itself had errors, its rows
    are still checked, so the report is complete, but nothing is written."""
    if not read.tables:
        return ImportResult(dry_run=dry_run, problems=list(read.problems))
    from .importer import import_tables

    result = import_tables(
        task_force=task_force,
        read=read,
        dry_run=dry_run or not read.ok,
        actor_user=actor_user,
        request=request,
        progress=progress,
    )
    problems = list(dict.fromkeys([*read.problems, *result.problems]))
    return ImportResult(dry_run=dry_run, problems=problems, counts=result.counts)


def directory_import_path(*, task_force: TaskForce, path: str | Path, dry_run: bool) -> ImportResult:
    """The management command's import: a file or a package folder on disk, run as the system."""
    read = reader.read_path(path)
    return import_read(task_force=task_force, read=read, dry_run=dry_run)


def purge_directory_import_files() -> int:
    """Delete the stored files of previews nobody confirmed within the window (and of any finished import
    whose file was left behind). Returns how many were deleted."""
    cutoff = timezone.now() - CONFIRM_WINDOW
    stale = DirectoryImport.objects.exclude(file="").filter(
        Q(created_at__lt=cutoff, status__in=[Status.DONE, Status.FAILED])
        | Q(created_at__lt=cutoff - CONFIRM_WINDOW, status=Status.QUEUED)
    )
    deleted = 0
    for directory_import in stale.only("pk", "file"):
        directory_import.file.delete(save=False)
        DirectoryImport.objects.filter(pk=directory_import.pk).update(file="")
        deleted += 1
    return deleted


# --- Export -----------------------------------------------------------------------------------------------

EXPORT_FORMATS = {
    "json": ("application/json", "json"),
    "zip": ("application/zip", "zip"),
}


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str
    content_type: str


def directory_export(
    *, actor: access.Actor | None, file_format: str, task_force: TaskForce | None = None, request=None
) -> ExportFile:
    """The task force's directory in HSDS 3: ``json`` or ``zip`` (the CSV package). ``actor`` None is the
    system (management command), which names the ``task_force``."""
    if actor is not None:
        access.require(access.can_export_directory(actor), _("Only coordinators can export the directory."))
        task_force = actor.task_force
    if file_format == "csv":
        file_format = "zip"
    if file_format not in EXPORT_FORMATS:
        raise ValidationError({"format": _("Choose the format “json” or “zip” (the CSV package).")})
    from .export import write_datapackage, write_json

    buffer = io.BytesIO()
    if file_format == "json":
        text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
        write_json(task_force, text)
        text.flush()
        text.detach()
    else:
        write_datapackage(task_force, buffer)
    content = buffer.getvalue()
    content_type, extension = EXPORT_FORMATS[file_format]
    today = timezone.localdate(timezone=task_force.tzinfo)
    audit.record(
        action="exported",
        actor=getattr(actor, "user", None),
        task_force=task_force,
        object_type="hsds",
        object_repr=_("HSDS directory (%(format)s)") % {"format": file_format},
        changes={"format": [None, file_format], "bytes": [None, str(len(content))]},
        request=request,
    )
    return ExportFile(
        content=content,
        filename=f"{task_force.slug}-hsds-{today:%Y-%m-%d}.{extension}",
        content_type=content_type,
    )
