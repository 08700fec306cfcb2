"""The meeting pages (meetings/views.py): the list with its tabs and month calendar, the detail, scheduling,
changing (one meeting or the whole series), cancelling, recording held, minutes and the reminder settings.

The trio: the coordinator (manages), an invitee (a member of the invited sending partner), a member who is not
invited (the receiving partner); and a coordinator of another task force (404)."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import selectors, services
from meetings.models import Meeting, MeetingKind, MeetingSeries, MeetingStatus, ReminderSettings
from partners.models import Partner, Role
from psn.access import actor_for
from tests.conftest import login_client
from tests.factories import MembershipFactory, UserFactory

from .support import actor, in_days, schedule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _far_horizon(settings):
    # Series in 2031 are made up to the horizon: far enough to hold them.
    settings.PSN_MEETING_HORIZON_DAYS = 365 * 8


CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
LIST = reverse("meetings:meeting_list")
CREATE = reverse("meetings:meeting_create")


def url(name: str, *args) -> str:
    return reverse(f"meetings:{name}", args=args)


def form_data(world, **overrides) -> dict:
    start = (timezone.localtime(timezone.now(), CHICAGO) + datetime.timedelta(days=5)).replace(hour=10, minute=0)
    data = {
        "kind": MeetingKind.TASK_FORCE,
        "title": "Quarterly task force meeting",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "timezone": "America/Chicago",
        "place": "Federal courthouse, room 7",
        "video_link": "",
        "agenda": "1. Numbers\n2. Next steps",
        "partners": [str(world.sending.pk)],
        "users": [str(world.user("outsider_member").pk)],
        "repeat": "",
        "rrule": "",
        "until": "",
        "count": "",
    }
    data.update(overrides)
    return data


# --- List and calendar ---------------------------------------------------------------------------------------


def test_the_list_shows_each_person_the_meetings_they_may_see(world, client_for):
    invited = schedule(world, title="Reentry working group")
    other = schedule(world, title="Closed-door strategy", partners=[], users=[])
    coordinator = client_for("coordinator").get(LIST).content.decode()
    assert "Reentry working group" in coordinator and "Closed-door strategy" in coordinator
    assert url("meeting_detail", invited.pk) in coordinator
    assert url("meeting_create") in coordinator
    invitee = client_for("sending_member").get(LIST).content.decode()
    assert "Reentry working group" in invitee and "Closed-door strategy" not in invitee
    assert url("meeting_create") not in invitee
    stranger = client_for("receiving_member").get(LIST).content.decode()
    assert "Reentry working group" not in stranger and "No upcoming meetings." in stranger
    foreign = client_for("foreign_coordinator").get(LIST)
    assert foreign.status_code == 200
    assert "Reentry working group" not in foreign.content.decode()
    assert url("meeting_detail", other.pk) not in foreign.content.decode()


def test_upcoming_and_past_tabs_and_the_kind_filter(world, client_for):
    schedule(world, title="Next week's review", kind=MeetingKind.CASE_REVIEW, start=in_days(7, hour=15))
    schedule(world, title="Last month's forum", kind=MeetingKind.CALL_IN, start=in_days(-30, hour=15))
    client = client_for("sending_member")
    upcoming = client.get(LIST).content.decode()
    assert "Next week&#x27;s review" in upcoming and "Last month" not in upcoming
    past = client.get(LIST, {"when": "past"}).content.decode()
    assert "Last month&#x27;s forum" in past and "Next week" not in past
    assert 'aria-current="page">Past' in past
    filtered = client.get(LIST, {"when": "upcoming", "kind": MeetingKind.TASK_FORCE}).content.decode()
    assert "Next week" not in filtered and "No upcoming meetings." in filtered


def test_times_show_in_the_meetings_time_zone(world, client_for):
    start = datetime.datetime(2031, 3, 11, 15, 30, tzinfo=datetime.UTC)  # 10:30 in Chicago (CDT)
    meeting = schedule(world, start=start)
    text = client_for("sending_member").get(url("meeting_detail", meeting.pk)).content.decode()
    assert "March 11, 2031, 10:30 a.m." in text and "America/Chicago" in text


@pytest.mark.parametrize(
    "query",
    [
        {"when": "someday"},
        {"kind": "picnic"},
        {"view": "week"},
        {"view": "month", "month": "2026-13"},
        {"view": "month", "month": "March"},
        {"view": "month", "month": "9999-01"},
    ],
)
def test_a_bad_filter_is_a_400_with_the_reason(world, client_for, query):
    response = client_for("coordinator").get(LIST, query)
    assert response.status_code == 400
    assert "Some filters are not valid" in response.content.decode()


@pytest.mark.parametrize("page", ["0", "99", "abc"])
def test_a_page_that_does_not_exist_is_a_404(world, client_for, page):
    schedule(world)
    assert client_for("coordinator").get(LIST, {"page": page}).status_code == 404


def test_the_month_calendar_is_a_table_of_days_with_a_link_per_meeting(world, client_for):
    # 2031-03-09 is the day clocks change in Chicago: a 10:00 meeting that day is 15:00 UTC.
    start = datetime.datetime(2031, 3, 9, 10, 0, tzinfo=CHICAGO)
    meeting = schedule(world, title="Spring-forward review", start=start)
    schedule(world, title="April meeting", start=datetime.datetime(2031, 4, 2, 10, 0, tzinfo=CHICAGO))
    response = client_for("outsider_member").get(LIST, {"view": "month", "month": "2031-03"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "<caption>March 2031</caption>" in text
    assert text.count('<th scope="col">') == 7 and '<th scope="col">Sunday</th>' in text
    assert f'href="{url("meeting_detail", meeting.pk)}">10 a.m. Spring-forward review</a>' in text
    assert '<time datetime="2031-03-09">Sun 9</time>' in text
    assert "April meeting" not in text
    assert "month=2031-02" in text and "month=2031-04" in text


def test_the_month_view_defaults_to_this_month(world, client_for):
    response = client_for("coordinator").get(LIST, {"view": "month"})
    assert response.status_code == 200
    this_month = timezone.localdate(timezone=CHICAGO)
    assert f"<caption>{this_month:%B %Y}</caption>" in response.content.decode()


def test_the_list_query_count_is_pinned(world, client_for, django_assert_num_queries):
    for day in range(1, 31):
        schedule(world, title=f"Meeting {day}", start=in_days(day, hour=15))
    for key in ("coordinator", "sending_member"):
        client = client_for(key)
        client.get(LIST)  # the session warmed
        # session, user, actor's memberships; count, the page
        with django_assert_num_queries(5):
            response = client.get(LIST)
        assert response.content.decode().count('<th scope="row">') == 25
        with django_assert_num_queries(4):  # session, user, actor; the month's meetings
            response = client.get(LIST, {"view": "month"})
        assert response.status_code == 200


# --- Detail --------------------------------------------------------------------------------------------------


def test_the_detail_shows_the_meeting_to_its_invitees_and_coordinators_only(world, client_for):
    meeting = schedule(world, place="Room 7", agenda="Numbers first", video_link="https://meet.example.org/abc")
    detail = url("meeting_detail", meeting.pk)
    coordinator = client_for("coordinator").get(detail).content.decode()
    for link in ("meeting_edit", "meeting_cancel", "meeting_attendance", "action_item_create"):
        assert url(link, meeting.pk) in coordinator
    invitee = client_for("sending_member")
    text = invitee.get(detail).content.decode()
    assert "Room 7" in text and "Numbers first" in text and "https://meet.example.org/abc" in text
    assert "City Police" in text and "outsider member" in text
    assert url("meeting_edit", meeting.pk) not in text and url("meeting_attendance", meeting.pk) not in text
    assert client_for("receiving_member").get(detail).status_code == 404
    assert client_for("foreign_coordinator").get(detail).status_code == 404
    assert client_for("coordinator").get(url("meeting_detail", 987654)).status_code == 404


def invited_coordinator(world):
    """A second coordinator of the task force (the world's one stays uninvited)."""
    user = UserFactory(email="second.coordinator@example.org", full_name="Second Coordinator")
    MembershipFactory(
        user=user,
        partner=Partner.objects.get(task_force=world.tf, name="U.S. Attorney's Office"),
        role=Role.COORDINATOR,
    )
    return user


def test_case_review_minutes_and_items_are_hidden_from_a_coordinator_not_invited(world, client_for):
    second = invited_coordinator(world)
    meeting = schedule(
        world, kind=MeetingKind.CASE_REVIEW, start=in_days(-1, hour=15), users=[world.user("outsider_member"), second]
    )
    coordinator = actor_for(second, requested_slug=world.tf.slug)
    meeting = selectors.meeting_get_for(actor=coordinator, pk=meeting.pk)  # with the actor's invitation read
    services.meeting_minutes_save(actor=coordinator, meeting=meeting, minutes="J. D. starts the program Monday.")
    services.action_item_add(
        actor=coordinator,
        meeting=meeting,
        text="Call the family",
        owner=world.user("sending_member"),
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    detail = url("meeting_detail", meeting.pk)
    text = client_for("coordinator").get(detail).content.decode()
    assert "J. D. starts" not in text and "Call the family" not in text
    assert url("meeting_minutes", meeting.pk) not in text
    assert url("action_item_create", meeting.pk) not in text
    assert client_for("coordinator").get(url("meeting_minutes", meeting.pk)).status_code == 403
    assert client_for("coordinator").get(url("action_item_create", meeting.pk)).status_code == 403
    invitee = client_for("sending_referral_staff").get(detail).content.decode()
    assert "J. D. starts" in invitee and "Call the family" in invitee
    invited = login_client(second, world.tf).get(detail).content.decode()
    assert "J. D. starts" in invited and url("meeting_minutes", meeting.pk) in invited


def test_the_detail_query_count_is_pinned(world, client_for, django_assert_num_queries):
    meeting = schedule(world, partners=[world.sending, world.receiving, world.outsider], start=in_days(-1, hour=15))
    coordinator = actor(world, "coordinator")
    for n in range(12):
        services.action_item_add(
            actor=coordinator,
            meeting=meeting,
            text=f"Item {n}",
            owner=world.user("sending_member" if n % 2 else "receiving_member"),
            due_date=timezone.localdate() + datetime.timedelta(days=n),
        )
    for key in ("coordinator", "sending_member"):
        client = client_for(key)
        client.get(url("meeting_detail", meeting.pk))
        # session, user, actor; the meeting; its partners, invitees, action items
        with django_assert_num_queries(7):
            response = client.get(url("meeting_detail", meeting.pk))
        assert response.content.decode().count('class="action-item ') == 12


# --- Scheduling ----------------------------------------------------------------------------------------------


def test_only_coordinators_open_the_scheduling_page(world, client_for):
    assert client_for("coordinator").get(CREATE).status_code == 200
    assert client_for("sending_partner_admin").get(CREATE).status_code == 403
    assert client_for("sending_partner_admin").post(CREATE, form_data(world)).status_code == 403
    assert not Meeting.objects.exists()


def test_scheduling_reads_the_time_on_the_chosen_clock_and_invites(world, client_for):
    data = form_data(world, start="2031-07-01T10:00", end="2031-07-01T11:30", timezone="America/New_York")
    response = client_for("coordinator").post(CREATE, data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == url("meeting_detail", meeting.pk)
    assert meeting.start == datetime.datetime(2031, 7, 1, 14, 0, tzinfo=datetime.UTC)
    assert meeting.end - meeting.start == datetime.timedelta(hours=1, minutes=30)
    assert meeting.timezone == "America/New_York" and meeting.series is None
    invited = set(meeting.invitees.values_list("user__email", flat=True))
    assert "outsider.member@example.org" in invited and "sending.member@example.org" in invited


def test_the_form_offers_the_partners_and_people_as_checkboxes(world, client_for):
    text = client_for("coordinator").get(CREATE).content.decode()
    assert 'type="datetime-local"' in text
    assert f'type="checkbox" name="partners" value="{world.sending.pk}"' in text
    assert world.foreign.name not in text
    assert f'name="users" value="{world.user("receiving_member").pk}"' in text
    assert f'value="{world.user("foreign_member").pk}"' not in text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"start": "2031-07-01T10:00", "end": "2031-07-01T09:00"}, "end", "must end after it starts"),
        ({"start": "not a date"}, "start", "Enter a valid date/time."),
        ({"start": "2031-02-30T10:00"}, "start", "Enter a valid date/time."),
        ({"start": "99999-01-01T10:00"}, "start", "Enter a valid date/time."),
        ({"start": "9999-12-31T23:00", "end": "9999-12-31T23:30"}, "start", "Give a year from 2000 to 2100."),
        # The clocks skip 02:00-03:00 in Chicago that day.
        ({"start": "2031-03-09T02:30", "end": "2031-03-09T04:00"}, "start", "The clocks skip this time"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice."),
        ({"kind": "party"}, "kind", "Select a valid choice."),
        ({"partners": [str(987654)]}, "partners", "Select a valid choice."),
        ({"video_link": "javascript:alert(1)"}, "video_link", "Enter a valid URL."),
        ({"repeat": "weekly", "until": "2031-01-01", "count": "3"}, "repeat", "not both"),
        ({"rrule": "FREQ=HOURLY"}, "rrule", "repeats at most daily"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule", "not valid"),
        ({"count": "3"}, "repeat", "Choose how the meeting repeats"),
    ],
)
def test_bad_input_is_a_form_error_next_to_its_field(world, client_for, overrides, field, message):
    response = client_for("coordinator").post(CREATE, form_data(world, **overrides))
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors.get(field, [])), form.errors
    assert not Meeting.objects.exists()


