"""Referral notification emails go out from a Celery task after the commit (cases/notifications.py): each once, even
when the task is delivered twice; a mail server that fails gives the claim back for the retry; the request that
changed the referral sends nothing itself."""

import pytest
from django.core import mail

from cases import lifecycle, notifications
from cases.models import Notification
from cases.tasks import send_notification_email


def _submitted(setup, django_capture_on_commit_callbacks, execute: bool):
    with django_capture_on_commit_callbacks(execute=execute) as callbacks:
        referral = lifecycle.referral_submit(actor=setup.actor("sending_referral_staff"), referral=setup.draft())
    return referral, callbacks


def test_the_change_itself_sends_nothing_the_task_sends_each_email_once(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    referral, callbacks = _submitted(setup, django_capture_on_commit_callbacks, execute=False)
    created = list(Notification.objects.filter(referral=referral))
    assert created and not mailoutbox  # nothing sent before the commit, nor by the request
    assert len(callbacks) >= len(created)
    for callback in callbacks:  # the commit: the tasks are sent (eager here: they run)
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(n.user.email for n in created)
    assert all(n.emailed_at for n in Notification.objects.filter(referral=referral))
    # A second delivery of every task sends nothing more.
    for notification in created:
        assert send_notification_email(notification.pk) is False
    assert len(mailoutbox) == len(created)


def test_a_failing_mail_server_gives_the_claim_back_for_the_retry(
    setup, settings, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    referral, _callbacks = _submitted(setup, django_capture_on_commit_callbacks, execute=False)
    notification = Notification.objects.filter(referral=referral).first()

    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", refuse)
    with pytest.raises(OSError):
        notifications.notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None and not mailoutbox
    monkeypatch.undo()
    assert notifications.notification_email_send(notification_id=notification.pk) is True
    assert [m.to[0] for m in mailoutbox] == [notification.user.email]


def test_a_user_deactivated_before_the_worker_runs_gets_no_email(setup, mailoutbox, django_capture_on_commit_callbacks):
    referral, _callbacks = _submitted(setup, django_capture_on_commit_callbacks, execute=False)
    notification = Notification.objects.filter(referral=referral).first()
    type(notification.user).objects.filter(pk=notification.user_id).update(is_active=False)
    assert notifications.notification_email_send(notification_id=notification.pk) is False
    assert not mailoutbox
