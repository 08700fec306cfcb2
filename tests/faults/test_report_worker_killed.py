"""Fault injection (issue 9, item 4): the Celery worker building a monthly report is killed with SIGKILL in the
middle of the build, and a worker started after it ends the story: the report is built once (one snapshot, the
right numbers, its files) or, its attempts used up, failed with the reason on the coordinator's page and a Retry
that builds it. Never "running" for ever, never two snapshots.

The build is slowed by ``PSN_REPORT_STEP_DELAY_MS`` (a pause at each progress step, read by the killed worker only)
so the kill lands mid-way. The worker started after the kill runs with a stale window of one second
(``PSN_REPORT_STALE_SECONDS``; 30 minutes in production) and is sent the beat's ``recover_stale_reports``.

The reminder half of the item ("no reminder lost or doubled") is tests/meetings/test_reminder_worker.py:
``test_a_worker_killed_mid_run_loses_nothing_and_doubles_at_most_what_it_was_sending`` kills a real worker with
SIGKILL at both steps of a send, starts another and checks every reminder delivered, doubled at most the one in
flight."""

import datetime
import signal
import time
from pathlib import Path

import pytest
from django.utils import timezone

from cases.models import Status
from psn.celery import app as celery_app
from reports import metrics, services
from reports.models import ReportSnapshot, ReportStatus
from tests.cases.support import build_setup
from tests.factories import ReferralFactory
from tests.test_celery_worker import _database_url, _wait_for

from .servers import Worker, app_env

BUILD = "reports.tasks.build_report"
RECOVER = "reports.tasks.recover_stale_reports"


def _month_with_referrals(world) -> datetime.date:
    """Last month, with referrals submitted in it (so the numbers are not all zero)."""
    setup = build_setup(world)
    month = metrics.month_of(timezone.now().date().replace(day=1) - datetime.timedelta(days=1))
    for day in (3, 9, 17, 17, 24):
        submitted = timezone.make_aware(datetime.datetime(month.year, month.month, day, 15))
        ReferralFactory(
            sending_partner=world.sending,
            receiving_partner=world.receiving,
            person=setup.person,
            needs=setup.needs,
            status=Status.SUBMITTED,
            submitted_at=submitted,
            created_at=submitted,
        )
    return month


def _snapshot(pk: int) -> ReportSnapshot:
    return ReportSnapshot.objects.get(pk=pk)


def _kill_mid_build(snapshot: ReportSnapshot, logs: Path) -> tuple[ReportSnapshot, Worker]:
    """Send the build to a slow worker, start the worker that will recover it, SIGKILL the slow one once the build
    is a few steps in, and return the snapshot as the killed worker left it, with the recovering worker (ready)."""
    env = app_env(DATABASE_URL=_database_url())
    doomed = Worker(name="doomed", env=env | {"PSN_REPORT_STEP_DELAY_MS": "1500"}, log=logs / "doomed.log")
    try:
        celery_app.send_task(BUILD, args=[snapshot.pk])
        running = lambda: _snapshot(snapshot.pk).status == ReportStatus.RUNNING  # noqa: E731
        assert _wait_for(running, timeout=60), "the worker never started the build"
        # Started now, it boots while the build goes on, and never sees the build's message (the doomed worker holds
        # it unacknowledged); its stale window is one second (30 minutes in production).
        recovery = Worker(name="recovery", env=env | {"PSN_REPORT_STALE_SECONDS": "1"}, log=logs / "recovery.log")
        recovery.wait_ready()
        mid_way = lambda: _snapshot(snapshot.pk).progress >= 10  # noqa: E731  (two sections computed)
        assert _wait_for(mid_way, timeout=60), "the build never got going"
        doomed.kill()
    finally:
        doomed.stop()
    assert doomed.process.returncode == -signal.SIGKILL
    left = _snapshot(snapshot.pk)
    assert left.status == ReportStatus.RUNNING, doomed.output()  # the dead worker's leftover: nobody is building it
    assert 10 <= left.progress < 85
    return left, recovery


def _assert_built_once(snapshot_id: int, month: datetime.date, world) -> ReportSnapshot:
    assert ReportSnapshot.objects.filter(task_force=world.tf, period=month).count() == 1
    done = _snapshot(snapshot_id)
    assert done.status == ReportStatus.DONE, (done.status, done.error)
    assert (done.progress, done.error) == (100, "")
    expected = metrics.compute(world.tf, month)
    for numbers in (done.numbers, expected):
        numbers["meta"].pop("computed_at")
    expected["meta"]["version"] = done.version
    assert done.numbers == expected
    assert done.numbers["headline"]["referrals_made"] == 5
    for stored in (done.csv_file, done.shared_csv_file):
        assert stored and stored.storage.exists(stored.name)
    return done


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_report_whose_worker_is_killed_mid_build_is_taken_over_and_built_once(world, tmp_path):
    month = _month_with_referrals(world)
    snapshot = services.report_queue(task_force=world.tf, month=month, enqueue=False)
    left, recovery = _kill_mid_build(snapshot, tmp_path)
    assert left.attempts == 1

    time.sleep(1.1)  # the dead build is older than the recovering worker's one-second stale window
    try:
        celery_app.send_task(RECOVER)  # what the beat sends every five minutes
        assert _wait_for(lambda: _snapshot(snapshot.pk).status == ReportStatus.DONE, timeout=60)
        celery_app.send_task(RECOVER)  # a later beat finds nothing left to do
        celery_app.send_task(BUILD, args=[snapshot.pk])  # nor does a late second delivery of the build
        time.sleep(1)
    finally:
        output = recovery.stop()
    assert "Traceback" not in output, output
    done = _assert_built_once(snapshot.pk, month, world)
    assert done.attempts == 2  # the killed attempt and the one that finished
    assert done.started_at > left.started_at


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_report_killed_on_its_last_attempt_fails_with_the_reason_and_the_coordinators_retry_builds_it(
    world, client_for, tmp_path
):
    month = _month_with_referrals(world)
    snapshot = services.report_queue(task_force=world.tf, month=month, enqueue=False)
    # Two earlier attempts were lost already: the kill takes the last one.
    ReportSnapshot.objects.filter(pk=snapshot.pk).update(attempts=services.MAX_ATTEMPTS - 1)
    left, recovery = _kill_mid_build(snapshot, tmp_path)
    assert left.attempts == services.MAX_ATTEMPTS

    time.sleep(1.1)
    try:
        celery_app.send_task(RECOVER)
        assert _wait_for(lambda: _snapshot(snapshot.pk).status == ReportStatus.FAILED, timeout=60)
        failed = _snapshot(snapshot.pk)
        assert "worker was lost" in failed.error
        assert failed.finished_at is not None

        coordinator = client_for("coordinator")
        page = coordinator.get(f"/reports/{snapshot.pk}/")
        assert page.status_code == 200
        assert "The report could not be built." in page.content.decode()
        assert failed.error in page.content.decode()
        # The coordinator's Retry queues it, sent through the broker to the worker (not run eagerly in here).
        eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, False
        try:
            response = coordinator.post(f"/reports/{snapshot.pk}/retry/")
        finally:
            celery_app.conf.task_always_eager = eager
        assert response.status_code == 302
        assert _wait_for(lambda: _snapshot(snapshot.pk).status == ReportStatus.DONE, timeout=60)
    finally:
        output = recovery.stop()
    assert "Traceback" not in output, output
    done = _assert_built_once(snapshot.pk, month, world)
    assert done.attempts == 1  # a fresh set of attempts after the retry
