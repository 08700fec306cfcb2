"""Sending the planned reminders (meetings/reminders.py): each due one once, none that is no longer right, a refused
message retried, a stale claim taken over, two runs at once in threads, and the daylight-saving days in Chicago."""

import datetime
import smtplib
import threading
import zoneinfo
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from meetings import reminders, services, tasks
from meetings.models import (
    ActionItemStatus,
    Invitee,
    MeetingKind,
    MeetingStatus,
    Reminder,
    ReminderKind,
)
from partners.models import Membership

from .support import actor, in_days, many_due_reminders, schedule

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
HEADER = reminders.HEADER


class RefusingBackend(BaseEmailBackend):
    """A mail server that hangs up on every message."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


REFUSING = "tests.meetings.test_reminders.RefusingBackend"


def _sent_ids(outbox) -> list[int]:
    return [int(message.extra_headers[HEADER]) for message in outbox]


def _due(meeting, kind):
    return Reminder.objects.filter(meeting=meeting, kind=kind)


@pytest.mark.django_db
def test_each_due_reminder_goes_out_once_and_a_second_run_sends_nothing(world, mailoutbox):
    meeting = schedule(world)
    invitations = set(_due(meeting, ReminderKind.INVITATION).values_list("pk", flat=True))
    assert len(invitations) == 4

    assert reminders.reminders_send_due() == 4
    assert sorted(_sent_ids(mailoutbox)) == sorted(invitations)
    assert not Reminder.objects.filter(pk__in=invitations, sent_at__isnull=True).exists()
    assert reminders.reminders_send_due() == 0
    assert len(mailoutbox) == 4

    # The 24 h reminders are due a day before, the 1 h ones an hour before: each run sends only what is due.
    day_before = meeting.start - datetime.timedelta(hours=24)
    assert reminders.reminders_send_due(now=day_before) == 4
    assert reminders.reminders_send_due(now=day_before + datetime.timedelta(hours=1)) == 0
    assert reminders.reminders_send_due(now=meeting.start - datetime.timedelta(hours=1)) == 4
    assert len(mailoutbox) == 12
    assert Counter(_sent_ids(mailoutbox)).most_common(1)[0][1] == 1
    assert not Reminder.objects.filter(meeting=meeting, sent_at__isnull=True, cancelled_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_email_has_the_time_in_the_meetings_zone_the_place_and_the_link_and_no_agenda(world, mailoutbox):
    start = datetime.datetime(2027, 6, 15, 14, 30, tzinfo=CHICAGO)
    meeting = schedule(
        world,
        start=start,
        timezone_name="America/Chicago",
        place="Room 4, Federal Building",
        video_link="https://video.example.org/psn-42",
        agenda="Discuss Jonathan Doe's case",
        users=[],
        partners=[world.receiving],
    )
    reminders.reminders_send_due()
    message = next(m for m in mailoutbox if m.to == ["receiving.member@example.org"])
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert message.subject.startswith(django_settings.ACCOUNT_EMAIL_SUBJECT_PREFIX)
    assert "Invitation: Reentry working group" in message.subject
    for body in (message.body, html):
        assert "14:30" in body and "CDT" in body and "America/Chicago" in body
        assert "Room 4, Federal Building" in body
        assert "https://video.example.org/psn-42" in body
        assert f"{django_settings.PSN_SITE_URL}/meetings/{meeting.pk}/" in body
        assert "Jonathan" not in body
        assert "receiving member" not in body  # no names, not even the recipient's


@pytest.mark.django_db
def test_a_case_review_email_shows_its_kind_not_its_title(world, mailoutbox):
    schedule(world, kind=MeetingKind.CASE_REVIEW, title="Review of Maria Lopez", users=[])
    reminders.reminders_send_due()
    assert len(mailoutbox) == 3
    for message in mailoutbox:
        text = message.subject + message.body + message.alternatives[0][0]
        assert "Maria" not in text and "Lopez" not in text
        assert "Case review" in message.subject
        assert all("Maria" not in attachment.get_payload(decode=True).decode() for attachment in message.attachments)


@pytest.mark.django_db
def test_messages_no_longer_right_are_cancelled_not_sent(world, mailoutbox):
    meeting = schedule(world)
    Reminder.objects.filter(meeting=meeting, kind=ReminderKind.INVITATION).update(sent_at=timezone.now())
    day_before = meeting.start - datetime.timedelta(hours=24)
    # Left the partner that brought them in (no re-planning happened): no longer invited.
    Membership.objects.filter(user=world.user("sending_member"), partner=world.sending).update(active=False)
    # Account deactivated.
    type(world.user("sending_referral_staff")).objects.filter(pk=world.user("sending_referral_staff").pk).update(
        is_active=False
    )
    sent = reminders.reminders_send_due(now=day_before)
    assert sent == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["outsider.member@example.org", "sending.partner_admin@example.org"]
    skipped = Reminder.objects.filter(
        meeting=meeting,
        send_at=day_before,
        user__email__in=["sending.member@example.org", "sending.referral_staff@example.org"],
    )
    assert [(r.sent_at, r.cancelled_at is not None) for r in skipped] == [(None, True), (None, True)]
    assert {r.last_error for r in skipped} == {"no longer invited", "recipient inactive"}


@pytest.mark.django_db
def test_a_meeting_cancelled_or_held_meanwhile_gets_no_reminder_and_a_stale_cancellation_is_dropped(world, mailoutbox):
    meeting = schedule(world)
    Reminder.objects.filter(meeting=meeting, kind=ReminderKind.INVITATION).update(sent_at=timezone.now())
    invitee = Invitee.objects.filter(meeting=meeting).first()
    # A cancellation planned for someone still invited to a meeting that is still on is not sent.
    stale = Reminder.objects.create(
        task_force=world.tf,
        kind=ReminderKind.CANCELLATION,
        meeting=meeting,
        user=invitee.user,
        send_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    type(meeting).objects.filter(pk=meeting.pk).update(status=MeetingStatus.HELD)
    assert reminders.reminders_send_due(now=meeting.start - datetime.timedelta(hours=1)) == 0
    assert mailoutbox == []
    assert not Reminder.objects.filter(meeting=meeting, sent_at__isnull=False, kind=ReminderKind.MEETING_SOON).exists()
    stale.refresh_from_db()
    assert stale.cancelled_at is not None and stale.sent_at is None


@pytest.mark.django_db
def test_cancelling_sends_the_cancellation_to_those_told_and_nothing_else(world, mailoutbox):
    meeting = schedule(world)
    reminders.reminders_send_due()
    mailoutbox.clear()
    services.meeting_cancel(actor=actor(world, "coordinator"), meeting=meeting, reason="Room unavailable")
    assert reminders.reminders_send_due(now=meeting.start) == 4
    assert {m.extra_headers[HEADER] for m in mailoutbox} == {
        str(pk) for pk in _due(meeting, ReminderKind.CANCELLATION).values_list("pk", flat=True)
    }
    assert all(m.subject.startswith("[PSN Hub] Cancelled:") for m in mailoutbox)


@pytest.mark.django_db
def test_action_item_reminders_go_to_the_owner_while_the_item_is_open_and_theirs(world, mailoutbox):
    meeting = schedule(world, start=in_days(-1, hour=15))
    coordinator = actor(world, "coordinator")
    owner = world.user("sending_member")
    item = services.action_item_add(
        actor=coordinator,
        meeting=meeting,
        text="Send the reentry flyer to the court",
        owner=owner,
        due_date=timezone.localdate() + datetime.timedelta(days=5),
    )
    other = services.action_item_add(
        actor=coordinator, meeting=meeting, text="Book a room", owner=owner, due_date=item.due_date
    )
    moved = services.action_item_add(
        actor=coordinator, meeting=meeting, text="Call the shelter", owner=owner, due_date=item.due_date
    )
    services.action_item_set_status(actor=coordinator, item=other, done=True)
    # Done or given to someone else behind the planner's back: the send-time check still catches it.
    type(moved).objects.filter(pk=moved.pk).update(owner=world.user("sending_partner_admin"))
    due_soon = Reminder.objects.get(action_item=item, kind=ReminderKind.ACTION_DUE)
    mailoutbox.clear()
    Reminder.objects.filter(meeting=meeting).update(cancelled_at=timezone.now())

    assert reminders.reminders_send_due(now=due_soon.send_at) == 1
    [message] = mailoutbox
    assert message.to == [owner.email]
    assert message.extra_headers[HEADER] == str(due_soon.pk)
    assert "Send the reentry flyer to the court" in message.body
    assert message.attachments == []
    assert Reminder.objects.get(action_item=moved, kind=ReminderKind.ACTION_DUE).last_error == (
        "action item has another owner"
    )
    assert not Reminder.objects.filter(action_item=other, sent_at__isnull=False).exists()

    type(item).objects.filter(pk=item.pk).update(status=ActionItemStatus.DONE, done_at=timezone.now())
    overdue = Reminder.objects.get(action_item=item, kind=ReminderKind.ACTION_OVERDUE)
    assert reminders.reminders_send_due(now=overdue.send_at) == 0
    overdue.refresh_from_db()
    assert overdue.cancelled_at is not None and overdue.last_error == "action item done"


@pytest.mark.django_db
def test_a_refused_message_is_released_and_sent_by_the_next_run(world, settings, mailoutbox):
    meeting = schedule(world, users=[], partners=[world.outsider])
    settings.EMAIL_BACKEND = REFUSING
    assert reminders.reminders_send_due() == 0
    rows = list(_due(meeting, ReminderKind.INVITATION))
    assert len(rows) == 3
    for row in rows:
        assert row.sent_at is None and row.cancelled_at is None and row.claimed_at is None
        assert row.attempts == 1
        assert row.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.reminders_send_due() == 3
    assert sorted(_sent_ids(mailoutbox)) == sorted(r.pk for r in rows)
    for row in _due(meeting, ReminderKind.INVITATION):
        assert row.sent_at is not None and row.attempts == 2 and row.last_error == ""


@pytest.mark.django_db
def test_after_five_refusals_a_message_is_given_up_with_its_error(world, settings, mailoutbox):
    meeting = schedule(world, users=[world.user("outsider_member")], partners=[])
    settings.EMAIL_BACKEND = REFUSING
    for _attempt in range(reminders.MAX_ATTEMPTS):
        reminders.reminders_send_due()
    row = _due(meeting, ReminderKind.INVITATION).get()
    assert row.attempts == reminders.MAX_ATTEMPTS
    assert row.cancelled_at is not None and row.sent_at is None and "SMTPServerDisconnected" in row.last_error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.reminders_send_due() == 0


@pytest.mark.django_db
def test_a_stale_claim_is_taken_over_and_a_live_one_is_left_alone(world, settings, mailoutbox):
    settings.PSN_REMINDER_LEASE_SECONDS = 60
    meeting = schedule(world, users=[], partners=[world.outsider])
    stale, live, free = _due(meeting, ReminderKind.INVITATION).order_by("pk")
    now = timezone.now()
    # A worker killed two minutes ago while sending ``stale``; another one is sending ``live`` right now.
    Reminder.objects.filter(pk=stale.pk).update(
        claimed_at=now - datetime.timedelta(minutes=2), claim_token="dead", attempts=1
    )
    Reminder.objects.filter(pk=live.pk).update(claimed_at=now, claim_token="busy", attempts=1)

    assert reminders.reminders_send_due() == 2
    assert sorted(_sent_ids(mailoutbox)) == sorted([stale.pk, free.pk])
    stale.refresh_from_db()
    assert stale.sent_at is not None and stale.attempts == 2 and stale.claim_token not in ("", "dead")
    live.refresh_from_db()
    assert live.sent_at is None and live.claim_token == "busy"
    # The killed worker's late "sent" (if it came back) matches no claim any more and changes nothing.
    assert reminders._mark_sent(stale.pk, "dead") is False


@pytest.mark.django_db
def test_the_beat_schedule_runs_both_tasks_and_the_send_task_sends(world, mailoutbox):
    schedule_ = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule_["send-due-reminders"]["task"] == "meetings.tasks.send_due_reminders"
    assert schedule_["send-due-reminders"]["schedule"] == datetime.timedelta(minutes=1)
    assert schedule_["extend-meeting-series"]["task"] == "meetings.tasks.extend_meeting_series"
    schedule(world)
    assert tasks.send_due_reminders.delay().get() == 4
    assert tasks.extend_meeting_series.delay().get() == 0


# --- Daylight-saving days in Chicago ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "day_before_local", "zone_name"),
    [
        # Spring forward: the day before is on standard time, so 24 real hours before 10:00 CDT is 09:00 CST.
        (datetime.date(2027, 3, 14), datetime.datetime(2027, 3, 13, 9, 0), "CDT"),
        # Fall back: the day before is on daylight time, so 24 real hours before 10:00 CST is 11:00 CDT.
        (datetime.date(2027, 11, 7), datetime.datetime(2027, 11, 6, 11, 0), "CST"),
    ],
)
def test_on_the_days_clocks_change_the_24_hour_reminder_is_24_real_hours_before(
    world, mailoutbox, day, day_before_local, zone_name
):
    local_start = datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=CHICAGO)
    meeting = schedule(world, start=local_start, timezone_name="America/Chicago", users=[], partners=[world.outsider])
    assert timezone.localtime(meeting.start, CHICAGO).hour == 10
    # Real hours are counted in UTC (Python's arithmetic on a Chicago time would count wall-clock hours).
    start = local_start.astimezone(datetime.UTC)
    soon = sorted(set(_due(meeting, ReminderKind.MEETING_SOON).values_list("send_at", flat=True)))
    assert soon == [start - datetime.timedelta(hours=24), start - datetime.timedelta(hours=1)]
    assert timezone.localtime(soon[0], CHICAGO).replace(tzinfo=None) == day_before_local
    assert (start - soon[0]).total_seconds() == 24 * 3600

    reminders.reminders_send_due()
    mailoutbox.clear()
    assert reminders.reminders_send_due(now=soon[0] - datetime.timedelta(seconds=1)) == 0
    assert reminders.reminders_send_due(now=soon[0]) == 3
    assert all(f"10:00 {zone_name}" in m.subject for m in mailoutbox), [m.subject for m in mailoutbox]
    assert all("10:00" in m.body and f"({zone_name}, America/Chicago)" in m.body for m in mailoutbox)


# --- Two runs at once ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_threads_sending_at_once_send_each_of_300_reminders_exactly_once(world):
    mail.outbox = []
    due = many_due_reminders(world, people=27, per_person=10)  # 30 invitees with the partner's three
    assert len(due) == 300
    start = threading.Barrier(2)

    def run() -> int:
        try:
            start.wait()
            return reminders.reminders_send_due(batch=50)
        finally:
            connection.close()  # each thread has its own database connection

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(run) for _ in range(2)]
        counts = [future.result(timeout=180) for future in futures]
    sent = Counter(_sent_ids(mail.outbox))
    assert sorted(sent) == sorted(due)
    assert set(sent.values()) == {1}
    assert sum(counts) == 300 and all(counts), counts  # both threads did part of the work
    assert Reminder.objects.filter(pk__in=due, sent_at__isnull=True).count() == 0