def test_a_partner_of_another_task_force_is_not_a_choice(world, client_for):
    response = client_for("coordinator").post(CREATE, form_data(world, partners=[str(world.foreign.pk)]))
    assert response.status_code == 400 and "partners" in response.context["form"].errors


def test_the_repeated_hour_of_the_autumn_change_means_its_first_pass(world, client_for):
    data = form_data(world, start="2031-11-02T01:30", end="2031-11-02T02:30")
    assert client_for("coordinator").post(CREATE, data).status_code == 302
    assert Meeting.objects.get().start == datetime.datetime(2031, 11, 2, 6, 30, tzinfo=datetime.UTC)  # CDT


@pytest.mark.parametrize(
    ("repeat", "extra", "rule"),
    [
        ("weekly", {"count": "4"}, "FREQ=WEEKLY;BYDAY=TU;COUNT=4"),
        ("biweekly", {"until": "2031-09-30"}, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20310930T235959"),
        ("monthly_weekday", {"count": "3"}, "FREQ=MONTHLY;BYDAY=2TU;COUNT=3"),
        ("monthly_date", {"count": "3"}, "FREQ=MONTHLY;BYMONTHDAY=8;COUNT=3"),
    ],
)
def test_the_simple_recurrence_choices_make_a_series(world, client_for, repeat, extra, rule):
    # 2031-07-08 is the second Tuesday of July.
    data = form_data(world, start="2031-07-08T10:00", end="2031-07-08T11:00", repeat=repeat, **extra)
    response = client_for("coordinator").post(CREATE, data)
    assert response.status_code == 302
    series = MeetingSeries.objects.get()
    assert series.rrule == rule
    first = Meeting.objects.filter(series=series).order_by("start").first()
    assert timezone.localtime(first.start, CHICAGO).hour == 10


def test_the_advanced_rule_is_used_as_given(world, client_for):
    data = form_data(
        world, start="2031-07-02T10:00", end="2031-07-02T11:00", rrule="RRULE:FREQ=MONTHLY;BYDAY=1WE;COUNT=2"
    )
    assert client_for("coordinator").post(CREATE, data).status_code == 302
    assert MeetingSeries.objects.get().rrule == "FREQ=MONTHLY;BYDAY=1WE;COUNT=2"
    assert Meeting.objects.count() == 2


# --- Changing ------------------------------------------------------------------------------------------------


def test_editing_one_meeting_shows_its_values_and_saves_the_change(world, client_for):
    start = datetime.datetime(2031, 7, 1, 10, 0, tzinfo=CHICAGO)
    meeting = schedule(world, start=start, title="Old title")
    client = client_for("coordinator")
    page = client.get(url("meeting_edit", meeting.pk)).content.decode()
    assert 'value="2031-07-01T10:00"' in page and 'value="Old title"' in page
    assert 'name="repeat"' not in page and 'name="scope"' not in page
    data = form_data(world, title="New title", start="2031-07-01T11:00", end="2031-07-01T12:00", users=[])
    response = client.post(url("meeting_edit", meeting.pk), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "New title" and meeting.sequence == 1
    assert timezone.localtime(meeting.start, CHICAGO).hour == 11
    assert not meeting.invitees.filter(user=world.user("outsider_member")).exists()


def test_only_coordinators_edit_and_other_task_forces_get_404(world, client_for):
    meeting = schedule(world)
    assert client_for("sending_member").get(url("meeting_edit", meeting.pk)).status_code == 403
    assert client_for("foreign_coordinator").get(url("meeting_edit", meeting.pk)).status_code == 404
    assert client_for("coordinator").get(url("meeting_edit", 987654)).status_code == 404


def test_a_series_occurrence_changes_alone_or_the_whole_series(world, client_for):
    first = datetime.datetime(2031, 7, 1, 10, 0, tzinfo=CHICAGO)
    meeting = schedule(world, start=first, rrule="FREQ=WEEKLY;COUNT=4", title="Weekly review")
    occurrences = list(Meeting.objects.filter(series=meeting.series).order_by("start"))
    second = occurrences[1]
    client = client_for("coordinator")
    page = client.get(url("meeting_edit", second.pk)).content.decode()
    assert 'name="scope"' in page and "Keep the current rule" in page
    alone = form_data(world, title="Moved review", start="2031-07-08T14:00", end="2031-07-08T15:00", scope="this")
    assert client.post(url("meeting_edit", second.pk), alone).status_code == 302
    second.refresh_from_db()
    assert second.title == "Moved review" and second.detached
    whole = form_data(
        world, title="Weekly case review", start="2031-07-15T11:00", end="2031-07-15T12:00", scope="series"
    )
    assert client.post(url("meeting_edit", occurrences[2].pk), whole).status_code == 302
    # A new time makes the occurrences anew: the old ones are cancelled (their invitees told), the one edited
    # alone stays as it was.
    scheduled = Meeting.objects.filter(series=meeting.series, status=MeetingStatus.SCHEDULED, detached=False)
    assert {m.title for m in scheduled} == {"Weekly case review"}
    assert {timezone.localtime(m.start, CHICAGO).hour for m in scheduled} == {11}
    # The day of the occurrence edited alone keeps that one: no second meeting that day.
    assert scheduled.count() == 3
    assert Meeting.objects.filter(series=meeting.series, status=MeetingStatus.CANCELLED).count() == 3
    second.refresh_from_db()
    assert second.title == "Moved review" and second.status == MeetingStatus.SCHEDULED
    days = [
        timezone.localtime(m.start, CHICAGO).date()
        for m in Meeting.objects.filter(series=meeting.series, status=MeetingStatus.SCHEDULED)
    ]
    assert len(days) == len(set(days)) == 4


def test_a_series_change_without_a_new_time_keeps_the_occurrences(world, client_for):
    first = datetime.datetime(2031, 7, 1, 10, 0, tzinfo=CHICAGO)
    meeting = schedule(world, start=first, rrule="FREQ=WEEKLY;COUNT=3", title="Weekly review")
    data = form_data(
        world, title="Weekly case review", start="2031-07-01T10:00", end="2031-07-01T11:00", scope="series"
    )
    assert client_for("coordinator").post(url("meeting_edit", meeting.pk), data).status_code == 302
    occurrences = Meeting.objects.filter(series=meeting.series)
    assert occurrences.count() == 3
    assert {m.title for m in occurrences} == {"Weekly case review"}
    assert {m.status for m in occurrences} == {MeetingStatus.SCHEDULED}


def test_a_series_keeps_its_time_zone(world, client_for):
    meeting = schedule(world, start=in_days(10, hour=15), rrule="FREQ=WEEKLY;COUNT=2")
    data = form_data(world, scope="series", timezone="America/Denver")
    response = client_for("coordinator").post(url("meeting_edit", meeting.pk), data)
    assert response.status_code == 400 and "timezone" in response.context["form"].errors


# --- Cancelling, held, minutes -------------------------------------------------------------------------------


def test_cancelling_asks_first_then_cancels(world, client_for):
    meeting = schedule(world)
    client = client_for("coordinator")
    page = client.get(url("meeting_cancel", meeting.pk))
    assert page.status_code == 200 and 'name="scope"' not in page.content.decode()
    response = client.post(url("meeting_cancel", meeting.pk), {"reason": "Snow storm"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason == "Snow storm"
    again = client.post(url("meeting_cancel", meeting.pk), {"reason": "twice"})
    assert again.status_code == 400 and "Only a scheduled meeting" in again.content.decode()
    assert client_for("sending_member").post(url("meeting_cancel", meeting.pk)).status_code == 403
    assert client_for("foreign_coordinator").post(url("meeting_cancel", meeting.pk)).status_code == 404


def test_ending_a_series_cancels_its_future_meetings(world, client_for):
    meeting = schedule(world, start=in_days(3, hour=15), rrule="FREQ=WEEKLY;COUNT=3")
    client = client_for("coordinator")
    assert 'name="scope"' in client.get(url("meeting_cancel", meeting.pk)).content.decode()
    response = client.post(url("meeting_cancel", meeting.pk), {"scope": "series"}, follow=True)
    assert "3 meetings were cancelled" in response.content.decode()
    assert set(Meeting.objects.filter(series=meeting.series).values_list("status", flat=True)) == {"cancelled"}
    assert MeetingSeries.objects.get().ended_at is not None


def test_marking_held(world, client_for):
    past = schedule(world, start=in_days(-1, hour=15))
    future = schedule(world, start=in_days(5, hour=15))
    client = client_for("coordinator")
    assert client.get(url("meeting_held", past.pk)).status_code == 405
    assert client.post(url("meeting_held", past.pk)).status_code == 302
    past.refresh_from_db()
    assert past.status == MeetingStatus.HELD
    response = client.post(url("meeting_held", future.pk), follow=True)
    assert "from an hour before it starts" in response.content.decode()
    assert client_for("sending_member").post(url("meeting_held", past.pk)).status_code == 403


def test_minutes_are_written_by_a_coordinator_and_read_by_the_invitees(world, client_for):
    meeting = schedule(world, start=in_days(-1, hour=15))
    client = client_for("coordinator")
    assert client.get(url("meeting_minutes", meeting.pk)).status_code == 200
    response = client.post(url("meeting_minutes", meeting.pk), {"minutes": "Agreed: monthly data review."})
    assert response.status_code == 302
    assert (
        "Agreed: monthly data review."
        in client_for("sending_member").get(url("meeting_detail", meeting.pk)).content.decode()
    )
    assert client_for("sending_member").get(url("meeting_minutes", meeting.pk)).status_code == 403
    too_long = client.post(url("meeting_minutes", meeting.pk), {"minutes": "x" * 50001})
    assert too_long.status_code == 400


# --- Reminder settings ---------------------------------------------------------------------------------------


def test_reminder_settings_for_coordinators(world, client_for):
    settings_url = url("reminder_settings")
    client = client_for("coordinator")
    page = client.get(settings_url)
    assert page.status_code == 200 and 'value="24, 1"' in page.content.decode()
    data = {"meeting_hours": "48, 2", "action_due_days": "3", "action_overdue": "on", "action_hour": "8"}
    assert client.post(settings_url, data).status_code == 302
    saved = ReminderSettings.objects.get(task_force=world.tf)
    assert saved.meeting_hours == [48, 2] and saved.action_due_days == 3 and saved.action_hour == 8
    for bad in ("", "a, b", "0", "1,2,3,4,5,6", "²"):
        response = client.post(settings_url, {**data, "meeting_hours": bad})
        assert response.status_code == 400, bad
        assert response.context["form"].errors["meeting_hours"]
    assert client.post(settings_url, {**data, "action_hour": "24"}).status_code == 400
    assert client_for("sending_partner_admin").get(settings_url).status_code == 403
    assert client_for("sending_partner_admin").post(settings_url, data).status_code == 403
