"""The .ics of meetings (meetings/ics.py), read back with the icalendar package: a stable UID, the SEQUENCE going up
with each change, METHOD REQUEST for invitations and updates and CANCEL for cancellations, the time in the
meeting's own zone with its VTIMEZONE, and nothing confidential."""

import datetime
import zoneinfo

import pytest
from django.conf import settings
from icalendar import Calendar

from meetings import ics, reminders, services
from meetings.models import MeetingKind, Reminder, ReminderKind

from .support import actor, schedule

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def _attachment(message):
    [part] = message.attachments
    return part


def _calendar_of(message) -> Calendar:
    return Calendar.from_ical(_attachment(message).get_payload(decode=True))


def _event(cal: Calendar):
    [event] = cal.events
    return event


def _mail_to(outbox, email):
    return [m for m in outbox if m.to == [email]]


def test_invitation_update_and_cancellation_carry_the_same_uid_a_rising_sequence_and_the_right_method(
    world, mailoutbox
):
    meeting = schedule(world, users=[world.user("outsider_member")], partners=[], place="Room 4")
    coordinator = actor(world, "coordinator")
    reminders.reminders_send_due()
    services.meeting_update(actor=coordinator, meeting=meeting, changes={"place": "Room 9"})
    reminders.reminders_send_due()
    services.meeting_cancel(actor=coordinator, meeting=meeting, reason="No quorum")
    reminders.reminders_send_due(now=meeting.start)

    invitation, update, cancellation = _mail_to(mailoutbox, "outsider.member@example.org")
    assert invitation.subject == f"[PSN Hub] Invitation: Reentry working group ({_local(meeting)})"
    assert update.subject.startswith("[PSN Hub] Updated: Reentry working group")
    assert cancellation.subject.startswith("[PSN Hub] Cancelled: Reentry working group")
    seen = []
    for message, method, status in (
        (invitation, "REQUEST", "CONFIRMED"),
        (update, "REQUEST", "CONFIRMED"),
        (cancellation, "CANCEL", "CANCELLED"),
    ):
        part = _attachment(message)
        assert part.get_content_type() == "text/calendar"
        assert part.get_param("method") == method
        assert part.get_filename() == "invite.ics"
        cal = _calendar_of(message)
        assert cal["METHOD"] == method
        event = _event(cal)
        assert event["STATUS"] == status
        assert str(event["ATTENDEE"]) == "mailto:outsider.member@example.org"
        assert str(event["ORGANIZER"]) == "mailto:no-reply@psnhub.invalid"
        assert event["URL"] == f"{settings.PSN_SITE_URL}/meetings/{meeting.pk}/"
        seen.append((str(event["UID"]), int(event["SEQUENCE"]), str(event["LOCATION"])))
    assert seen == [
        (f"{meeting.uid}@psnhub", 0, "Room 4"),
        (f"{meeting.uid}@psnhub", 1, "Room 9"),
        (f"{meeting.uid}@psnhub", 2, "Room 9"),
    ]


def _local(meeting) -> str:
    return meeting.start.astimezone(meeting.tzinfo).strftime("%a %-d %b %Y, %H:%M")


def test_a_reminder_before_the_meeting_carries_no_ics(world, mailoutbox):
    meeting = schedule(world, users=[world.user("outsider_member")], partners=[])
    Reminder.objects.filter(kind=ReminderKind.INVITATION).update(sent_at=meeting.start)
    reminders.reminders_send_due(now=meeting.start - datetime.timedelta(hours=1))
    assert len(mailoutbox) == 2
    assert all(m.attachments == [] for m in mailoutbox)


@pytest.mark.parametrize(
    ("day", "offset"),
    [(datetime.date(2027, 3, 14), "-0500"), (datetime.date(2027, 11, 7), "-0600")],
)
def test_on_the_days_clocks_change_dtstart_is_10_oclock_chicago_with_its_vtimezone(world, day, offset):
    start = datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=CHICAGO)
    meeting = schedule(world, start=start, timezone_name="America/Chicago")
    meeting.refresh_from_db()  # as stored: in UTC
    raw = ics.meeting_calendar(meeting, method="REQUEST", recipient=world.user("outsider_member"))
    assert f"DTSTART;TZID=America/Chicago:{day:%Y%m%d}T100000".encode() in raw
    assert f"DTEND;TZID=America/Chicago:{day:%Y%m%d}T110000".encode() in raw
    cal = Calendar.from_ical(raw)
    [vtimezone] = cal.timezones
    assert vtimezone["TZID"] == "America/Chicago"
    assert f"TZOFFSETTO:{offset}".encode() in vtimezone.to_ical()
    event = _event(cal)
    assert event["DTSTART"].dt == start and event["DTSTART"].params["TZID"] == "America/Chicago"
    assert event["DTEND"].dt - event["DTSTART"].dt == datetime.timedelta(hours=1)


def test_a_case_review_ics_shows_its_kind_not_its_title_and_no_agenda_or_minutes(world):
    meeting = schedule(
        world,
        kind=MeetingKind.CASE_REVIEW,
        title="Review of Maria Lopez",
        agenda="Maria's housing and the 3 March hearing",
        video_link="https://video.example.org/cr",
    )
    type(meeting).objects.filter(pk=meeting.pk).update(minutes="Maria agreed to the plan")
    meeting.refresh_from_db()
    raw = ics.meeting_calendar(meeting, method="REQUEST", recipient=world.user("sending_member"))
    assert b"Maria" not in raw and b"Lopez" not in raw and b"hearing" not in raw
    assert b"sending member" not in raw  # the attendee is an address, not a name
    event = _event(Calendar.from_ical(raw))
    assert event["SUMMARY"] == "Case review"
    assert event["LOCATION"] == "https://video.example.org/cr"


def test_the_uid_is_the_meetings_own_and_never_changes(world):
    meeting = schedule(world)
    first = _event(Calendar.from_ical(ics.meeting_calendar(meeting, method="PUBLISH")))
    moved = services.meeting_update(
        actor=actor(world, "coordinator"),
        meeting=meeting,
        changes={"start": meeting.start + datetime.timedelta(days=7), "end": meeting.end + datetime.timedelta(days=7)},
    )
    again = _event(Calendar.from_ical(ics.meeting_calendar(moved, method="REQUEST")))
    assert first["UID"] == again["UID"] == f"{meeting.uid}@psnhub"
    assert (int(first["SEQUENCE"]), int(again["SEQUENCE"])) == (0, 1)
    assert again["DTSTART"].dt - first["DTSTART"].dt == datetime.timedelta(days=7)
    assert "ATTENDEE" not in first


def test_an_unknown_method_is_refused(world):
    meeting = schedule(world)
    with pytest.raises(ValueError):
        ics.meeting_calendar(meeting, method="REPLY")
