"""The meetings API (meetings/api.py): who sees which meeting, what the detail shows whom, scheduling and changing
through the services, and a 400 with a reason (never a 500) for bad input."""

import datetime

import pytest
from django.utils import timezone

from meetings import selectors, services
from meetings.models import (
    Attendance,
    Invitee,
    Meeting,
    MeetingKind,
    MeetingPartner,
    MeetingSeries,
    MeetingStatus,
)

from .support import actor, in_days, schedule

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _create_body(world, **overrides) -> dict:
    start = in_days(5, hour=15)
    body = {
        "kind": "working_group",
        "title": "Reentry working group",
        "start": start.isoformat(),
        "end": (start + datetime.timedelta(hours=1)).isoformat(),
        "partners": [world.receiving.pk],
        "users": [world.user("outsider_member").pk],
        "place": "Room 4",
    }
    body.update(overrides)
    return body


def _ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- Who sees what ------------------------------------------------------------------------------------------


def test_the_list_shows_invitees_their_meetings_and_coordinators_all(world, client_for):
    invited = schedule(world)  # the sending partner and the outsider member
    other = schedule(world, partners=[world.receiving], users=[])

    assert _ids(client_for("sending_member").get("/api/v1/meetings/")) == {invited.pk}
    assert _ids(client_for("receiving_member").get("/api/v1/meetings/")) == {other.pk}
    assert _ids(client_for("outsider_member").get("/api/v1/meetings/")) == {invited.pk}
    assert _ids(client_for("outsider_referral_staff").get("/api/v1/meetings/")) == set()
    rows = client_for("coordinator").get("/api/v1/meetings/").json()["results"]
    assert {row["id"] for row in rows} == {invited.pk, other.pk}
    assert {row["invited"] for row in rows} == {False}
    assert rows[0]["invitee_count"] in (3, 4)
    assert _ids(client_for("foreign_coordinator").get("/api/v1/meetings/")) == set()


def test_a_meeting_of_another_task_force_or_not_invited_to_is_a_404(world, client_for):
    meeting = schedule(world, partners=[world.receiving], users=[])

    assert client_for("receiving_member").get(f"/api/v1/meetings/{meeting.pk}/").status_code == 200
    assert client_for("sending_member").get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    assert client_for("foreign_coordinator").get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    assert client_for("foreign_coordinator").post(f"/api/v1/meetings/{meeting.pk}/cancel/").status_code == 404
    assert client_for("coordinator").get("/api/v1/meetings/99999999/").status_code == 404
    assert client_for("coordinator").get("/api/v1/meetings/abc/").status_code == 404


