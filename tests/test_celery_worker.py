"""A real Celery worker on the configured broker (Redis in CI, the filesystem transport otherwise)
runs the daily dormant-account task against the test database, and running it twice changes nothing
the second time (issue 3, items 5 and 10)."""

import os
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
from psn.celery import app as celery_app
from psn.models import AuditEvent

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db.get('USER') or 'postgres'}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def worker():
    env = dict(os.environ, DATABASE_URL=_database_url(), CELERY_TASK_ALWAYS_EAGER="false")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "psn",
            "worker",
            "--pool",
            "solo",
            "-l",
            "warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    yield process
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


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
