"""The action items API, the reminder settings and the calendar feed address (meetings/api.py)."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CalendarFeedToken
from accounts.services import api_token_create
from meetings import selectors, services
from meetings.models import ActionItem, ActionItemStatus, MeetingKind, ReminderSettings

from .support import actor, in_days, schedule

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _due(days: int = 7) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _item(world, meeting, owner_key: str = "sending_member", text: str = "Call the shelter", days: int = 7):
    return services.action_item_add(
        actor=actor(world, "coordinator"), meeting=meeting, text=text, owner=world.user(owner_key), due_date=_due(days)
    )


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- Reading -----------------------------------------------------------------------------------------------


def test_invitees_see_the_items_of_their_meetings_and_owners_their_own(world, client_for):
    meeting = schedule(world)  # the sending partner and the outsider member
    theirs = _item(world, meeting, "sending_member")
    outsiders = _item(world, meeting, "outsider_member")
    elsewhere = schedule(world, partners=[world.receiving], users=[])
    receiving = _item(world, elsewhere, "receiving_member")

    assert _ids(client_for("sending_partner_admin").get("/api/v1/action-items/")) == {theirs.pk, outsiders.pk}
    assert _ids(client_for("sending_member").get("/api/v1/action-items/?mine=true")) == {theirs.pk}
    assert _ids(client_for("receiving_member").get("/api/v1/action-items/")) == {receiving.pk}
    assert _ids(client_for("coordinator").get("/api/v1/action-items/")) == {theirs.pk, outsiders.pk, receiving.pk}
    assert _ids(client_for("foreign_coordinator").get("/api/v1/action-items/")) == set()
    assert client_for("receiving_member").get(f"/api/v1/action-items/{theirs.pk}/").status_code == 404
    assert client_for("foreign_coordinator").get(f"/api/v1/action-items/{theirs.pk}/").status_code == 404
    data = client_for("sending_member").get(f"/api/v1/action-items/{theirs.pk}/").json()
    assert (data["text"], data["owner"]["id"], data["meeting"]["id"]) == (
        "Call the shelter",
        world.user("sending_member").pk,
        meeting.pk,
    )


def test_the_list_filters_by_status_and_meeting(world, client_for):
    first, second = schedule(world), schedule(world, start=in_days(6, hour=15))
    open_item = _item(world, first)
    done = _item(world, first, text="Book the room")
    services.action_item_set_status(actor=actor(world, "coordinator"), item=done, done=True)
    other = _item(world, second)
    client = client_for("sending_member")

    assert _ids(client.get("/api/v1/action-items/?status=open")) == {open_item.pk, other.pk}
    assert _ids(client.get("/api/v1/action-items/?status=done")) == {done.pk}
    assert _ids(client.get(f"/api/v1/action-items/?meeting={second.pk}")) == {other.pk}


@pytest.mark.parametrize(
    ("query", "field"),
    [("mine=perhaps", "mine"), ("status=late", "status"), ("meeting=abc", "meeting"), ("meeting=0", "meeting")],
)
def test_bad_filters_are_a_400(world, client_for, query, field):
    response = client_for("sending_member").get(f"/api/v1/action-items/?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_filtering_by_a_meeting_one_does_not_see_is_a_400(world, client_for):
    meeting = schedule(world, partners=[world.receiving], users=[])

    response = client_for("sending_member").get(f"/api/v1/action-items/?meeting={meeting.pk}")

    assert response.status_code == 400
    assert "meeting" in response.json()["errors"]


@pytest.mark.parametrize("extra", [4, 16])
def test_the_list_takes_the_same_queries_whatever_its_length(world, client_for, extra, django_assert_num_queries):
    meeting = schedule(world)
    for n in range(extra):
        _item(world, meeting, text=f"Item {n}", days=n)
    client = client_for("sending_member")
    client.get("/api/v1/action-items/")

    # 1 session, 2 user, 3 memberships, 4 count, 5 the page with owner and meeting.
    with django_assert_num_queries(5):
        response = client.get("/api/v1/action-items/?page_size=200")
    assert len(response.json()["results"]) == extra


def test_case_review_items_are_for_its_invitees_and_the_owner(world, client_for):
    review = schedule(world, kind=MeetingKind.CASE_REVIEW, users=[])
    coordinator = actor(world, "coordinator")
    services.invitee_add(actor=coordinator, meeting=review, user=world.user("coordinator"))
    as_invitee = selectors.meeting_get_for(actor=coordinator, pk=review.pk)
    owner = world.user("sending_member")
    item = services.action_item_add(
        actor=coordinator, meeting=as_invitee, text="WDT-7: housing", owner=owner, due_date=_due()
    )
    services.meeting_update(actor=coordinator, meeting=review, changes={}, users=[])

    assert client_for("coordinator").get(f"/api/v1/action-items/{item.pk}/").status_code == 404
    assert _ids(client_for("coordinator").get("/api/v1/action-items/")) == set()
    assert client_for("sending_member").get(f"/api/v1/action-items/{item.pk}/").status_code == 200


# --- Writing -----------------------------------------------------------------------------------------------


def test_a_coordinator_adds_and_changes_an_item(world, client_for):
    meeting = schedule(world)
    client = client_for("coordinator")
    body = {"meeting": meeting.pk, "text": "Draft the flyer", "owner": world.user("outsider_member").pk}

    response = client.post("/api/v1/action-items/", {**body, "due_date": _due().isoformat()}, JSON)
    assert response.status_code == 201, response.content
    item = ActionItem.objects.get(pk=response.json()["id"])
    assert (item.text, item.owner, item.status) == ("Draft the flyer", world.user("outsider_member"), "open")

    change = {"due_date": _due(10).isoformat(), "owner": world.user("coordinator").pk}
    response = client.patch(f"/api/v1/action-items/{item.pk}/", change, JSON)
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert (item.due_date, item.owner) == (_due(10), world.user("coordinator"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"due_date": "tomorrow"}, "due_date"),
        ({"text": ""}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"owner": 2**62}, "owner"),
        ({"owner": "me"}, "owner"),
        ({"meeting": 2**62}, "meeting"),
        ({"meeting": "first"}, "meeting"),
    ],
)
def test_bad_items_are_a_400(world, client_for, change, field):
    meeting = schedule(world)
    body = {"meeting": meeting.pk, "text": "Draft", "owner": world.user("outsider_member").pk, "due_date": "2030-01-01"}

    response = client_for("coordinator").post("/api/v1/action-items/", {**body, **change}, JSON)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not ActionItem.objects.exists()


def test_an_owner_or_meeting_of_another_task_force_is_a_400(world, client_for):
    meeting = schedule(world)
    foreign_meeting = services.meeting_schedule(
        actor=actor(world, "foreign_coordinator"), kind="call_in", title="Call-in", start=in_days(3), end=in_days(3.1)
    )
    client = client_for("coordinator")
    body = {"meeting": meeting.pk, "text": "Draft", "owner": world.user("foreign_member").pk, "due_date": "2030-01-01"}

    assert client.post("/api/v1/action-items/", body, JSON).status_code == 400
    body.update(owner=world.user("sending_member").pk, meeting=foreign_meeting.pk)
    assert client.post("/api/v1/action-items/", body, JSON).status_code == 400
    assert not ActionItem.objects.exists()


def test_members_do_not_add_or_change_items(world, client_for):
    meeting = schedule(world)
    item = _item(world, meeting)
    client = client_for("sending_member")

    assert client.post("/api/v1/action-items/", {"meeting": meeting.pk}, JSON).status_code == 403
    assert client.patch(f"/api/v1/action-items/{item.pk}/", {"text": "Mine now"}, JSON).status_code == 403
    item.refresh_from_db()
    assert item.text == "Call the shelter"


def test_the_owner_ticks_their_item_and_opens_it_again_others_may_not(world, client_for):
    item = _item(world, schedule(world))

    assert client_for("sending_partner_admin").post(f"/api/v1/action-items/{item.pk}/done/").status_code == 403
    response = client_for("sending_member").post(f"/api/v1/action-items/{item.pk}/done/")
    assert response.status_code == 200
    assert response.json()["status"] == ActionItemStatus.DONE
    assert response.json()["done_at"] is not None
    response = client_for("coordinator").post(f"/api/v1/action-items/{item.pk}/reopen/")
    assert (response.status_code, response.json()["status"]) == (200, ActionItemStatus.OPEN)
    assert client_for("foreign_coordinator").post(f"/api/v1/action-items/{item.pk}/done/").status_code == 404


# --- Reminder settings -------------------------------------------------------------------------------------


def test_coordinators_read_and_change_the_reminder_settings(world, client_for):
    client = client_for("coordinator")

    assert client.get("/api/v1/reminder-settings/").json() == {
        "meeting_hours": [24, 1],
        "action_due_days": 2,
        "action_overdue": True,
        "action_hour": 9,
    }
    body = {"meeting_hours": [2, 48], "action_due_days": 3, "action_overdue": False, "action_hour": 8}
    response = client.put("/api/v1/reminder-settings/", body, JSON)
    assert response.status_code == 200
    assert response.json()["meeting_hours"] == [48, 2]
    saved = ReminderSettings.objects.get(task_force=world.tf)
    assert (saved.action_due_days, saved.action_overdue, saved.action_hour) == (3, False, 8)
    # The other task force keeps its own.
    assert client_for("foreign_coordinator").get("/api/v1/reminder-settings/").json()["meeting_hours"] == [24, 1]


@pytest.mark.parametrize(
    "change",
    [
        {"meeting_hours": []},
        {"meeting_hours": [0]},
        {"meeting_hours": [1, 2, 3, 4, 5, 6]},
        {"meeting_hours": ["soon"]},
        {"action_due_days": 31},
        {"action_hour": 24},
        {"action_overdue": "sometimes"},
    ],
)
def test_bad_reminder_settings_are_a_400(world, client_for, change):
    body = {"meeting_hours": [24, 1], "action_due_days": 2, "action_overdue": True, "action_hour": 9, **change}

    response = client_for("coordinator").put("/api/v1/reminder-settings/", body, JSON)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(change)
    assert not ReminderSettings.objects.exists()


def test_members_do_not_see_or_change_the_reminder_settings(world, client_for):
    client = client_for("receiving_partner_admin")

    assert client.get("/api/v1/reminder-settings/").status_code == 403
    assert client.put("/api/v1/reminder-settings/", {"meeting_hours": [2]}, JSON).status_code == 403
    assert not ReminderSettings.objects.exists()


# --- Calendar feed -----------------------------------------------------------------------------------------


def test_a_signed_in_user_makes_and_revokes_their_feed_address(world, client_for):
    client = client_for("receiving_member")

    first = client.post("/api/v1/me/calendar-feed/")
    assert first.status_code == 201
    url = first.json()["url"]
    assert url.endswith(".ics")
    second = client.post("/api/v1/me/calendar-feed/").json()["url"]
    assert second != url
    assert CalendarFeedToken.objects.filter(user=world.user("receiving_member"), revoked_at=None).count() == 1
    response = client.delete("/api/v1/me/calendar-feed/")
    assert (response.status_code, response.json()) == (200, {"revoked": 1})
    assert not CalendarFeedToken.objects.filter(revoked_at=None).exists()
    assert client.delete("/api/v1/me/calendar-feed/").json() == {"revoked": 0}


def test_an_api_token_cannot_make_a_feed_address(world):
    _, secret = api_token_create(user=world.user("receiving_member"), name="test", expires_in_days=1)
    client = Client(headers={"Authorization": f"Bearer {secret}"})

    response = client.post("/api/v1/me/calendar-feed/")

    assert response.status_code == 403
    assert "signed-in session" in response.json()["detail"]
    assert not CalendarFeedToken.objects.exists()


def test_the_feed_address_needs_a_signed_in_caller(world):
    assert Client().post("/api/v1/me/calendar-feed/").status_code == 401
    assert not CalendarFeedToken.objects.exists()
