"""A meeting from both sides: the coordinator schedules one through the meetings page, inviting the police partner;
an officer of that partner signs in, finds it in the inbox and on the meetings page (list and month), opens it,
then makes a calendar feed address on the profile page and the address, read without signing in, is an .ics with
the meeting's UID. Every page passes the page checks (CSP, console, 375 px, axe-core)."""

import datetime
import re
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from meetings import services
from meetings.models import Invitee, Meeting, MeetingKind
from partners.models import Partner
from psn.access import actor_for

from .test_invite_accept import another_browser

pytestmark = pytest.mark.browser

DETAIL = re.compile(r"/meetings/(\d+)/$")


def test_a_coordinator_schedules_and_an_invitee_takes_the_feed(ui, people, browser, viewport, settings):
    # The feed address is made from the site's address: here, the live server's.
    settings.PSN_SITE_URL = ui.base_url
    page = ui.page
    start = (timezone.localtime(timezone.now(), people.tf.tzinfo) + datetime.timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    ui.log_in(people.coordinator.email)
    ui.expect_path("/")
    ui.check()

    # The coordinator schedules the meeting from the meetings page.
    ui.follow_menu("Meetings")
    ui.expect_path("/meetings/")
    ui.check()
    page.get_by_role("link", name="Schedule a meeting").click()
    ui.expect_path("/meetings/new/")
    ui.check()
    page.get_by_label("Kind").select_option(label="Working group")
    page.get_by_label("Title").fill("Reentry working group")
    page.get_by_label("Starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends").fill((start + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Place").fill("Federal courthouse, room 7")
    page.get_by_label("Agenda").fill("Numbers, then next steps.")
    page.get_by_label("City Police").check()
    page.get_by_role("button", name="Schedule", exact=True).click()
    page.wait_for_url(DETAIL)
    meeting = Meeting.objects.get()
    assert meeting.start == start
    assert Invitee.objects.filter(meeting=meeting, user=people.officer).exists()
    expect(page.get_by_role("status")).to_contain_text("“Reentry working group” was scheduled")
    expect(page.locator(".meeting-facts")).to_contain_text("10 a.m.")
    ui.check()

    # An officer of the invited partner finds it, and takes the calendar feed.
    with another_browser(browser, ui.base_url, viewport) as officer:
        other = officer.page
        officer.log_in(people.officer.email)
        officer.expect_path("/")
        inbox = other.locator("section.inbox-meetings")
        expect(inbox).to_contain_text("Reentry working group")
        officer.check()
        officer.follow_menu("Meetings")
        officer.expect_path("/meetings/")
        expect(other.get_by_role("table")).to_contain_text("Reentry working group")
        officer.check()
        other.get_by_role("link", name="Month", exact=True).click()
        expect(other.locator("table.month caption")).to_be_visible()
        officer.check()
        officer.goto("/")
        inbox.get_by_role("link", name="Reentry working group").click()
        officer.expect_path(f"/meetings/{meeting.pk}/")
        expect(other.get_by_role("heading", level=1)).to_contain_text("Reentry working group")
        expect(other.locator("#agenda ~ .prose")).to_contain_text("Numbers, then next steps.")
        expect(other.get_by_role("link", name="Edit")).to_have_count(0)
        officer.check()

        officer.follow_menu("Profile")
        officer.expect_path("/profile/")
        officer.check()
        feed = other.locator("section", has=other.get_by_role("heading", name="Calendar feed"))
        feed.get_by_role("button", name="Generate an address").click()
        address = other.get_by_label("Your calendar feed address")
        expect(address).to_have_attribute("readonly", "")
        officer.check()
        feed_url = address.input_value()

    # The address alone (no session) gives the calendar with the meeting in it.
    assert feed_url.startswith(ui.base_url)
    with urllib.request.urlopen(feed_url) as response:
        assert response.headers["Content-Type"].startswith("text/calendar")
        body = response.read().decode()
    assert f"UID:{meeting.uid}@" in body
    assert "Reentry working group" in body


def test_every_meeting_page_passes_the_page_checks(ui, people, viewport):
    """The coordinator's pages of a held meeting with attendance and action items, including taking attendance
    with a thumb: the radio buttons are labels large enough to tap."""
    coordinator = actor_for(people.coordinator, requested_slug=people.tf.slug)
    police = Partner.objects.get(task_force=people.tf, name="City Police")
    start = timezone.now() - datetime.timedelta(days=1)
    meeting = services.meeting_schedule(
        actor=coordinator,
        kind=MeetingKind.TASK_FORCE,
        title="Monthly task force meeting",
        start=start,
        end=start + datetime.timedelta(hours=2),
        partners=[police],
        users=[people.member],
        agenda="Numbers",
    )
    services.action_item_add(
        actor=coordinator, meeting=meeting, text="Send the numbers", owner=people.officer, due_date=timezone.localdate()
    )
    ui.log_in(people.coordinator.email)
    ui.expect_path("/")
    page = ui.page
    for path in (
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/edit/",
        f"/meetings/{meeting.pk}/cancel/",
        f"/meetings/{meeting.pk}/minutes/",
        f"/meetings/{meeting.pk}/action-items/new/",
        "/meetings/action-items/?scope=all",
        "/meetings/reminders/",
        "/meetings/?when=past",
        "/meetings/?view=month",
    ):
        ui.goto(path)
    ui.goto(f"/meetings/{meeting.pk}/attendance/")
    row = page.get_by_role("group", name=re.compile("Olly Officer"))
    present = row.get_by_text("Present", exact=True)
    box = present.bounding_box()
    assert box is not None and box["height"] >= 44, box
    present.click()
    page.get_by_role("group", name=re.compile("Mia Member")).get_by_text("Excused", exact=True).click()
    page.get_by_role("button", name="Save attendance").click()
    page.wait_for_url(re.compile(rf"/meetings/{meeting.pk}/#invited$"))
    expect(page.get_by_role("status")).to_contain_text("Attendance was saved.")
    expect(page.locator("#invited ~ ul.invited").last).to_contain_text("Excused")
    ui.check()
    attendance = dict(Invitee.objects.filter(meeting=meeting).values_list("user__email", "attendance"))
    assert attendance["officer@example.org"] == "present" and attendance["member@example.org"] == "excused"
