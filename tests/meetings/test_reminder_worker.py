"""Exactly-once with real Celery workers on the configured broker and the test database (issue 6, item 2): two
workers running the send task 20 times at once over 300 due reminders send each once; a worker killed with SIGKILL
in the middle of a run and a worker started after it deliver every reminder, doubling at most the one the killed
worker was sending (the window meetings/reminders.py documents).

Each worker writes its mail to files (``EMAIL_URL=filemail://...``); every message carries ``X-PSN-Reminder: <id>``,
so the files are the mailboxes the test counts."""

import os
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from meetings.models import Reminder
from psn.celery import app as celery_app
from tests.test_celery_worker import _database_url, _queue_is_drained, _stop_worker, _wait_for, worker_command

from .support import many_due_reminders

ROOT = Path(__file__).resolve().parent.parent.parent
HEADER_LINE = re.compile(r"^X-PSN-Reminder: (\d+)$", re.MULTILINE)
SEND_TASK = "meetings.tasks.send_due_reminders"


def _start_worker(name: str, mail_dir: Path, **settings_env: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        CELERY_TASK_ALWAYS_EAGER="false",
        EMAIL_URL=f"filemail:///{mail_dir}",
        **settings_env,
    )
    return subprocess.Popen(
        worker_command(name, "info"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _mailbox(mail_dir: Path) -> Counter:
    """How many messages each reminder id has in the mail files."""
    found: Counter = Counter()
    for path in mail_dir.glob("*.log"):
        found.update(int(pk) for pk in HEADER_LINE.findall(path.read_text(errors="replace")))
    return found


def _unsent(ids) -> int:
    return Reminder.objects.filter(pk__in=ids, sent_at__isnull=True).count()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_send_task_20_times_at_once_send_each_of_300_reminders_once(world, tmp_path):
    due = many_due_reminders(world, people=27, per_person=10)
    assert len(due) == 300
    # A few milliseconds per message, so the runs overlap for a while rather than one finishing at once.
    workers = [_start_worker(f"sender{n}", tmp_path, PSN_REMINDER_SEND_DELAY_MS="5") for n in (1, 2)]
    try:
        for _ in range(20):
            celery_app.send_task(SEND_TASK)
        assert _wait_for(lambda: _unsent(due) == 0, timeout=120), f"{_unsent(due)} reminders never sent"
        assert _wait_for(_queue_is_drained, timeout=60)
        time.sleep(2)  # the last runs find nothing and end
    finally:
        outputs = [_stop_worker(process) for process in workers]
    for output in outputs:
        assert "Traceback" not in output, output
        assert f"Task {SEND_TASK}[" in output, output  # each worker ran the task
    mailbox = _mailbox(tmp_path)
    assert sorted(mailbox) == sorted(due)
    assert set(mailbox.values()) == {1}, {pk: n for pk, n in mailbox.items() if n > 1}
    assert not Reminder.objects.filter(pk__in=due, sent_at__isnull=True).exists()
    assert set(Reminder.objects.filter(pk__in=due).values_list("attempts", flat=True)) == {1}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "slow_step",
    [
        # The kill lands while the mail server takes its time: the claimed message was not sent yet.
        "PSN_REMINDER_SEND_DELAY_MS",
        # The kill lands after the mail server accepted the message, before sent_at is written: the window.
        "PSN_REMINDER_MARK_DELAY_MS",
    ],
)
def test_a_worker_killed_mid_run_loses_nothing_and_doubles_at_most_what_it_was_sending(world, tmp_path, slow_step):
    due = many_due_reminders(world, people=27, per_person=10)
    slow = _start_worker("doomed", tmp_path, **{slow_step: "25"})
    try:
        celery_app.send_task(SEND_TASK)
        assert _wait_for(lambda: _unsent(due) <= 200, timeout=60), "the worker never got going"
        os.killpg(slow.pid, signal.SIGKILL)
        slow.wait(timeout=10)
    finally:
        _stop_worker(slow)
    sent_at_kill = len(due) - _unsent(due)
    claimed = set(
        Reminder.objects.filter(pk__in=due, sent_at__isnull=True, claimed_at__isnull=False).values_list("pk", flat=True)
    )
    claimed_at_kill = len(claimed)
    mailed_at_kill = sum(_mailbox(tmp_path).values())
    assert 0 < sent_at_kill < len(due)
    assert claimed_at_kill <= 1  # a worker holds one claim at a time

    time.sleep(2.5)  # the killed worker's claim is older than the new worker's two-second lease
    restarted = _start_worker("restarted", tmp_path, PSN_REMINDER_LEASE_SECONDS="2")
    try:
        celery_app.send_task(SEND_TASK)
        assert _wait_for(lambda: _unsent(due) == 0, timeout=120), f"{_unsent(due)} reminders never sent"
    finally:
        output = _stop_worker(restarted)
    assert "Traceback" not in output, output

    mailbox = _mailbox(tmp_path)
    doubles = sum(n - 1 for n in mailbox.values())
    print(
        f"\nkill test ({slow_step}=25): {sent_at_kill} marked sent and {mailed_at_kill} mailed when killed, "
        f"{claimed_at_kill} claimed but not marked; after the restart every one of {len(due)} delivered, "
        f"{doubles} delivered twice"
    )
    assert set(mailbox) == set(due), "a reminder was lost"
    assert doubles <= claimed_at_kill
    assert {pk for pk, n in mailbox.items() if n > 1} <= claimed  # only the message in flight can be doubled
    assert mailed_at_kill - sent_at_kill == doubles
