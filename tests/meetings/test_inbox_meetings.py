"""The inbox (home page) shows the user's next meetings and open action items, with links, in two queries more
than before whatever their numbers."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings import services

from .support import actor, in_days, schedule

pytestmark = pytest.mark.django_db


def section(response, key: str) -> str:
    text = response.content.decode()
    start = text.index(f'id="inbox-{key}"')
    return text[start : text.index("</section>", start)]


def add_item(world, meeting, *, owner: str, text: str):
    return services.action_item_add(
        actor=actor(world, "coordinator"),
        meeting=meeting,
        text=text,
        owner=world.user(owner),
        due_date=timezone.localdate() + datetime.timedelta(days=4),
    )


def test_an_invitee_sees_their_next_meetings_and_open_items(world, client_for):
    meeting = schedule(world, title="Reentry working group", place="Room 7")
    past = schedule(world, title="Last month's forum", start=in_days(-30, hour=15))
    item = add_item(world, meeting, owner="sending_member", text="Bring the flyers")
    done = add_item(world, meeting, owner="sending_member", text="Book the room")
    services.action_item_set_status(actor=actor(world, "sending_member"), item=done, done=True)
    response = client_for("sending_member").get("/")
    meetings = section(response, "meetings")
    assert "Reentry working group" in meetings and "Room 7" in meetings
    assert reverse("meetings:meeting_detail", args=[meeting.pk]) in meetings
    assert past.title not in meetings
    items = section(response, "action-items")
    assert item.text in items and done.text not in items
    assert reverse("meetings:action_item_list") in items


def test_a_cancelled_meeting_leaves_the_inbox(world, client_for):
    meeting = schedule(world, title="Reentry working group")
    services.meeting_cancel(actor=actor(world, "coordinator"), meeting=meeting)
    assert "Reentry working group" not in section(client_for("sending_member").get("/"), "meetings")


def test_others_see_nothing_of_it(world, client_for):
    meeting = schedule(world, title="Reentry working group")
    add_item(world, meeting, owner="sending_member", text="Bring the flyers")
    for key in ("receiving_member", "foreign_coordinator", "sending_referral_staff"):
        response = client_for(key).get("/")
        assert response.status_code == 200
        assert "Bring the flyers" not in response.content.decode()
    assert "No meetings coming up." in section(client_for("receiving_member").get("/"), "meetings")
    assert "No open action items." in section(client_for("receiving_member").get("/"), "action-items")
    # The coordinator's inbox lists the meetings they are invited to, not every meeting they manage.
    assert "Reentry working group" not in section(client_for("coordinator").get("/"), "meetings")


def test_the_inbox_lists_the_next_five(world, client_for):
    for day in range(1, 9):
        schedule(world, title=f"Meeting on day {day}", start=in_days(day, hour=15))
    meetings = section(client_for("outsider_member").get("/"), "meetings")
    assert meetings.count("<li>") == 5
    assert "Meeting on day 1<" in meetings and "Meeting on day 6<" not in meetings


def test_the_home_query_count_does_not_grow_with_meetings(world, client_for):
    client = client_for("sending_member")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    meeting = schedule(world)
    add_item(world, meeting, owner="sending_member", text="One")
    first = queries()
    for day in range(2, 10):
        other = schedule(world, start=in_days(day, hour=15))
        add_item(world, other, owner="sending_member", text=f"Item {day}")
    assert queries() == first
