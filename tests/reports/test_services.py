"""Report snapshots: requested by coordinators, built once however often the task is delivered, versioned and
immutable, the monthly scheduled run made once, failures recorded and retried (reports/services.py), and the
``build_report`` command."""

import datetime
import io
import zoneinfo

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from reports import metrics, services
from reports.models import ReportSnapshot, ReportStatus
from tests.meetings.support import actor

pytestmark = pytest.mark.django_db

LAST_MONTH = datetime.date(2026, 10, 1)


def _build(snapshot):
    return services.report_build(snapshot_id=snapshot.pk)


def test_a_coordinator_requests_a_month_and_each_request_is_a_new_version(world):
    coordinator = actor(world, "coordinator")
    first = services.report_request(actor=coordinator, month=LAST_MONTH)
    second = services.report_request(actor=coordinator, month=LAST_MONTH)
    assert (first.version, second.version) == (1, 2)
    assert first.status == ReportStatus.QUEUED and first.generated_by == world.user("coordinator")


def test_only_coordinators_request_reports_and_never_for_a_month_to_come(world):
    with pytest.raises(PermissionDenied):
        services.report_request(actor=actor(world, "sending_partner_admin"), month=LAST_MONTH)
    with pytest.raises(ValidationError):
        services.report_request(actor=actor(world, "coordinator"), month=datetime.date(2099, 1, 1))
    assert not ReportSnapshot.objects.exists()


def test_a_build_runs_once_however_often_it_is_delivered_and_a_done_snapshot_never_changes(world):
    snapshot = services.report_queue(task_force=world.tf, month=LAST_MONTH, enqueue=False)
    built = _build(snapshot)
    assert built.status == ReportStatus.DONE and built.progress == 100
    assert built.numbers["meta"]["period"] == "2026-10" and built.shared_numbers["meta"]["shared"] is True
    assert built.csv_file.read().startswith("\ufeffmetric,dimension,value,period".encode())
    finished = built.finished_at
    assert _build(snapshot) is None
    snapshot.refresh_from_db()
    assert snapshot.finished_at == finished and snapshot.attempts == 1


def test_a_failed_build_records_the_reason_and_a_retry_builds_it(world, monkeypatch):
    snapshot = services.report_queue(task_force=world.tf, month=LAST_MONTH, enqueue=False)

    def broken(snapshot, numbers):
        raise OSError("disk full")

    with pytest.raises(OSError):
        services.report_build(snapshot_id=snapshot.pk, renderers={"pdf": broken})
    snapshot.refresh_from_db()
    assert snapshot.status == ReportStatus.FAILED and snapshot.error == "OSError: disk full"
    assert not snapshot.csv_file
    retried = services.report_retry(actor=actor(world, "coordinator"), snapshot=snapshot)
    assert retried.status == ReportStatus.QUEUED
    assert _build(retried).status == ReportStatus.DONE
    with pytest.raises(ValidationError):
        services.report_retry(actor=actor(world, "coordinator"), snapshot=retried)


def test_a_build_left_running_by_a_dead_worker_is_taken_over_after_a_while(world):
    snapshot = services.report_queue(task_force=world.tf, month=LAST_MONTH, enqueue=False)
    long_ago = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    ReportSnapshot.objects.filter(pk=snapshot.pk).update(status=ReportStatus.RUNNING, started_at=long_ago, attempts=1)
    assert _build(snapshot).status == ReportStatus.DONE


def test_the_monthly_run_starts_at_six_on_the_first_local_time_and_makes_one_report(
    world, django_capture_on_commit_callbacks
):
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    world.tf.timezone = "America/Chicago"
    world.tf.save()
    before = datetime.datetime(2026, 11, 1, 5, 59, tzinfo=chicago)
    assert [s for s in services.reports_schedule_monthly(now=before) if s.task_force == world.tf] == []
    at_six = datetime.datetime(2026, 11, 1, 6, 0, tzinfo=chicago)
    with django_capture_on_commit_callbacks():
        made = services.reports_schedule_monthly(now=at_six)
    ours = [s for s in made if s.task_force == world.tf]
    assert len(ours) == 1 and ours[0].period == LAST_MONTH and ours[0].scheduled
    assert [s for s in services.reports_schedule_monthly(now=at_six) if s.task_force == world.tf] == []
    assert ReportSnapshot.objects.filter(task_force=world.tf, scheduled=True).count() == 1


def test_the_monthly_run_waits_for_six_in_the_task_forces_own_time_zone(world):
    world.tf.timezone = "America/Los_Angeles"
    world.tf.save()
    # 06:30 in Chicago is 04:30 in Los Angeles: not yet there.
    early = datetime.datetime(2026, 11, 1, 6, 30, tzinfo=zoneinfo.ZoneInfo("America/Chicago"))
    assert not [s for s in services.reports_schedule_monthly(now=early) if s.task_force == world.tf]


def test_a_scheduled_report_emails_coordinators_a_link_and_no_numbers(world, django_capture_on_commit_callbacks):
    snapshot = services.report_queue(task_force=world.tf, month=LAST_MONTH, enqueue=False)
    ReportSnapshot.objects.filter(pk=snapshot.pk).update(scheduled=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _build(snapshot)
    sent = [m for m in mail.outbox if "coordinator@example.org" in m.to]
    assert len(sent) == 1
    assert f"/reports/{snapshot.pk}/" in sent[0].body
    assert "referrals made" not in sent[0].body.lower()


def test_build_report_command_builds_a_new_version_and_refuses_bad_arguments(world):
    out = io.StringIO()
    call_command("build_report", "--task-force", world.tf.slug, "--month", "2026-10", stdout=out)
    assert "Built the report of wdt for 2026-10, version 1" in out.getvalue()
    assert " 80% trend" in out.getvalue()
    snapshot = ReportSnapshot.objects.get(task_force=world.tf)
    assert snapshot.status == ReportStatus.DONE and snapshot.generated_by is None
    with pytest.raises(CommandError):
        call_command("build_report", "--task-force", "nope", "--month", "2026-10")
    with pytest.raises(CommandError):
        call_command("build_report", "--task-force", world.tf.slug, "--month", "October")
    with pytest.raises(CommandError):
        call_command("build_report", "--task-force", world.tf.slug, "--month", "2099-01")


def test_month_of_reads_only_year_and_month():
    assert metrics.month_of("2026-10") == LAST_MONTH
    with pytest.raises(ValueError):
        metrics.month_of("2026-13")
