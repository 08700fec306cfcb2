"""The audit page: a coordinator reads their task force's trail (and their members' sign-ins), filters it,
and nobody else may read it (the refusal itself is recorded)."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from psn import audit
from psn.models import AuditEvent

from .signin import sign_in


@pytest.fixture
def trail(world, password):
    """Events of both task forces, and real sign-in events of a member of each."""
    coordinator = world.user("coordinator")
    audit.record(action="viewed", actor=coordinator, task_force=world.tf, object_type="cases.person", object_id=1)
    audit.record(
        action="created",
        actor=world.user("sending_referral_staff"),
        task_force=world.tf,
        object_type="cases.referral",
        object_id=2,
    )
    audit.record(
        action="viewed",
        actor=world.user("foreign_coordinator"),
        task_force=world.other_tf,
        object_type="cases.person",
        object_id=3,
        object_repr="Other task force's person",
    )
    sign_in(Client(REMOTE_ADDR="203.0.113.1"), world.user("receiving_member").email, password)
    sign_in(Client(REMOTE_ADDR="203.0.113.2"), world.user("receiving_member").email, "wrong")
    sign_in(Client(REMOTE_ADDR="203.0.113.3"), world.user("foreign_member").email, password)
    sign_in(Client(REMOTE_ADDR="203.0.113.4"), world.user("foreign_member").email, "wrong")


def _listed(response) -> list[tuple[str, str]]:
    return [(event.action, event.actor_email or event.object_repr) for event in response.context["page"]]


def test_coordinator_sees_the_task_force_and_its_members_sign_ins_only(client_for, world, trail):
    response = client_for("coordinator").get("/audit/")

    assert response.status_code == 200
    assert sorted(_listed(response)) == sorted(
        [
            ("logged_in", "coordinator@example.org"),  # this test client's own sign-in
            ("viewed", "coordinator@example.org"),
            ("created", "sending.referral_staff@example.org"),
            ("logged_in", "receiving.member@example.org"),
            ("login_failed", "receiving.member@example.org"),
        ]
    )
    page = response.content.decode()
    assert "203.0.113.1" in page
    assert "203.0.113.3" not in page
    assert "Other task force" not in page


def test_coordinator_of_the_other_task_force_sees_only_theirs(client_for, trail):
    response = client_for("foreign_coordinator").get("/audit/")

    assert sorted(_listed(response)) == sorted(
        [
            ("logged_in", "foreign.coordinator@example.org"),
            ("viewed", "foreign.coordinator@example.org"),
            ("logged_in", "foreign.member@example.org"),
            ("login_failed", "foreign.member@example.org"),
        ]
    )


def test_site_admin_reads_the_trail_of_the_task_force_they_act_in(client_for, trail):
    response = client_for("site_admin").get("/audit/")

    assert response.status_code == 200
    assert ("viewed", "foreign.coordinator@example.org") not in _listed(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=login_failed", [("login_failed", "receiving.member@example.org")]),
        ("actor=RECEIVING", [("logged_in", "receiving.member@example.org")]),
        ("actor=coordinator&action=viewed", [("viewed", "coordinator@example.org")]),
        ("object_type=cases.referral", [("created", "sending.referral_staff@example.org")]),
        ("object_type=cases.person&object_id=1", [("viewed", "coordinator@example.org")]),
        ("action=viewed&actor=sending", []),
    ],
)
def test_filters_narrow_the_list(client_for, trail, query, expected):
    response = client_for("coordinator").get(f"/audit/?{query}")

    assert response.status_code == 200
    assert _listed(response) == expected


def test_date_filters_use_the_day_in_the_task_forces_time_zone(client_for, world):
    # object_id = the day in America/Chicago, the task force's time zone (UTC-6, UTC-5 from 9 March 2025).
    moments = {
        "1": datetime(2025, 3, 1, 12, tzinfo=UTC),
        "9": datetime(2025, 3, 10, 3, tzinfo=UTC),  # already the 10th in UTC, still the evening of the 9th there
        "10": datetime(2025, 3, 10, 12, tzinfo=UTC),
        "20": datetime(2025, 3, 20, 12, tzinfo=UTC),
    }
    for day, at in moments.items():
        AuditEvent.objects.create(
            at=at, action="viewed", task_force=world.tf, object_type="cases.person", object_id=day
        )
    client = client_for("coordinator")

    def days(query):
        page = client.get(f"/audit/?object_type=cases.person&{query}").context["page"]
        return sorted(int(event.object_id) for event in page)

    assert days("since=2025-03-10") == [10, 20]
    assert days("until=2025-03-09") == [1, 9]
    assert days("since=2025-03-02&until=2025-03-19") == [9, 10]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "Enter a valid date."),
        ("until=2025-13-45", "Enter a valid date."),
        ("since=2025-01-01%00", "Enter a valid date."),
        ("action=erased", "Select a valid choice."),
        ("actor=" + "x" * 300, "Ensure this value has at most 254 characters"),
    ],
)
def test_invalid_filters_explain_themselves_instead_of_failing(client_for, trail, query, message):
    response = client_for("coordinator").get(f"/audit/?{query}")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Some filters are not valid" in page
    assert message in page
    assert list(response.context["page"]) == []


@pytest.mark.parametrize("role", ["receiving_member", "receiving_referral_staff", "receiving_partner_admin"])
def test_others_get_403_and_the_refusal_is_recorded(client_for, world, trail, role):
    response = client_for(role).get("/audit/")

    assert response.status_code == 403
    assert "Only coordinators can read the audit trail." in response.content.decode()
    event = AuditEvent.objects.get(action="permission_denied")
    assert (event.actor, event.task_force, event.object_repr) == (world.user(role), world.tf, "GET /audit/")


def test_anonymous_visitor_is_sent_to_sign_in(db):
    response = Client().get("/audit/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_is_paginated(client_for, world):
    for number in range(60):
        audit.record(action="viewed", task_force=world.tf, object_type="cases.person", object_id=number)
    client = client_for("coordinator")

    first = client.get("/audit/?action=viewed")
    second = client.get("/audit/?action=viewed&page=2")

    assert len(first.context["page"]) == 50
    assert len(second.context["page"]) == 10
    assert "action=viewed" in first.content.decode()


def _fill(world, count: int) -> None:
    members = [world.user(key) for key in ("coordinator", "sending_member", "receiving_partner_admin")]
    for number in range(count):
        actor = members[number % len(members)]
        audit.record(
            action="changed",
            actor=actor,
            task_force=world.tf,
            object_type="cases.referral",
            object_id=number,
            object_repr=f"Referral {number}",
            changes={"status": ["submitted", "accepted"]},
        )


@pytest.mark.parametrize("count", [60, 120])
def test_query_count_does_not_grow_with_the_events(client_for, world, django_assert_num_queries, count):
    _fill(world, count)
    client = client_for("coordinator")
    client.get("/audit/")  # a warm session, as on every request after the first

    # 1 session, 2 user, 3 the actor's memberships, 4 count, 5 the page of events with actor and task force.
    with django_assert_num_queries(5):
        response = client.get("/audit/")

    assert response.status_code == 200
    assert len(response.context["page"]) == 50
