"""The demo meetings (meetings/demo_meetings.py, called by seed_demo): every kind, a believable history, upcoming
meetings with their reminders, the same series expansion as the services, and idempotent."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from cases.models import Referral
from meetings import demo_meetings, selectors, services
from meetings.models import (
    ActionItem,
    ActionItemStatus,
    Attendance,
    Invitee,
    Meeting,
    MeetingKind,
    MeetingPartner,
    MeetingSeries,
    MeetingStatus,
    Reminder,
    ReminderKind,
)
from partners.models import TaskForce
from psn.access import actor_for

from ..conftest import login_client
from ..factories import ReferralFactory
from .support import actor

pytestmark = pytest.mark.django_db

PEOPLE = ("sending_member", "receiving_referral_staff", "outsider_partner_admin", "coordinator")


@pytest.fixture
def seeded(world):
    now = timezone.now()
    referrals = [ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving) for _n in range(12)]
    Referral.objects.filter(pk__in=[r.pk for r in referrals]).update(created_at=now - datetime.timedelta(days=40))
    people = [world.user(key) for key in PEOPLE]
    counts = demo_meetings.seed_meetings(world.tf, demo_meetings.SMALL, people=people, now=now)
    return {"now": now, "counts": counts, "people": people, "referrals": referrals}


def test_every_kind_over_eighteen_months_and_a_year_ahead(world, seeded):
    now = seeded["now"]
    meetings = Meeting.objects.filter(task_force=world.tf)

    assert set(meetings.values_list("kind", flat=True)) == set(MeetingKind.values)
    assert seeded["counts"]["meetings"] == meetings.count() > 200
    first = meetings.order_by("start").first().start
    assert now - datetime.timedelta(days=560) < first < now - datetime.timedelta(days=520)
    assert meetings.filter(start__gt=now + datetime.timedelta(days=300)).exists()
    assert set(MeetingSeries.objects.filter(task_force=world.tf).values_list("kind", flat=True)) == {
        MeetingKind.TASK_FORCE,
        MeetingKind.CASE_REVIEW,
        MeetingKind.WORKING_GROUP,
    }
    # Past ones were held (a few cancelled); upcoming ones are scheduled.
    assert set(meetings.filter(end__lt=now).values_list("status", flat=True)) <= {
        MeetingStatus.HELD,
        MeetingStatus.CANCELLED,
    }
    assert set(meetings.filter(start__gt=now).values_list("status", flat=True)) == {MeetingStatus.SCHEDULED}
    # Monthly task force meetings at 10:00 on the task force's clock, every one of them.
    local = [timezone.localtime(m.start, world.tf.tzinfo) for m in meetings.filter(kind=MeetingKind.TASK_FORCE)]
    assert {(t.hour, t.minute, t.weekday()) for t in local} == {(10, 0, 1)}


def test_past_meetings_have_attendance_minutes_and_action_items(world, seeded):
    now = seeded["now"]
    held = Meeting.objects.filter(task_force=world.tf, status=MeetingStatus.HELD)

    marks = list(Invitee.objects.filter(meeting__in=held).values_list("attendance", flat=True))
    assert "" not in marks
    assert marks.count(Attendance.PRESENT) > 0.6 * len(marks)
    assert marks.count(Attendance.ABSENT) > 0 and marks.count(Attendance.EXCUSED) > 0
    assert not MeetingPartner.objects.filter(meeting__in=held, attendance="").exists()
    assert not held.filter(minutes="").exists()
    upcoming = Meeting.objects.filter(task_force=world.tf, start__gt=now)
    assert not Invitee.objects.filter(meeting__in=upcoming).exclude(attendance="").exists()
    assert not upcoming.exclude(minutes="").exists()

    items = ActionItem.objects.filter(task_force=world.tf)
    assert items.count() > 50
    past_due = items.filter(due_date__lt=timezone.localdate(now, world.tf.tzinfo))
    assert past_due.filter(status=ActionItemStatus.DONE).count() > 0.8 * past_due.count()
    assert not items.filter(meeting__in=upcoming).exists()
    done = items.filter(status=ActionItemStatus.DONE)
    assert not done.filter(done_at__isnull=True).exists()
    assert not done.filter(done_at__gt=now).exists()


def test_case_review_minutes_cite_references_not_names(world, seeded):
    reviews = Meeting.objects.filter(task_force=world.tf, kind=MeetingKind.CASE_REVIEW, status=MeetingStatus.HELD)
    recent = reviews.filter(start__gt=seeded["now"] - datetime.timedelta(days=30))
    references = {r.reference for r in seeded["referrals"]}
    names = {n for r in seeded["referrals"] for n in (r.person.given_name, r.person.family_name)}

    assert recent.exists()
    for review in recent:
        assert any(ref in review.minutes for ref in references), review.minutes
    for minutes in reviews.values_list("minutes", flat=True):
        assert not any(name in minutes for name in names)
    assert ActionItem.objects.filter(meeting__in=recent, text__contains="R-TEST-").exists()


def test_every_demo_person_sees_upcoming_meetings_and_has_an_open_item(world, seeded):
    for key in PEOPLE:
        someone = actor(world, key)
        assert len(selectors.inbox_meetings_for(actor=someone)) == 5, key
        assert selectors.inbox_action_items_for(actor=someone), key


def test_upcoming_meetings_and_items_have_their_reminders_and_no_invitation_goes_out(world, seeded):
    now = seeded["now"]
    upcoming = Meeting.objects.filter(task_force=world.tf, start__gt=now + datetime.timedelta(days=2))
    meeting = upcoming.order_by("start").first()
    invitees = Invitee.objects.filter(meeting=meeting).count()

    assert Reminder.objects.filter(meeting=meeting, kind=ReminderKind.MEETING_SOON).count() == 2 * invitees
    assert not Reminder.objects.filter(task_force=world.tf, kind=ReminderKind.INVITATION).exists()
    assert not Reminder.objects.filter(task_force=world.tf, send_at__lt=now - datetime.timedelta(minutes=1)).exists()
    item = ActionItem.objects.filter(task_force=world.tf, owner=world.user("sending_member"), status="open").first()
    assert Reminder.objects.filter(action_item=item, kind=ReminderKind.ACTION_OVERDUE).exists()
    assert seeded["counts"]["reminders"] == Reminder.objects.count()


def test_the_seeded_reminders_are_the_ones_the_services_plan(world, seeded):
    """Planning the upcoming meetings again through the services adds no reminder and cancels none."""
    now = seeded["now"]
    upcoming = list(Meeting.objects.filter(task_force=world.tf, start__gt=now, status=MeetingStatus.SCHEDULED))
    before = set(Reminder.objects.values_list("pk", "kind", "user_id", "send_at", "cancelled_at"))

    for meeting in upcoming:
        services._plan_meeting(meeting, now=now)

    assert len(upcoming) > 50
    assert set(Reminder.objects.values_list("pk", "kind", "user_id", "send_at", "cancelled_at")) == before


def test_the_series_are_the_ones_the_services_expand(world, seeded):
    """The daily extension finds every occurrence already made: the seed expanded the rules the same way."""
    for series in MeetingSeries.objects.filter(task_force=world.tf):
        MeetingSeries.objects.filter(pk=series.pk).update(planned_until=None)
        series.refresh_from_db()
        assert services.series_extend(series=series, now=seeded["now"]) == [], series.title


def test_seeding_again_adds_nothing(world, seeded):
    tables = (Meeting, MeetingSeries, MeetingPartner, Invitee, ActionItem, Reminder)
    before = [model.objects.count() for model in tables]

    again = demo_meetings.seed_meetings(world.tf, demo_meetings.SMALL, people=seeded["people"])

    assert again == dict.fromkeys(again, 0)
    assert [model.objects.count() for model in tables] == before


def test_seed_demo_makes_the_meetings_once(monkeypatch):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    wdmo = TaskForce.objects.get(slug="wdmo")
    counts = demo_meetings.demo_counts(wdmo)
    call_command("seed_demo")

    assert demo_meetings.demo_counts(wdmo) == counts
    assert set(Meeting.objects.filter(task_force=wdmo).values_list("kind", flat=True)) == set(MeetingKind.values)
    for email in ("member@wdmo.example.org", "research@wdmo.example.org", "officer@wdmo.example.org"):
        user = get_user_model().objects.get(email=email)
        someone = actor_for(user, requested_slug="wdmo")
        assert selectors.inbox_meetings_for(actor=someone), email
        assert selectors.inbox_action_items_for(actor=someone), email


def test_site_admins_look_the_meetings_up_in_the_admin_without_the_minutes(world, seeded):
    review = Meeting.objects.filter(kind=MeetingKind.CASE_REVIEW, status=MeetingStatus.HELD).exclude(minutes="").last()
    client = login_client(world.user("site_admin"))
    pages = [
        "/admin/meetings/meeting/",
        f"/admin/meetings/meeting/{review.pk}/change/",
        "/admin/meetings/meetingseries/",
        f"/admin/meetings/meetingseries/{review.series_id}/change/",
        "/admin/meetings/actionitem/",
        f"/admin/meetings/actionitem/{ActionItem.objects.first().pk}/change/",
        "/admin/meetings/reminder/",
        f"/admin/meetings/reminder/{Reminder.objects.first().pk}/change/",
        "/admin/meetings/remindersettings/",
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'name="_save"' not in response.content, url
    detail = client.get(f"/admin/meetings/meeting/{review.pk}/change/").content.decode()
    assert review.minutes.splitlines()[0] not in detail
