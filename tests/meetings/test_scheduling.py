"""Scheduling, changing and cancelling meetings plan the right reminders (meetings/services.py)."""

import datetime
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings import services
from meetings.models import Invitee, Meeting, MeetingKind, MeetingStatus, Reminder, ReminderKind

from .support import actor, in_days, schedule

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def _unsent(meeting, kind):
    return set(
        Reminder.objects.filter(meeting=meeting, kind=kind, sent_at=None, cancelled_at=None).values_list(
            "user_id", "send_at"
        )
    )


def test_scheduling_invites_the_partners_members_and_the_people_named_and_plans_two_reminders_each(world):
    meeting = schedule(world)
    invited = set(Invitee.objects.filter(meeting=meeting).values_list("user__email", flat=True))
    assert invited == {
        "sending.member@example.org",
        "sending.referral_staff@example.org",
        "sending.partner_admin@example.org",
        "outsider.member@example.org",
    }
    soon = _unsent(meeting, ReminderKind.MEETING_SOON)
    assert len(soon) == 8
    assert {at for _uid, at in soon} == {
        meeting.start - datetime.timedelta(hours=24),
        meeting.start - datetime.timedelta(hours=1),
    }
    assert len(_unsent(meeting, ReminderKind.INVITATION)) == 4


def test_only_coordinators_schedule(world):
    with pytest.raises(PermissionDenied):
        services.meeting_schedule(
            actor=actor(world, "sending_partner_admin"),
            kind=MeetingKind.TASK_FORCE,
            title="x",
            start=in_days(2),
            end=in_days(2.1),
        )


def test_a_partner_of_another_task_force_cannot_be_invited(world):
    with pytest.raises(ValidationError):
        schedule(world, partners=[world.foreign])
    assert not Meeting.objects.exists()


def test_rescheduling_replans_and_moving_back_revives_the_same_reminders(world):
    meeting = schedule(world)
    first = _unsent(meeting, ReminderKind.MEETING_SOON)
    coordinator = actor(world, "coordinator")
    moved = services.meeting_update(
        actor=coordinator,
        meeting=meeting,
        changes={"start": meeting.start + datetime.timedelta(days=1), "end": meeting.end + datetime.timedelta(days=1)},
    )
    assert moved.sequence == 1
    assert _unsent(meeting, ReminderKind.MEETING_SOON).isdisjoint(first)
    services.meeting_update(actor=coordinator, meeting=moved, changes={"start": meeting.start, "end": meeting.end})
    assert _unsent(meeting, ReminderKind.MEETING_SOON) == first
    assert Reminder.objects.filter(meeting=meeting, kind=ReminderKind.MEETING_SOON).count() == 16


def test_cancelling_stops_the_unsent_and_plans_cancellations_for_those_who_were_told(world):
    meeting = schedule(world)
    told = Reminder.objects.filter(meeting=meeting, kind=ReminderKind.INVITATION).first()
    Reminder.objects.filter(pk=told.pk).update(sent_at=timezone.now())
    services.meeting_cancel(actor=actor(world, "coordinator"), meeting=meeting, reason="Room unavailable")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.sequence == 1
    assert not _unsent(meeting, ReminderKind.MEETING_SOON)
    assert {uid for uid, _at in _unsent(meeting, ReminderKind.CANCELLATION)} == {told.user_id}


def test_weekly_series_keeps_its_local_time_across_the_daylight_saving_change(world, settings):
    settings.PSN_MEETING_HORIZON_DAYS = 400
    # Tuesdays at 10:00 Chicago time, from the last Tuesday of October 2027 over the change on 7 November.
    first = datetime.datetime(2027, 10, 26, 10, 0, tzinfo=CHICAGO)
    meeting = schedule(world, kind=MeetingKind.CASE_REVIEW, start=first, rrule="FREQ=WEEKLY;COUNT=3")
    occurrences = list(Meeting.objects.filter(series=meeting.series).order_by("start"))
    assert [timezone.localtime(m.start, CHICAGO).hour for m in occurrences] == [10, 10, 10]
    assert [m.start.astimezone(datetime.UTC).hour for m in occurrences] == [15, 15, 16]
    assert services.series_extend(series=meeting.series) == []


def test_a_rule_repeating_hourly_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        schedule(world, rrule="FREQ=HOURLY")
    assert "rrule" in refused.value.message_dict
    assert not Meeting.objects.exists()
