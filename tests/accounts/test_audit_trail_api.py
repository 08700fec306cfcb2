"""GET /api/v1/audit-events/: the same trail, rules and filters as the page, read-only."""

import pytest
from django.test import Client

from accounts import services
from psn import audit
from psn.models import AuditEvent

from .signin import sign_in

URL = "/api/v1/audit-events/"


@pytest.fixture
def trail(world, password):
    audit.record(
        action="viewed", actor=world.user("coordinator"), task_force=world.tf, object_type="cases.person", object_id=1
    )
    audit.record(
        action="viewed",
        actor=world.user("foreign_coordinator"),
        task_force=world.other_tf,
        object_type="cases.person",
        object_id=2,
    )
    sign_in(Client(REMOTE_ADDR="203.0.113.1"), world.user("receiving_member").email, "wrong")
    sign_in(Client(REMOTE_ADDR="203.0.113.2"), world.user("foreign_member").email, "wrong")


def _rows(response) -> list[tuple[str, str, str | None]]:
    return [(row["action"], row["object_id"], row["task_force"]) for row in response.json()["results"]]


def test_coordinator_lists_their_task_force_and_member_sign_ins(client_for, world, trail):
    response = client_for("coordinator").get(URL, {"object_type": "cases.person"})

    assert response.status_code == 200
    assert _rows(response) == [("viewed", "1", "wdt")]
    failures = client_for("coordinator").get(URL, {"action": "login_failed"}).json()["results"]
    assert [(row["object_id"], row["ip"]) for row in failures] == [
        (str(world.user("receiving_member").pk), "203.0.113.1")
    ]


def test_coordinator_with_a_token_names_the_task_force_with_the_header(world, trail):
    _, secret = services.api_token_create(user=world.user("foreign_coordinator"), name="audit", expires_in_days=1)

    response = Client().get(
        URL, {"object_type": "cases.person"}, HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_X_TASK_FORCE="edt"
    )

    assert response.status_code == 200
    assert _rows(response) == [("viewed", "2", "edt")]


@pytest.mark.parametrize("role", ["receiving_member", "receiving_referral_staff", "receiving_partner_admin"])
def test_others_get_403_and_the_refusal_is_recorded(client_for, world, trail, role):
    response = client_for(role).get(URL)

    assert response.status_code == 403
    assert response.json() == {"detail": "Only coordinators can read the audit trail.", "code": "permission_denied"}
    event = AuditEvent.objects.get(action="permission_denied")
    assert (event.actor, event.task_force, event.object_repr) == (world.user(role), world.tf, f"GET {URL}")


def test_anonymous_gets_401(db):
    response = Client().get(URL)

    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}


@pytest.mark.parametrize(
    ("params", "field"),
    [({"since": "yesterday"}, "since"), ({"until": "2025-02-30"}, "until"), ({"action": "erased"}, "action")],
)
def test_invalid_filters_are_a_400_naming_the_field(client_for, trail, params, field):
    response = client_for("coordinator").get(URL, params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]


def test_events_cannot_be_changed_or_deleted_through_the_api(client_for, trail):
    client = client_for("coordinator")
    event = AuditEvent.objects.filter(object_type="cases.person", task_force__slug="wdt").get()

    assert client.post(URL, {"action": "viewed"}, content_type="application/json").status_code == 405
    for method in (client.put, client.patch):
        assert method(f"{URL}{event.pk}/", {"action": "deleted"}, content_type="application/json").status_code == 405
    assert client.delete(f"{URL}{event.pk}/").status_code == 405
    assert AuditEvent.objects.get(pk=event.pk).action == "viewed"


def test_an_event_of_the_other_task_force_is_404(client_for, trail):
    other = AuditEvent.objects.get(task_force__slug="edt")

    response = client_for("coordinator").get(f"{URL}{other.pk}/")

    assert response.status_code == 404


@pytest.mark.parametrize("count", [60, 120])
def test_query_count_does_not_grow_with_the_events(client_for, world, django_assert_num_queries, count):
    for number in range(count):
        audit.record(
            action="viewed",
            actor=world.user("sending_member"),
            task_force=world.tf,
            object_type="cases.person",
            object_id=number,
            changes={"name": ["a", "b"]},
        )
    client = client_for("coordinator")
    client.get(URL)  # a warm session, as on every request after the first

    # 1 session, 2 user, 3 the actor's memberships, 4 count, 5 the page of events with actor and task force.
    with django_assert_num_queries(5):
        response = client.get(URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 50
    assert response.json()["count"] == count + 1  # and the coordinator's own sign-in
