"""The iCalendar (RFC 5545) text of meetings: the invitation, update and cancellation attached to emails
(METHOD:REQUEST / CANCEL) and the private calendar feed (METHOD:PUBLISH, ``meetings/feed.py``).

Each meeting is one VEVENT whose UID (``<meeting.uid>@psnhub``) never changes and whose SEQUENCE is the meeting's,
so a calendar replaces its copy on an update and removes it on a cancel. Times are written in the meeting's own
time zone (TZID) with the VTIMEZONE that defines it, so 10:00 in Chicago stays 10:00 across daylight-saving changes.

What goes into a calendar leaves our control (mail servers, phones, calendar providers): no agenda, no minutes,
and for a case review not even its title (titles of case reviews may name a person): its kind's label instead.
"""

from __future__ import annotations

import datetime
import email.utils
from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from .models import ActionItem, Meeting, MeetingKind, MeetingStatus

PRODID = "-//PSN Hub//Meetings//EN"
UID_DOMAIN = "psnhub"
METHODS = ("REQUEST", "CANCEL", "PUBLISH")


def meeting_uid(meeting: Meeting) -> str:
    return f"{meeting.uid}@{UID_DOMAIN}"


def action_item_uid(item: ActionItem) -> str:
    return f"action-item-{item.pk}@{UID_DOMAIN}"


def meeting_url(meeting: Meeting) -> str:
    """The meeting page's absolute address: access is checked there, not in the calendar or the email."""
    return settings.PSN_SITE_URL + reverse("meetings:meeting_detail", kwargs={"pk": meeting.pk})


def meeting_summary(meeting: Meeting) -> str:
    """The title a calendar or an email may show: a case review's own title stays on PSN Hub."""
    if meeting.kind == MeetingKind.CASE_REVIEW:
        return str(MeetingKind.CASE_REVIEW.label)
    return meeting.title


def _organizer() -> vCalAddress:
    name, address = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["cn"] = vText(name)
    return organizer


def _meeting_event(meeting: Meeting, *, stamp: datetime.datetime, cancelled: bool, recipient=None) -> Event:
    tz = meeting.tzinfo
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", timezone.localtime(meeting.start, tz))
    event.add("dtend", timezone.localtime(meeting.end, tz))
    event.add("summary", meeting_summary(meeting))
    location = meeting.place or meeting.video_link
    if location:
        event.add("location", location)
    url = meeting_url(meeting)
    event.add("url", url)
    lines = []
    if meeting.video_link and meeting.place:
        lines.append(_("Video link: %(link)s") % {"link": meeting.video_link})
    lines.append(_("Details on PSN Hub: %(url)s") % {"url": url})
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    event.add("organizer", _organizer())
    if recipient is not None:
        # The address only: the calendar shows the recipient their own invitation, no name needed.
        attendee = vCalAddress(f"mailto:{recipient.email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
    return event


def _action_item_event(item: ActionItem, *, stamp: datetime.datetime) -> Event:
    """An open action item as an all-day event on its due date (subscribed calendars show events; many ignore
    VTODO)."""
    meeting = item.meeting
    event = Event()
    event.add("uid", action_item_uid(item))
    event.add("dtstamp", stamp)
    event.add("dtstart", item.due_date)
    event.add("dtend", item.due_date + datetime.timedelta(days=1))
    event.add("summary", _("Action item due: %(meeting)s") % {"meeting": meeting_summary(meeting)})
    url = meeting_url(meeting)
    event.add("url", url)
    lines = []
    # A case review's items name the work on a person: their text stays on PSN Hub.
    if meeting.kind != MeetingKind.CASE_REVIEW:
        lines.append(item.text)
    lines.append(_("Details on PSN Hub: %(url)s") % {"url": url})
    event.add("description", "\n".join(lines))
    event.add("transp", "TRANSPARENT")
    return event


def _calendar(method: str, *, name: str | None = None) -> Calendar:
    if method not in METHODS:
        raise ValueError(f"Unknown iCalendar method {method!r}")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    return cal


def _finish(cal: Calendar, meetings: Iterable[Meeting]) -> bytes:
    starts = [m.start for m in meetings]
    if starts:
        # VTIMEZONE rules covering the events (not icalendar's default 1970-2038 span, which is 60+ lines each).
        first = (min(starts) - datetime.timedelta(days=400)).date()
        last = (max(starts) + datetime.timedelta(days=400)).date()
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()


def meeting_calendar(meeting: Meeting, *, method: str, recipient=None, now: datetime.datetime | None = None) -> bytes:
    """One meeting's .ics: METHOD:REQUEST for an invitation or update (with the recipient as ATTENDEE),
    METHOD:CANCEL for a cancellation, METHOD:PUBLISH for a plain copy."""
    cal = _calendar(method)
    cancelled = method == "CANCEL" or meeting.status == MeetingStatus.CANCELLED
    cal.add_component(_meeting_event(meeting, stamp=now or timezone.now(), cancelled=cancelled, recipient=recipient))
    return _finish(cal, [meeting])


def feed_ics(
    *, meetings: list[Meeting], action_items: list[ActionItem], name: str, now: datetime.datetime | None = None
) -> bytes:
    """The calendar feed's text (METHOD:PUBLISH): the meetings (cancelled ones marked so) and the open action
    items."""
    stamp = now or timezone.now()
    cal = _calendar("PUBLISH", name=name)
    cal.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for meeting in meetings:
        cal.add_component(_meeting_event(meeting, stamp=stamp, cancelled=meeting.status == MeetingStatus.CANCELLED))
    for item in action_items:
        cal.add_component(_action_item_event(item, stamp=stamp))
    return _finish(cal, meetings)
