"""GET /api/v1/me/: who the caller is, the task forces they may act in, their memberships, and which task
force this request acts in (the X-Task-Force header, else the session's choice, else the only one)."""

import pytest
from django.test import Client

from partners.models import Role
from tests.factories import MembershipFactory

from .bodies import assert_error


@pytest.fixture
def two_task_forces(world):
    """receiving_member also belongs to the foreign partner, so they act in either task force."""
    MembershipFactory(user=world.user("receiving_member"), partner=world.foreign, role=Role.REFERRAL_STAFF)
    return world.user("receiving_member")


def test_me_lists_the_task_force_and_membership_of_a_member(client_for, world):
    body = client_for("receiving_member").get("/api/v1/me/").json()

    membership = world.user("receiving_member").memberships.get()
    assert body == {
        "id": world.user("receiving_member").pk,
        "email": "receiving.member@example.org",
        "full_name": "receiving member",
        "is_site_admin": False,
        "current_task_force": {"slug": "wdt", "name": "Western District of Testing"},
        "task_forces": [{"slug": "wdt", "name": "Western District of Testing"}],
        "memberships": [
            {
                "id": membership.pk,
                "task_force": "wdt",
                "partner_id": world.receiving.pk,
                "partner": "Workforce Center",
                "role": "member",
            }
        ],
    }


def test_me_lists_every_task_force_and_membership_of_someone_in_two(client_for, world, two_task_forces):
    body = client_for("receiving_member").get("/api/v1/me/").json()

    assert [tf["slug"] for tf in body["task_forces"]] == ["edt", "wdt"]
    assert sorted((m["task_force"], m["role"]) for m in body["memberships"]) == [
        ("edt", "referral_staff"),
        ("wdt", "member"),
    ]


def test_the_header_chooses_the_current_task_force(client_for, two_task_forces):
    client = client_for("receiving_member")

    assert client.get("/api/v1/me/").json()["current_task_force"]["slug"] == "wdt"  # the session's choice
    assert client.get("/api/v1/me/", headers={"X-Task-Force": "edt"}).json()["current_task_force"]["slug"] == "edt"


def test_the_header_scopes_the_other_endpoints_too(client_for, world, two_task_forces):
    client = client_for("receiving_member")

    in_edt = client.get("/api/v1/memberships/", headers={"X-Task-Force": "edt"}).json()["results"]
    in_wdt = client.get("/api/v1/memberships/").json()["results"]

    assert {row["partner"] for row in in_edt} == {world.foreign.name}
    assert world.foreign.name not in {row["partner"] for row in in_wdt}


@pytest.mark.parametrize("slug", ["nowhere", "edt"])
def test_an_unknown_or_foreign_task_force_in_the_header_is_404_with_a_reason(client_for, slug):
    response = client_for("receiving_member").get("/api/v1/me/", headers={"X-Task-Force": slug})

    body = assert_error(response, 404, "not_found")
    assert slug in body["detail"]


def test_a_foreign_task_force_in_the_header_is_404_on_every_endpoint(client_for):
    client = client_for("receiving_partner_admin")

    for path in ("/api/v1/memberships/", "/api/v1/task-forces/", "/api/v1/tokens/", "/api/v1/lockouts/"):
        assert_error(client.get(path, headers={"X-Task-Force": "edt"}), 404, "not_found")


def test_a_token_user_in_two_task_forces_must_name_one(token_client, world, two_task_forces):
    client = token_client("receiving_member")

    assert client.get("/api/v1/me/").json()["current_task_force"] is None
    body = assert_error(client.get("/api/v1/memberships/"), 403, "permission_denied")
    assert "X-Task-Force" in body["detail"]
    assert client.get("/api/v1/memberships/", headers={"X-Task-Force": "edt"}).status_code == 200


def test_a_token_user_in_one_task_force_acts_there_without_the_header(token_client):
    assert token_client("receiving_member").get("/api/v1/me/").json()["current_task_force"]["slug"] == "wdt"


def test_a_site_admin_sees_every_task_force_and_may_act_in_any(client_for, world):
    client = client_for("site_admin")

    body = client.get("/api/v1/me/").json()
    assert body["is_site_admin"] is True
    assert [tf["slug"] for tf in body["task_forces"]] == ["edt", "wdt"]
    assert body["memberships"] == []
    assert client.get("/api/v1/me/", headers={"X-Task-Force": "edt"}).json()["current_task_force"]["slug"] == "edt"


def test_an_account_without_membership_has_no_task_force(client_for):
    body = client_for("nobody").get("/api/v1/me/").json()

    assert (body["current_task_force"], body["task_forces"], body["memberships"]) == (None, [], [])


def test_inactive_memberships_grant_nothing(client_for, world):
    world.user("receiving_member").memberships.update(active=False)

    body = client_for("receiving_member").get("/api/v1/me/").json()

    assert (body["current_task_force"], body["task_forces"], body["memberships"]) == (None, [], [])


def test_anonymous_is_401(world):
    assert_error(Client().get("/api/v1/me/"), 401, "not_authenticated")


def test_me_takes_a_constant_number_of_queries(client_for, world, two_task_forces, django_assert_num_queries):
    client = client_for("receiving_member")
    client.get("/api/v1/me/")  # a warm session, as on every request after the first

    # 1 session, 2 user, 3 the actor's memberships with partner and task force.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/me/", headers={"X-Task-Force": "edt"})
    assert response.status_code == 200