def test_the_list_filters(world, client_for):
    soon = schedule(world, kind=MeetingKind.CASE_REVIEW, start=in_days(2, hour=15))
    later = schedule(world, start=in_days(40, hour=15))
    past = schedule(world, start=in_days(-3, hour=15))
    cancelled = schedule(world, start=in_days(9, hour=15))
    services.meeting_cancel(actor=actor(world, "coordinator"), meeting=cancelled)
    client = client_for("sending_member")

    assert _ids(client.get("/api/v1/meetings/")) == {soon.pk, later.pk, cancelled.pk}
    assert _ids(client.get("/api/v1/meetings/?when=past")) == {past.pk}
    assert _ids(client.get("/api/v1/meetings/?when=all")) == {soon.pk, later.pk, past.pk, cancelled.pk}
    assert _ids(client.get("/api/v1/meetings/?kind=case_review")) == {soon.pk}
    assert _ids(client.get("/api/v1/meetings/?status=cancelled")) == {cancelled.pk}
    window = {"start_after": in_days(8).isoformat(), "start_before": in_days(30).isoformat()}
    assert _ids(client.get("/api/v1/meetings/", window)) == {cancelled.pk}
    ordered = client.get("/api/v1/meetings/?ordering=-start").json()["results"]
    assert [row["id"] for row in ordered] == [later.pk, cancelled.pk, soon.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("when=soon", "when"),
        ("kind=party", "kind"),
        ("status=maybe", "status"),
        ("start_after=yesterday", "start_after"),
        ("start_before=2026-13-45T10:00", "start_before"),
        ("start_after=2026-05-02T00:00Z&start_before=2026-05-01T00:00Z", "start_before"),
        ("ordering=password", "ordering"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(world, client_for, query, field):
    response = client_for("coordinator").get(f"/api/v1/meetings/?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("extra", [4, 16])
def test_the_list_takes_the_same_queries_whatever_its_length(world, client_for, extra, django_assert_num_queries):
    for day in range(extra):
        schedule(world, start=in_days(day + 1, hour=15))
    client = client_for("sending_member")
    client.get("/api/v1/meetings/")  # a warm session

    # 1 session, 2 user, 3 the actor's memberships, 4 count, 5 the page with its invitee counts.
    with django_assert_num_queries(5):
        response = client.get("/api/v1/meetings/?page_size=200")
    assert len(response.json()["results"]) == extra


def test_the_detail_shows_the_invitations_and_attendance_in_fixed_queries(world, client_for, django_assert_num_queries):
    meeting = schedule(world, start=in_days(-1, hour=15), partners=[world.sending, world.receiving])
    coordinator = actor(world, "coordinator")
    services.attendance_record(
        actor=coordinator,
        meeting=meeting,
        people={world.user("outsider_member").pk: Attendance.PRESENT, world.user("sending_member").pk: "excused"},
    )
    for n in range(5):
        services.action_item_add(
            actor=coordinator,
            meeting=meeting,
            text=f"Follow up {n}",
            owner=world.user("receiving_member"),
            due_date=timezone.localdate() + datetime.timedelta(days=n),
        )
    client = client_for("outsider_member")
    client.get("/api/v1/meetings/")

    # 1 session, 2 user, 3 memberships, 4 the meeting, 5 partner invitations, 6 invitees, 7 action items.
    with django_assert_num_queries(7):
        data = client.get(f"/api/v1/meetings/{meeting.pk}/").json()
    assert data["status"] == MeetingStatus.HELD
    assert {p["name"]: p["attendance"] for p in data["partners"]} == {
        "City Police": "excused",
        "Workforce Center": "",
    }
    people = {row["user_id"]: row for row in data["invitees"]}
    assert people[world.user("outsider_member").pk]["attendance"] == "present"
    assert people[world.user("outsider_member").pk]["invited_personally"] is True
    assert people[world.user("receiving_member").pk]["via_partner"]["name"] == "Workforce Center"
    assert [item["text"] for item in data["action_items"]] == [f"Follow up {n}" for n in range(5)]
    assert data["minutes"] == ""


def test_case_review_minutes_and_action_items_are_for_its_invitees_only(world, client_for):
    review = schedule(world, kind=MeetingKind.CASE_REVIEW, start=in_days(-1, hour=15), users=[])
    coordinator_actor = actor(world, "coordinator")
    services.invitee_add(actor=coordinator_actor, meeting=review, user=world.user("coordinator"))
    as_invitee = selectors.meeting_get_for(actor=coordinator_actor, pk=review.pk)
    services.meeting_minutes_save(actor=coordinator_actor, meeting=as_invitee, minutes="WDT-1 housed.")
    Invitee.objects.filter(meeting=review, user=world.user("coordinator")).delete()

    coordinator = client_for("coordinator").get(f"/api/v1/meetings/{review.pk}/").json()
    assert coordinator["minutes"] is None
    assert coordinator["action_items"] is None
    member = client_for("sending_member").get(f"/api/v1/meetings/{review.pk}/").json()
    assert member["minutes"] == "WDT-1 housed."
    assert member["action_items"] == []
    # Not invited: a coordinator cannot write them either.
    response = client_for("coordinator").put(f"/api/v1/meetings/{review.pk}/minutes/", {"minutes": "x"}, JSON)
    assert response.status_code == 403


# --- Scheduling ---------------------------------------------------------------------------------------------


def test_a_coordinator_schedules_a_meeting(world, client_for):
    response = client_for("coordinator").post("/api/v1/meetings/", _create_body(world), JSON)

    assert response.status_code == 201, response.content
    data = response.json()
    meeting = Meeting.objects.get(pk=data["id"])
    assert meeting.title == "Reentry working group"
    assert meeting.timezone == world.tf.timezone
    assert {row["user_id"] for row in data["invitees"]} == {
        world.user(key).pk
        for key in ("receiving_member", "receiving_referral_staff", "receiving_partner_admin", "outsider_member")
    }
    assert [p["id"] for p in data["partners"]] == [world.receiving.pk]


def test_a_coordinator_schedules_a_series_and_changes_it_as_a_whole(world, client_for):
    client = client_for("coordinator")
    body = _create_body(world, kind="task_force", title="Monthly task force", rrule="FREQ=MONTHLY;COUNT=4")
    response = client.post("/api/v1/meetings/", body, JSON)

    assert response.status_code == 201, response.content
    first = response.json()
    series = MeetingSeries.objects.get()
    assert first["series"] == series.pk
    assert Meeting.objects.filter(series=series).count() == 4

    response = client.patch(f"/api/v1/meetings/{first['id']}/?scope=series", {"title": "Task force"}, JSON)
    assert response.status_code == 200, response.content
    assert set(Meeting.objects.filter(series=series).values_list("title", flat=True)) == {"Task force"}

    response = client.post(f"/api/v1/meetings/{first['id']}/cancel/?scope=series", {}, JSON)
    assert response.status_code == 200
    series.refresh_from_db()
    assert series.ended_at is not None
    assert set(Meeting.objects.filter(series=series).values_list("status", flat=True)) == {MeetingStatus.CANCELLED}


def test_only_coordinators_schedule_and_the_refusal_reads_no_body(world, client_for):
    response = client_for("receiving_partner_admin").post("/api/v1/meetings/", {"kind": "nonsense"}, JSON)

    assert response.status_code == 403
    assert not Meeting.objects.exists()


def _naive(world):
    start = in_days(5, hour=15).replace(tzinfo=None)
    return {"start": start.isoformat(), "end": (start + datetime.timedelta(hours=1)).isoformat()}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start": "next tuesday"}, "start"),
        ({"end": "2026-02-30T10:00:00Z"}, "end"),
        ({"kind": "party"}, "kind"),
        ({"title": ""}, "title"),
        ({"video_link": "javascript:alert(1)"}, "video_link"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"rrule": "FREQ=HOURLY"}, "rrule"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20000101T000000Z"}, "rrule"),
        ({"users": [2**62]}, "users"),
        ({"users": ["me"]}, "users"),
        ({"partners": [2**62]}, "partners"),
        ({"partners": "all"}, "partners"),
    ],
)
def test_bad_input_to_scheduling_is_a_400_naming_the_field(world, client_for, overrides, field):
    response = client_for("coordinator").post("/api/v1/meetings/", _create_body(world, **overrides), JSON)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not Meeting.objects.exists()


def test_times_without_an_offset_or_out_of_order_are_a_400(world, client_for):
    client = client_for("coordinator")
    naive = client.post("/api/v1/meetings/", _create_body(world, **_naive(world)), JSON)
    assert naive.status_code == 400
    assert "start" in naive.json()["errors"]

    start = in_days(5, hour=15)
    backwards = _create_body(world, start=start.isoformat(), end=(start - datetime.timedelta(hours=1)).isoformat())
    response = client.post("/api/v1/meetings/", backwards, JSON)
    assert response.status_code == 400
    assert "end" in response.json()["errors"]
    assert not Meeting.objects.exists()


def test_people_and_partners_of_another_task_force_cannot_be_invited(world, client_for):
    client = client_for("coordinator")

    response = client.post("/api/v1/meetings/", _create_body(world, partners=[world.foreign.pk]), JSON)
    assert response.status_code == 400
    assert "partners" in response.json()["errors"]
    response = client.post("/api/v1/meetings/", _create_body(world, users=[world.user("foreign_member").pk]), JSON)
    assert response.status_code == 400
    assert "users" in response.json()["errors"]
    assert not Meeting.objects.exists()


# --- Changing ---------------------------------------------------------------------------------------------


def test_a_change_raises_the_sequence_and_can_change_the_invitations(world, client_for):
    meeting = schedule(world)
    response = client_for("coordinator").patch(
        f"/api/v1/meetings/{meeting.pk}/", {"place": "Library", "partners": [world.receiving.pk], "users": []}, JSON
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["place"] == "Library"
    assert data["sequence"] == 1
    assert [p["id"] for p in data["partners"]] == [world.receiving.pk]
    assert world.user("sending_member").pk not in {row["user_id"] for row in data["invitees"]}


@pytest.mark.parametrize(
    ("query", "body", "field"),
    [
        ("", {"rrule": "FREQ=WEEKLY"}, "rrule"),
        ("?scope=everything", {"title": "x"}, "scope"),
        ("?scope=series", {"title": "x"}, "scope"),  # not part of a series
        ("", {"end": "2000-01-01T00:00:00Z"}, "end"),
        ("", {"start": "2030-01-01T10:00:00"}, "start"),
        ("", {"users": [2**62]}, "users"),
        ("", {"partners": [0]}, "partners"),
    ],
)
def test_bad_changes_are_a_400(world, client_for, query, body, field):
    meeting = schedule(world)

    response = client_for("coordinator").patch(f"/api/v1/meetings/{meeting.pk}/{query}", body, JSON)

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    meeting.refresh_from_db()
    assert meeting.sequence == 0


def test_members_cannot_change_cancel_or_record_meetings(world, client_for):
    meeting = schedule(world, start=in_days(-1, hour=15))
    client = client_for("sending_partner_admin")

    assert client.patch(f"/api/v1/meetings/{meeting.pk}/", {"title": "x"}, JSON).status_code == 403
    assert client.post(f"/api/v1/meetings/{meeting.pk}/cancel/", {}, JSON).status_code == 403
    assert client.post(f"/api/v1/meetings/{meeting.pk}/held/").status_code == 403
    assert client.put(f"/api/v1/meetings/{meeting.pk}/minutes/", {"minutes": "x"}, JSON).status_code == 403
    assert client.post(f"/api/v1/meetings/{meeting.pk}/attendance/", {}, JSON).status_code == 403
    assert client.post(f"/api/v1/meetings/{meeting.pk}/invitees/", {"user": 1}, JSON).status_code == 403
    meeting.refresh_from_db()
    assert (meeting.title, meeting.status, meeting.minutes) == ("Reentry working group", MeetingStatus.SCHEDULED, "")


def test_cancel_with_a_reason_and_not_twice(world, client_for):
    meeting = schedule(world)
    client = client_for("coordinator")

    response = client.post(f"/api/v1/meetings/{meeting.pk}/cancel/", {"reason": "Snow day"}, JSON)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "Snow day")
    again = client.post(f"/api/v1/meetings/{meeting.pk}/cancel/", {"reason": "Snow day"}, JSON)
    assert again.status_code == 400


def test_held_minutes_and_attendance(world, client_for):
    future = schedule(world)
    past = schedule(world, start=in_days(-1, hour=15))
    client = client_for("coordinator")

    assert client.post(f"/api/v1/meetings/{future.pk}/held/").status_code == 400
    assert client.post(f"/api/v1/meetings/{past.pk}/held/").json()["status"] == "held"
    response = client.put(f"/api/v1/meetings/{past.pk}/minutes/", {"minutes": "Agreed the plan."}, JSON)
    assert response.json()["minutes"] == "Agreed the plan."
    response = client.post(f"/api/v1/meetings/{past.pk}/minutes/", {"minutes": "Agreed it again."}, JSON)
    assert response.json()["minutes"] == "Agreed it again."
    marks = {
        "people": {str(world.user("sending_member").pk): "present", str(world.user("outsider_member").pk): "absent"},
        "partners": {str(world.sending.pk): "present"},
    }
    response = client.post(f"/api/v1/meetings/{past.pk}/attendance/", marks, JSON)
    assert response.status_code == 200, response.content
    assert Invitee.objects.get(meeting=past, user=world.user("outsider_member")).attendance == "absent"
    assert MeetingPartner.objects.get(meeting=past, partner=world.sending).attendance == "present"


@pytest.mark.parametrize(
    "body",
    [
        {"people": {"someone": "present"}},
        {"people": {"0": "present"}},
        {"people": {str(2**62): "present"}},
        {"people": {"1": "asleep"}},
        {"partners": {"1": "present"}},
        {"people": ["present"]},
    ],
)
def test_bad_attendance_is_a_400(world, client_for, body):
    past = schedule(world, start=in_days(-1, hour=15))

    response = client_for("coordinator").post(f"/api/v1/meetings/{past.pk}/attendance/", body, JSON)

    assert response.status_code == 400, response.content
    assert not Invitee.objects.exclude(attendance="").exists()


def test_an_other_partners_id_in_attendance_is_a_400_not_a_500(world, client_for):
    past = schedule(world, start=in_days(-1, hour=15))

    response = client_for("coordinator").post(
        f"/api/v1/meetings/{past.pk}/attendance/", {"partners": {str(world.foreign.pk): "present"}}, JSON
    )

    assert response.status_code == 400


def test_a_coordinator_invites_one_more_person(world, client_for):
    meeting = schedule(world)
    client = client_for("coordinator")

    body = {"user": world.user("receiving_member").pk}
    response = client.post(f"/api/v1/meetings/{meeting.pk}/invitees/", body, JSON)
    assert response.status_code == 200
    assert world.user("receiving_member").pk in {row["user_id"] for row in response.json()["invitees"]}
    for bad in ({"user": world.user("foreign_member").pk}, {"user": 2**62}, {"user": "x"}, {}):
        assert client.post(f"/api/v1/meetings/{meeting.pk}/invitees/", bad, JSON).status_code == 400


def test_the_ics_of_a_meeting(world, client_for):
    meeting = schedule(world)

    response = client_for("sending_member").get(f"/api/v1/meetings/{meeting.pk}/ics/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert f"UID:{meeting.uid}@psnhub".encode() in response.content.replace(b"\r\n ", b"")
    assert client_for("receiving_member").get(f"/api/v1/meetings/{meeting.pk}/ics/").status_code == 404
