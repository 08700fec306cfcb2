"""Worker memory benchmark (issue 8): the peak memory of a real Celery worker while it builds a month's report of the
full-scale district and while it imports the HSDS file of 10,000 services, and how long each took in the worker.

    .venv/bin/python bench/memory.py [--no-write] [--strict]

The same database as the other benchmarks (``$DATABASE_URL``, a name containing "bench"; the demo district at full
scale and the 10,000-service task force of bench/directory.py, each built when missing). For each job a new worker is
started (``celery -A psn worker --pool solo``: the task runs in the worker's own process, so that process's peak
resident set, ``VmHWM`` in /proc, is the job's peak; a prefork child holds the same), on Redis (127.0.0.1:6379,
database 9, emptied first), with the settings of the benchmark's process. The job is sent as the app sends it
(``build_report`` for a queued snapshot, ``run_directory_import`` for a stored upload), its end read from the database
(the snapshot's or the import's status), then the worker's idle and peak memory read and the worker stopped.

The import goes into the task force ``bench-memory`` (made once), emptied of its directory first, so that each run
creates the 10,000 services anew, as a first import of a district does.

Targets (DESIGN.md): a month's report under 10 s; an import of 10,000 services under 60 s. The memory is reported,
and flagged above 1 GiB (a 2-core machine with a few workers must not swap).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Row, format_s, parser, report, start

BROKER = "redis://127.0.0.1:6379/9"
MEMORY_LIMIT_MB = 1024
REPORT_TARGET_S = 10.0
IMPORT_TARGET_S = 60.0
IMPORT_SLUG = "bench-memory"
JOB_TIMEOUT_S = 600


# --- The worker -----------------------------------------------------------------------------------------------


def _status_kb(pid: int, field: str) -> int | None:
    """A ``kB`` field of /proc/<pid>/status (``VmRSS``, ``VmHWM``)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _start_worker() -> subprocess.Popen:
    # The same interpreter and settings as this process (bench.common.configure), the worker's own broker.
    command = [sys.executable, "-m", "celery", "-A", "psn", "worker", "--pool", "solo", "-n", "bench-memory@%h",
               "-l", "warning", "--without-heartbeat", "--without-gossip", "--without-mingle"]  # fmt: skip
    return subprocess.Popen(  # noqa: S603 - a fixed command line
        command,
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop_worker(process: subprocess.Popen) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output.decode(errors="replace")


def _ready(process: subprocess.Popen) -> None:
    """Wait until the worker answers a ping (it has imported the app and connected to the broker)."""
    from psn.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("The worker stopped at start:\n" + _stop_worker(process))
        if app.control.ping(timeout=1.0, destination=[f"bench-memory@{os.uname().nodename}"]):
            return
    raise RuntimeError("The worker did not answer within 60 s.")


def run_job(jobs: list) -> tuple[list[float], int, int, list[str]]:
    """Start a worker, send each job of ``jobs`` (``(send, finished)``: ``finished()`` gives the status, or None while
    it runs) after the one before has finished; returns the time of each from sending to its end, the worker's idle
    and peak memory (kB) and the statuses."""
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    worker = _start_worker()
    times, statuses = [], []
    try:
        _ready(worker)
        idle = _status_kb(worker.pid, "VmRSS") or 0
        for send, finished in jobs:
            started = time.perf_counter()
            send()
            deadline = time.monotonic() + JOB_TIMEOUT_S
            status = None
            while status is None:
                if worker.poll() is not None:
                    raise RuntimeError("The worker died during the job:\n" + _stop_worker(worker))
                if time.monotonic() > deadline:
                    raise RuntimeError(f"The job did not finish within {JOB_TIMEOUT_S} s.")
                time.sleep(0.2)
                status = finished()
            times.append(time.perf_counter() - started)
            statuses.append(status)
        peak = _status_kb(worker.pid, "VmHWM") or 0
    finally:
        _stop_worker(worker)
    return times, idle, peak, statuses


# --- The jobs -------------------------------------------------------------------------------------------------


def report_job(task_force, month) -> Row:
    """Two builds of the month in one worker: the first pays for loading the charts and PDF libraries, the second is
    what a running worker takes (the row's time); the peak covers both."""
    from reports import services
    from reports.models import ReportSnapshot
    from reports.tasks import build_report

    def job():
        snapshot = services.report_queue(task_force=task_force, month=month, enqueue=False)

        def finished():
            status = ReportSnapshot.objects.filter(pk=snapshot.pk).values_list("status", flat=True).get()
            return status if status in ("done", "failed") else None

        return (lambda: build_report.delay(snapshot.pk)), finished

    (first, second), idle, peak, statuses = run_job([job(), job()])
    return _row(f"Worker: build the report of {month:%Y-%m} (numbers, CSVs, both PDFs; first build {format_s(first)})",
                second, idle, peak, " and ".join(statuses), REPORT_TARGET_S)  # fmt: skip


def _empty_directory(task_force) -> None:
    """Remove the directory an earlier run imported (contacts, services, locations, partners; the taxonomy stays)."""
    from django.db import transaction

    from partners.models import Contact, Location, Partner, Service

    with transaction.atomic():
        for model in (Contact, Service, Location, Partner):
            model.objects.filter(task_force=task_force).delete()


def import_job(source, services: int) -> Row:
    from django.contrib.auth import get_user_model
    from django.core.files import File

    from partners.hsds.export import write_json
    from partners.hsds.tasks import run_directory_import
    from partners.models import DirectoryImport, TaskForce
    from partners.services import taxonomy_seed

    target, _ = TaskForce.objects.get_or_create(slug=IMPORT_SLUG, defaults={"name": "Benchmark: worker memory"})
    taxonomy_seed(task_force=target)
    _empty_directory(target)
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    with tempfile.TemporaryDirectory(prefix="psn-bench-memory-") as folder:
        path = Path(folder) / "directory.json"
        with path.open("w", encoding="utf-8", newline="") as out:
            write_json(source, out)
        upload = DirectoryImport(task_force=target, created_by=admin, original_name="directory.json",
                                 file_format="json", size=path.stat().st_size, dry_run=False)  # fmt: skip
        with path.open("rb") as handle:
            upload.file.save("bench-memory.json", File(handle), save=True)

    def finished():
        status = DirectoryImport.objects.filter(pk=upload.pk).values_list("status", flat=True).get()
        return status if status in ("done", "failed") else None

    (elapsed,), idle, peak, (status,) = run_job([(lambda: run_directory_import.delay(upload.pk), finished)])
    made = target.services.count()
    return _row(f"Worker: HSDS import (JSON) of {services:,} services into an empty task force", elapsed, idle,
                peak, f"{status}, {made:,} services", IMPORT_TARGET_S)  # fmt: skip


def _row(what: str, elapsed: float, idle: int, peak: int, status: str, target_s: float) -> Row:
    done = all(part.startswith("done") for part in status.split(" and "))
    verdict = "PASS" if elapsed < target_s and peak / 1024 < MEMORY_LIMIT_MB and done else "MISS"
    result = f"{verdict}: peak {peak / 1024:.0f} MB (idle {idle / 1024:.0f} MB) · {status}"
    print(f"  {what:<80} {format_s(elapsed):>8}  {result}", flush=True)
    return Row(what, "worker", elapsed, None, None, result)


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__.splitlines()[0], per="job")
    args = options.parse_args(argv)
    # The worker and this process share the broker: set before Django reads its settings.
    start(args, extra_env={"CELERY_TASK_ALWAYS_EAGER": "false", "CELERY_BROKER_URL": BROKER})

    from django.utils import timezone

    from bench import directory, reports
    from partners.models import TaskForce
    from reports import metrics

    print("Setting up: the demo district at full scale, the HSDS task force (once)...", flush=True)
    wdmo = reports.district(args)
    directory.setup(args)
    source = TaskForce.objects.get(slug=directory.hsds_size(args)[0])
    today = timezone.localdate(timezone=wdmo.tzinfo)
    month = metrics.Period(wdmo, today.replace(day=1)).shifted(-1).month
    print("Jobs, each in a new worker...", flush=True)
    rows = [report_job(wdmo, month), import_job(source, source.services.count())]
    missed = any(row.result.startswith("MISS") for row in rows)
    targets = [
        f"- {row.result.split(':')[0]}: {row.what}: {format_s(row.median)} (target "
        f"{REPORT_TARGET_S if 'report' in row.what else IMPORT_TARGET_S:.0f} s), peak under {MEMORY_LIMIT_MB} MB"
        for row in rows
    ]
    method = (
        "- Each job in a new Celery worker (`--pool solo`: the task runs in the worker's process) on Redis, sent as "
        "the app sends it; time from sending to the status in the database; memory: the worker's resident set "
        "before the job (idle) and its peak (`VmHWM`), from /proc."
    )
    return report(
        args,
        name="memory",
        heading="## Worker memory: a month's report and an HSDS import (bench/memory.py)",
        method=method,
        rows=rows,
        targets=targets,
        missed=missed,
        after="pages",
    )


if __name__ == "__main__":
    sys.exit(main())
