"""The sweep of notification emails never sent (cases/notifications.py, ``notification_emails_resend_unsent``, every
10 minutes on the beat): a notification whose task never reached the broker (Redis down at the commit) is emailed
once by the next sweep, a second sweep sends nothing more; already emailed, too recent, too old and not emailable
ones are left alone; a broker still down stops the sweep without claiming anything; the demo's notices are history
and are not mailed."""

import datetime
import io
import logging

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone
from kombu.exceptions import OperationalError

from cases import lifecycle, notifications, tasks
from cases.models import Notification
from partners.models import TaskForce

pytestmark = pytest.mark.django_db

MINUTES = datetime.timedelta(minutes=1)


def _broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _submitted_with_broker_down(setup, monkeypatch, django_capture_on_commit_callbacks):
    """A referral submitted while Redis is down: the commit's ``delay`` raises, ``psn.tasks`` logs it, no email."""
    monkeypatch.setattr(tasks.send_notification_email, "delay", _broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        referral = lifecycle.referral_submit(actor=setup.actor("sending_referral_staff"), referral=setup.draft())
    monkeypatch.undo()  # Redis is back
    return referral


def _notice(user, referral, *, created_at, emailed_at=None, kind="accepted"):
    return Notification.objects.create(
        task_force_id=referral.task_force_id if referral else user.memberships.first().task_force_id,
        user=user,
        referral=referral,
        kind=kind,
        message=f"{kind} notice",
        created_at=created_at,
        emailed_at=emailed_at,
    )


def test_an_email_lost_with_the_broker_down_is_sent_once_by_the_sweep(
    setup, mailoutbox, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.ERROR, logger="psn.tasks"):
        referral = _submitted_with_broker_down(setup, monkeypatch, django_capture_on_commit_callbacks)
    lost = list(Notification.objects.filter(referral=referral))
    assert lost and not mailoutbox
    assert all(n.emailed_at is None for n in lost)
    assert "broker unavailable" in caplog.text

    created = max(n.created_at for n in lost)
    # Within the first five minutes the commit's task may still be on its way: not the sweep's.
    assert notifications.notification_emails_resend_unsent(now=created + 2 * MINUTES) == 0
    assert not mailoutbox

    assert notifications.notification_emails_resend_unsent(now=created + 6 * MINUTES) == len(lost)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(n.user.email for n in lost)
    assert all(m.subject.startswith(django_settings.ACCOUNT_EMAIL_SUBJECT_PREFIX) for m in mailoutbox)
    assert all(n.emailed_at is not None for n in Notification.objects.filter(referral=referral))

    # The next run finds nothing due; a task queued twice anyway (a sweep racing the late original) sends nothing.
    assert notifications.notification_emails_resend_unsent(now=created + 16 * MINUTES) == 0
    assert tasks.send_notification_email.delay(lost[0].pk).get() is False
    assert len(mailoutbox) == len(lost)


def test_a_sweep_enqueuing_twice_still_sends_once(setup, mailoutbox, monkeypatch, django_capture_on_commit_callbacks):
    """Two sweeps that both read the row before either task ran (a slow worker): both enqueue, one email."""
    referral = _submitted_with_broker_down(setup, monkeypatch, django_capture_on_commit_callbacks)
    lost = list(Notification.objects.filter(referral=referral))
    now = max(n.created_at for n in lost) + 6 * MINUTES
    queued: list[int] = []
    monkeypatch.setattr(tasks.send_notification_email, "delay", queued.append)  # a queue no worker reads yet
    assert notifications.notification_emails_resend_unsent(now=now) == len(lost)
    assert notifications.notification_emails_resend_unsent(now=now) == len(lost)
    monkeypatch.undo()
    assert sorted(queued) == sorted(2 * [n.pk for n in lost])
    sent = [tasks.send_notification_email(pk) for pk in queued]  # the worker catches up
    assert sent.count(True) == len(lost)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(n.user.email for n in lost)


def test_only_due_notifications_of_emailable_recipients_are_sent(setup, mailoutbox):
    referral = setup.submitted()
    Notification.objects.all().delete()  # the submission's own notices (their commit never comes in a test)
    mailoutbox.clear()
    world = setup.world
    now = timezone.now()
    due = _notice(world.user("receiving_referral_staff"), referral, created_at=now - 30 * MINUTES)
    edge_old = _notice(world.user("receiving_partner_admin"), referral, created_at=now - datetime.timedelta(days=2))
    edge_recent = _notice(world.user("coordinator"), referral, created_at=now - 5 * MINUTES)
    left_alone = {
        "emailed": _notice(
            world.user("sending_referral_staff"), referral, created_at=now - 30 * MINUTES, emailed_at=now
        ),
        "too recent": _notice(world.user("sending_partner_admin"), referral, created_at=now - 4 * MINUTES),
        "too old": _notice(
            world.user("receiving_referral_staff"), referral, created_at=now - datetime.timedelta(days=2, minutes=1)
        ),
        "no referral": _notice(world.user("coordinator"), None, created_at=now - 30 * MINUTES, kind="note"),
    }
    left_alone["inactive user"] = _notice(world.user("deactivated"), referral, created_at=now - 20 * MINUTES)
    before = {key: n.emailed_at for key, n in left_alone.items()}

    assert notifications.notification_emails_resend_unsent(now=now) == 3
    assert sorted(m.to[0] for m in mailoutbox) == sorted(n.user.email for n in (due, edge_old, edge_recent))
    for notice in (due, edge_old, edge_recent):
        notice.refresh_from_db()
        assert notice.emailed_at is not None
    assert {key: Notification.objects.get(pk=n.pk).emailed_at for key, n in left_alone.items()} == before


def test_a_batch_takes_the_oldest_first_and_the_next_run_the_rest(setup, mailoutbox):
    referral = setup.submitted()
    Notification.objects.all().delete()
    mailoutbox.clear()
    now = timezone.now()
    user = setup.world.user("receiving_referral_staff")
    newest = _notice(user, referral, created_at=now - 10 * MINUTES, kind="accepted")
    oldest = _notice(user, referral, created_at=now - 60 * MINUTES, kind="acknowledged")
    assert notifications.notification_emails_resend_unsent(now=now, batch=1) == 1
    oldest.refresh_from_db()
    newest.refresh_from_db()
    assert oldest.emailed_at is not None and newest.emailed_at is None
    assert notifications.notification_emails_resend_unsent(now=now, batch=1) == 1
    assert notifications.notification_emails_resend_unsent(now=now, batch=1) == 0
    assert len(mailoutbox) == 2


def test_a_broker_still_down_stops_the_sweep_and_claims_nothing(
    setup, mailoutbox, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    referral = _submitted_with_broker_down(setup, monkeypatch, django_capture_on_commit_callbacks)
    lost = list(Notification.objects.filter(referral=referral))
    now = max(n.created_at for n in lost) + 6 * MINUTES
    monkeypatch.setattr(tasks.send_notification_email, "delay", _broker_down)
    with caplog.at_level(logging.ERROR, logger="cases.notifications"):
        assert notifications.notification_emails_resend_unsent(now=now) == 0
    assert f"{len(lost)} unsent notification emails not queued" in caplog.text
    assert len([r for r in caplog.records if r.name == "cases.notifications"]) == 1  # once, not once per row
    assert not Notification.objects.filter(referral=referral, emailed_at__isnull=False).exists()
    monkeypatch.undo()
    assert notifications.notification_emails_resend_unsent(now=now) == len(lost)
    assert len(mailoutbox) == len(lost)


def test_the_celery_task_runs_the_sweep(setup, mailoutbox, monkeypatch, django_capture_on_commit_callbacks):
    referral = _submitted_with_broker_down(setup, monkeypatch, django_capture_on_commit_callbacks)
    lost = Notification.objects.filter(referral=referral)
    lost.update(created_at=timezone.now() - 7 * MINUTES)
    assert tasks.resend_unsent_notification_emails.delay().get() == lost.count() > 0
    assert len(mailoutbox) == lost.count()


def test_the_sweep_is_on_the_beat_every_ten_minutes():
    entries = [
        e
        for e in django_settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == tasks.resend_unsent_notification_emails.name
    ]
    assert entries == [
        {"task": "cases.tasks.resend_unsent_notification_emails", "schedule": datetime.timedelta(minutes=10)}
    ]


def test_the_demo_notices_are_history_not_mailed_by_the_sweep(mailoutbox, monkeypatch):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    task_force = TaskForce.objects.get(slug="wdmo")
    now = timezone.now()
    # The demo writes the last two weeks' notices to its accounts (on a Monday the last two days, the sweep's
    # window, may hold none: the whole fortnight is swept as well).
    notices = Notification.objects.filter(task_force=task_force)
    assert notices.count() > 20
    assert not notices.filter(emailed_at__isnull=True).exists()
    assert notifications.notification_emails_resend_unsent(now=now, within=datetime.timedelta(days=30)) == 0
    assert notifications.notification_emails_resend_unsent(now=now) == 0
    assert not mailoutbox
