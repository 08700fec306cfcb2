"""Attendance, minutes, action items, series changes, invitee refresh and reminder settings (meetings/services.py)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from meetings import services
from meetings.models import (
    ActionItemStatus,
    Attendance,
    Invitee,
    Meeting,
    MeetingKind,
    MeetingPartner,
    MeetingStatus,
    Reminder,
    ReminderKind,
)
from partners.models import Role
from psn import access
from psn.models import AuditEvent
from tests.factories import MembershipFactory, UserFactory

from .support import actor, in_days, schedule

pytestmark = pytest.mark.django_db


def _past_meeting(world, **kwargs):
    meeting = schedule(world, **kwargs)
    Meeting.objects.filter(pk=meeting.pk).update(
        start=timezone.now() - datetime.timedelta(hours=2), end=timezone.now() - datetime.timedelta(hours=1)
    )
    meeting.refresh_from_db()
    return meeting


def test_attendance_marks_people_derives_the_partner_and_records_the_meeting_held(world):
    meeting = _past_meeting(world)
    staff, member = world.user("sending_referral_staff"), world.user("sending_member")
    services.attendance_record(
        actor=actor(world, "coordinator"),
        meeting=meeting,
        people={staff.pk: Attendance.PRESENT, member.pk: Attendance.EXCUSED},
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    assert Invitee.objects.get(meeting=meeting, user=staff).attendance == Attendance.PRESENT
    assert MeetingPartner.objects.get(meeting=meeting, partner=world.sending).attendance == Attendance.PRESENT
    assert AuditEvent.objects.filter(object_type="meetings.meeting", object_id=str(meeting.pk)).count() >= 2


def test_attendance_for_someone_not_invited_or_a_bad_value_changes_nothing(world):
    meeting = _past_meeting(world)
    coordinator = actor(world, "coordinator")
    with pytest.raises(ValidationError):
        services.attendance_record(
            actor=coordinator, meeting=meeting, people={world.user("receiving_member").pk: "present"}
        )
    with pytest.raises(ValidationError):
        services.attendance_record(actor=coordinator, meeting=meeting, people={world.user("sending_member").pk: "late"})
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED
    assert not Invitee.objects.filter(meeting=meeting).exclude(attendance="").exists()


def test_attendance_cannot_be_taken_days_before_the_meeting_or_by_a_member(world):
    meeting = schedule(world)
    with pytest.raises(ValidationError):
        services.attendance_record(actor=actor(world, "coordinator"), meeting=meeting, people={})
    with pytest.raises(PermissionDenied):
        services.attendance_record(actor=actor(world, "sending_partner_admin"), meeting=meeting, people={})


def test_action_item_plans_the_due_soon_and_overdue_reminders_and_done_stops_them(world):
    meeting = schedule(world)
    owner = world.user("sending_referral_staff")
    item = services.action_item_add(
        actor=actor(world, "coordinator"),
        meeting=meeting,
        text="Share the call-in list",
        owner=owner,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    kinds = set(Reminder.objects.filter(action_item=item, cancelled_at=None).values_list("kind", "user_id"))
    assert kinds == {(ReminderKind.ACTION_DUE, owner.pk), (ReminderKind.ACTION_OVERDUE, owner.pk)}
    # The owner ticks it: no reminder of it goes out any more; reopening plans them again.
    done = services.action_item_set_status(actor=actor(world, "sending_referral_staff"), item=item, done=True)
    assert done.status == ActionItemStatus.DONE and done.done_at is not None
    assert not Reminder.objects.filter(action_item=item, cancelled_at=None).exists()
    services.action_item_set_status(actor=actor(world, "coordinator"), item=item, done=False)
    assert Reminder.objects.filter(action_item=item, cancelled_at=None).count() == 2


def test_someone_else_cannot_tick_an_item_and_an_owner_from_another_task_force_is_refused(world):
    meeting = schedule(world)
    item = services.action_item_add(
        actor=actor(world, "coordinator"),
        meeting=meeting,
        text="Book the room",
        owner=world.user("sending_member"),
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    with pytest.raises(PermissionDenied):
        services.action_item_set_status(actor=actor(world, "sending_referral_staff"), item=item, done=True)
    with pytest.raises(ValidationError):
        services.action_item_update(
            actor=actor(world, "coordinator"), item=item, changes={"owner": world.user("foreign_member")}
        )


def test_minutes_of_a_case_review_are_for_its_invitees_only(world):
    meeting = schedule(world, kind=MeetingKind.CASE_REVIEW)
    coordinator = actor(world, "coordinator")
    seen = Meeting.objects.filter(pk=meeting.pk)
    uninvited = access.meetings_visible_to(coordinator).get(pk=meeting.pk)
    assert not access.can_view_minutes(coordinator, uninvited)
    with pytest.raises(PermissionDenied):
        services.meeting_minutes_save(actor=coordinator, meeting=uninvited, minutes="Reviewed R-2026-0001")
    services.invitee_add(actor=coordinator, meeting=meeting, user=world.user("coordinator"))
    invited = access.meetings_visible_to(coordinator).get(pk=meeting.pk)
    services.meeting_minutes_save(actor=coordinator, meeting=invited, minutes="Reviewed R-2026-0001")
    assert seen.get().minutes == "Reviewed R-2026-0001"
    # An invitee sees them; a member of a partner that was not invited does not see the meeting at all.
    member = actor(world, "sending_member")
    assert access.can_view_minutes(member, access.meetings_visible_to(member).get(pk=meeting.pk))
    assert not access.meetings_visible_to(actor(world, "receiving_member")).filter(pk=meeting.pk).exists()
    assert not access.meetings_visible_to(actor(world, "foreign_coordinator")).filter(pk=meeting.pk).exists()


def test_changing_a_series_moves_its_future_occurrences_but_not_one_edited_on_its_own(world, settings):
    settings.PSN_MEETING_HORIZON_DAYS = 60
    coordinator = actor(world, "coordinator")
    first = schedule(world, start=in_days(2, hour=15), rrule="FREQ=WEEKLY")
    series = first.series
    occurrences = list(Meeting.objects.filter(series=series).order_by("start"))
    assert len(occurrences) >= 8
    own = services.meeting_update(actor=coordinator, meeting=occurrences[1], changes={"place": "Room 2"})
    services.series_update(actor=coordinator, series=series, changes={"title": "Reentry roundtable", "place": "Hall"})
    titles = dict(Meeting.objects.filter(series=series).values_list("pk", "title"))
    assert titles[own.pk] == "Reentry working group"
    assert {t for pk, t in titles.items() if pk != own.pk} == {"Reentry roundtable"}
    # A new time of day: the old future occurrences are cancelled, new ones made on the new time.
    services.series_update(
        actor=coordinator,
        series=series,
        changes={
            "start": series.first_start + datetime.timedelta(hours=1),
            "end": series.first_start + datetime.timedelta(hours=2),
        },
    )
    scheduled = Meeting.objects.filter(series=series, status=MeetingStatus.SCHEDULED, detached=False)
    assert scheduled.exists()
    later = timezone.localtime(first.start, first.tzinfo) + datetime.timedelta(hours=1)
    assert {timezone.localtime(m.start, m.tzinfo).hour for m in scheduled} == {later.hour}
    assert Meeting.objects.filter(series=series, status=MeetingStatus.CANCELLED).count() >= len(occurrences) - 1


def test_ending_a_series_cancels_what_is_ahead(world, settings):
    settings.PSN_MEETING_HORIZON_DAYS = 40
    first = schedule(world, start=in_days(2, hour=15), rrule="FREQ=WEEKLY")
    cancelled = services.series_end(actor=actor(world, "coordinator"), series=first.series)
    assert cancelled == Meeting.objects.filter(series=first.series).count()
    assert not Meeting.objects.filter(series=first.series, status=MeetingStatus.SCHEDULED).exists()
    assert services.series_extend(series=first.series) == []


def test_someone_joining_an_invited_partner_is_invited_by_the_daily_refresh_and_someone_leaving_dropped(world):
    meeting = schedule(world)
    newcomer = UserFactory(email="newcomer@example.org")
    MembershipFactory(user=newcomer, partner=world.sending, role=Role.MEMBER)
    leaver = world.user("sending_member")
    leaver.memberships.update(active=False)
    assert services.meetings_refresh_invitees() == 2
    invited = set(Invitee.objects.filter(meeting=meeting).values_list("user_id", flat=True))
    assert newcomer.pk in invited and leaver.pk not in invited
    assert Reminder.objects.filter(meeting=meeting, user=newcomer, kind=ReminderKind.INVITATION).exists()
    assert not Reminder.objects.filter(meeting=meeting, user=leaver, sent_at=None, cancelled_at=None).exists()
    assert services.meetings_refresh_invitees() == 0


def test_new_reminder_settings_replan_the_meetings_ahead(world):
    meeting = schedule(world)
    services.reminder_settings_save(
        actor=actor(world, "coordinator"), meeting_hours=[48, 2], action_due_days=3, action_overdue=True, action_hour=8
    )
    planned = set(
        Reminder.objects.filter(meeting=meeting, kind=ReminderKind.MEETING_SOON, cancelled_at=None).values_list(
            "send_at", flat=True
        )
    )
    assert planned == {meeting.start - datetime.timedelta(hours=48), meeting.start - datetime.timedelta(hours=2)}
    with pytest.raises(ValidationError):
        services.reminder_settings_save(
            actor=actor(world, "coordinator"), meeting_hours=[0], action_due_days=3, action_overdue=True, action_hour=8
        )


def test_an_invited_coordinator_may_edit_minutes_of_a_meeting_read_without_the_selector(world):
    meeting = schedule(world, kind=MeetingKind.CASE_REVIEW, users=[world.user("coordinator")])
    plain = Meeting.objects.get(pk=meeting.pk)
    services.meeting_minutes_save(actor=actor(world, "coordinator"), meeting=plain, minutes="Reviewed")
    assert Meeting.objects.get(pk=meeting.pk).minutes == "Reviewed"
