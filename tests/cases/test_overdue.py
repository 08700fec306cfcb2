"""The overdue sweep: submitted referrals past their acknowledgement deadline are marked once, and the receiving
partner's referral staff and admins and the task force's coordinators are told exactly once."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from cases import lifecycle, tasks
from cases.models import Notification, Referral, Status
from psn.models import AuditEvent
from tests.cases.support import PERSON_FAMILY, PERSON_GIVEN, build_setup
from tests.conftest import build_world

pytestmark = pytest.mark.django_db

TOLD = {
    "receiving.referral_staff@example.org",
    "receiving.partner_admin@example.org",
    "coordinator@example.org",
}


def overdue_referral(setup, hours_late: int = 1):
    referral = setup.submitted()
    Referral.objects.filter(pk=referral.pk).update(acknowledge_by=timezone.now() - datetime.timedelta(hours=hours_late))
    return referral


def test_a_late_referral_is_marked_and_the_receiving_staff_and_coordinators_told(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    referral = overdue_referral(setup)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.referrals_mark_overdue() == 1

    referral.refresh_from_db()
    assert referral.overdue_at is not None and referral.is_overdue
    assert set(Notification.objects.filter(kind="overdue").values_list("user__email", flat=True)) == TOLD
    assert {m.to[0] for m in mailoutbox} == TOLD and len(mailoutbox) == 3
    for message in mailoutbox:
        assert referral.reference in message.subject
        assert PERSON_GIVEN not in message.body and PERSON_FAMILY not in message.body
    assert AuditEvent.objects.filter(
        object_type="cases.referral", object_id=str(referral.pk), changes__has_key="overdue_at"
    ).exists()


def test_running_twice_sends_nothing_new(setup, mailoutbox, django_capture_on_commit_callbacks):
    overdue_referral(setup)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.mark_overdue_referrals()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.mark_overdue_referrals() == 0
    assert len(mailoutbox) == 3
    assert Notification.objects.filter(kind="overdue").count() == 3


def test_a_notice_already_sent_is_not_sent_again_even_if_the_mark_was_lost(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    referral = overdue_referral(setup)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.referrals_mark_overdue()
    Referral.objects.filter(pk=referral.pk).update(overdue_at=None)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.referrals_mark_overdue() == 1

    assert mailoutbox == []
    assert Notification.objects.filter(kind="overdue").count() == 3


def test_referrals_not_late_or_no_longer_submitted_are_left_alone(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    on_time = setup.submitted()
    answered = overdue_referral(setup)
    lifecycle.referral_accept(actor=setup.actor("receiving_referral_staff"), referral=answered)
    draft = setup.draft()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.referrals_mark_overdue() == 0

    assert Referral.objects.filter(overdue_at__isnull=False).count() == 0
    assert mailoutbox == []
    # On the deadline's day after it ends, the on-time one becomes overdue.
    with django_capture_on_commit_callbacks(execute=True):
        marked = lifecycle.referrals_mark_overdue(now=on_time.acknowledge_by + datetime.timedelta(seconds=1))
    assert marked == 1
    assert Referral.objects.get(overdue_at__isnull=False) == on_time
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_the_overdue_sweep_is_scheduled(settings):
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "cases.tasks.mark_overdue_referrals"]
    assert len(entries) == 1 and entries[0]["schedule"] <= datetime.timedelta(minutes=15)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_tell_everyone_exactly_once(mailoutbox):
    setup = build_setup(build_world())
    for _ in range(3):
        overdue_referral(setup)
    mailoutbox.clear()
    start = threading.Barrier(2)
    marked, errors = [], []

    def sweep():
        try:
            start.wait()
            marked.append(lifecycle.referrals_mark_overdue())
        except Exception as error:  # the assertion below shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(marked) == 3
    assert Notification.objects.filter(kind="overdue").count() == 9
    assert len(mailoutbox) == 9
