"""A real Celery worker on the configured broker (Redis in CI, the filesystem transport otherwise)
runs the daily dormant-account task against the test database, and running it twice changes nothing
the second time (issue 3, items 5 and 10). Two workers running the overdue sweep at the same time mark
each late referral once and tell each recipient once (issue 5, item 4)."""

import os
import re
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from cases.models import Notification, Referral, Status
from psn.celery import app as celery_app
from psn.models import AuditEvent

from .cases.support import build_setup
from .factories import ReferralFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db.get('USER') or 'postgres'}@{host}:{port}/{db['NAME']}"


def worker_command(name: str, loglevel: str = "warning") -> list[str]:
    """A real Celery worker of this app, one task at a time in its own process (the worker tests all start it so)."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "psn",
        "worker",
        "--pool",
        "solo",
        "-n",
        f"{name}@%h",
        "-l",
        loglevel,
        "--without-heartbeat",
        "--without-gossip",
        "--without-mingle",
    ]


def _start_worker(*, name: str = "worker", loglevel: str = "warning") -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=_database_url(), CELERY_TASK_ALWAYS_EAGER="false")
    return subprocess.Popen(
        worker_command(name, loglevel),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop_worker(process: subprocess.Popen) -> str:
    """Stop the worker (warm shutdown, killed after 20 s) and return what it printed."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
    return output.decode(errors="replace")


@pytest.fixture
def worker():
    process = _start_worker()
    yield process
    _stop_worker(process)


@pytest.fixture
def two_workers():
    """Two worker processes, each taking one message at a time: two tasks sent together run at the same time."""
    processes = [_start_worker(name=f"racer{n}", loglevel="info") for n in (1, 2)]
    yield processes
    for process in processes:
        _stop_worker(process)


def _wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_disables_dormant_accounts_once_even_when_the_task_is_sent_twice(worker):
    old = timezone.now() - timedelta(days=settings.PSN_DORMANT_DAYS + 1)
    dormant = UserFactory(email="dormant@example.org")
    User.objects.filter(pk=dormant.pk).update(last_login=old)
    recent = UserFactory(email="recent@example.org")
    User.objects.filter(pk=recent.pk).update(last_login=timezone.now() - timedelta(days=5))

    # send_task always goes through the broker (the test process itself would run .delay() eagerly).
    celery_app.send_task("accounts.tasks.disable_dormant_accounts")
    celery_app.send_task("accounts.tasks.disable_dormant_accounts")

    assert _wait_for(lambda: not User.objects.get(pk=dormant.pk).is_active), "the worker never ran the task"
    # Give the second message time to be consumed too, then check it changed nothing.
    assert _wait_for(lambda: _queue_is_drained(), timeout=30)
    time.sleep(1)
    assert User.objects.get(pk=recent.pk).is_active
    assert (
        AuditEvent.objects.filter(object_type="accounts.user", object_id=str(dormant.pk), action="changed").count() == 1
    )
    assert worker.poll() is None, "the worker died"


def _queue_is_drained() -> bool:
    with celery_app.connection_for_read() as conn:
        try:
            _, message_count, _ = conn.default_channel.queue_declare(queue="celery", passive=True)
        except conn.channel_errors:
            return True  # Redis drops an empty list: no queue left means nothing waits in it
        return message_count == 0


RECEIVED_SWEEP = re.compile(r"Task cases\.tasks\.mark_overdue_referrals\[[0-9a-f-]+\] received")
OVERDUE_RECIPIENTS = {
    "receiving.referral_staff@example.org",
    "receiving.partner_admin@example.org",
    "coordinator@example.org",
}


def _counts_settle(read, seconds: float = 2.0, timeout: float = 60.0) -> bool:
    """Wait until ``read()`` has returned the same value for ``seconds`` (the last task finished writing)."""
    deadline = time.monotonic() + timeout
    last, since = read(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        current = read()
        if current != last:
            last, since = current, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return True
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_mark_each_late_referral_once_and_tell_each_recipient_once(world, two_workers):
    setup = build_setup(world)
    late = timezone.now() - timedelta(hours=3)
    referrals = [
        ReferralFactory(
            sending_partner=world.sending,
            receiving_partner=world.receiving,
            person=setup.person,
            needs=setup.needs,
            status=Status.SUBMITTED,
            submitted_at=late - timedelta(days=3),
            acknowledge_by=late,
        )
        for _ in range(25)
    ]
    on_time = ReferralFactory(
        sending_partner=world.sending,
        receiving_partner=world.receiving,
        person=setup.person,
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
        acknowledge_by=timezone.now() + timedelta(days=2),
    )
    late_ids = [r.pk for r in referrals]

    celery_app.send_task("cases.tasks.mark_overdue_referrals")
    celery_app.send_task("cases.tasks.mark_overdue_referrals")

    all_marked = lambda: not Referral.objects.filter(pk__in=late_ids, overdue_at__isnull=True).exists()  # noqa: E731
    assert _wait_for(all_marked), "the workers never ran the sweep"
    assert _wait_for(_queue_is_drained, timeout=30)
    assert _counts_settle(lambda: (Notification.objects.count(), AuditEvent.objects.count()))

    outputs = [_stop_worker(process) for process in two_workers]
    # Each worker took one of the two runs: they swept side by side, not one after the other in one process.
    for output in outputs:
        assert len(RECEIVED_SWEEP.findall(output)) == 1, output
        assert "Traceback" not in output, output
    assert not Referral.objects.filter(pk=on_time.pk, overdue_at__isnull=False).exists()
    marks = AuditEvent.objects.filter(object_type="cases.referral", changes__has_key="overdue_at")
    assert sorted(int(pk) for pk in marks.values_list("object_id", flat=True)) == sorted(late_ids)
    notices = Notification.objects.filter(kind="overdue")
    assert notices.count() == len(late_ids) * len(OVERDUE_RECIPIENTS)
    for referral_id in late_ids:
        told = list(notices.filter(referral_id=referral_id).values_list("user__email", flat=True))
        assert sorted(told) == sorted(OVERDUE_RECIPIENTS)
