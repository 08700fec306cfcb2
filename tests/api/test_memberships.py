"""/api/v1/memberships/: who belongs to which partner of the current task force, with filters, ordering and
pagination. Active memberships are visible to the whole task force (partners find each other); inactive ones
to coordinators and the admins of that partner; another task force's to nobody."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from partners.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory

from .bodies import assert_error


@pytest.fixture
def former(world):
    """An inactive membership at the receiving partner and one at the sending partner."""
    return {
        "receiving": MembershipFactory(
            user=UserFactory(email="former.receiving@example.org"), partner=world.receiving, active=False
        ),
        "sending": MembershipFactory(
            user=UserFactory(email="former.sending@example.org"), partner=world.sending, active=False
        ),
    }


def _bulk_memberships(partner, n: int) -> None:
    """n more memberships of the partner, without hashing n passwords."""
    users = get_user_model().objects.bulk_create(
        get_user_model()(email=f"bulk{i}.{partner.pk}@example.org", full_name=f"Bulk {i}", password="!")
        for i in range(n)
    )
    Membership.objects.bulk_create(Membership(user=u, partner=partner, task_force=partner.task_force) for u in users)


def _emails(response) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {row["email"] for row in response.json()["results"]}


def _expected(world, **filters) -> set[str]:
    return set(Membership.objects.filter(**filters).values_list("user__email", flat=True))


def test_a_member_sees_the_active_memberships_of_the_whole_task_force(client_for, world, former):
    seen = _emails(client_for("receiving_member").get("/api/v1/memberships/"))

    assert seen == _expected(world, task_force=world.tf, active=True, user__is_active=True)
    assert {"sending.member@example.org", "outsider.partner_admin@example.org", "coordinator@example.org"} <= seen
    assert not seen & {"former.receiving@example.org", "former.sending@example.org"}
    assert "gone@example.org" not in seen  # a disabled account is not offered as a colleague


def test_a_partner_admin_also_sees_the_inactive_ones_of_their_own_partner(client_for, world, former):
    seen = _emails(client_for("receiving_partner_admin").get("/api/v1/memberships/"))

    assert seen == _expected(world, task_force=world.tf, active=True, user__is_active=True) | _expected(
        world, partner=world.receiving
    )
    assert {"former.receiving@example.org", "gone@example.org"} <= seen


def test_a_coordinator_sees_every_membership_of_the_task_force(client_for, world, former):
    seen = _emails(client_for("coordinator").get("/api/v1/memberships/"))

    assert seen == _expected(world, task_force=world.tf)
    assert {"former.receiving@example.org", "former.sending@example.org"} <= seen


@pytest.mark.parametrize("key", ["receiving_member", "coordinator", "site_admin"])
def test_nobody_sees_another_task_forces_memberships(client_for, world, key):
    seen = _emails(client_for(key).get("/api/v1/memberships/?page_size=200"))

    assert seen
    assert not seen & _expected(world, task_force=world.other_tf)


def test_the_other_task_force_sees_only_its_own(client_for, world):
    assert _emails(client_for("foreign_member").get("/api/v1/memberships/")) == _expected(
        world, task_force=world.other_tf
    )


def test_a_membership_of_another_task_force_is_404(client_for, world):
    foreign = world.user("foreign_member").memberships.get()

    assert_error(client_for("coordinator").get(f"/api/v1/memberships/{foreign.pk}/"), 404, "not_found")


def test_an_inactive_membership_is_404_for_a_member_and_visible_to_its_partner_admin(client_for, former):
    path = f"/api/v1/memberships/{former['receiving'].pk}/"

    assert_error(client_for("receiving_member").get(path), 404, "not_found")
    assert_error(client_for("sending_partner_admin").get(path), 404, "not_found")
    body = client_for("receiving_partner_admin").get(path).json()
    assert (body["email"], body["active"]) == ("former.receiving@example.org", False)


def test_a_membership_in_detail(client_for, world):
    membership = world.user("sending_referral_staff").memberships.get()

    body = client_for("receiving_member").get(f"/api/v1/memberships/{membership.pk}/").json()

    assert body == {
        "id": membership.pk,
        "user_id": world.user("sending_referral_staff").pk,
        "email": "sending.referral_staff@example.org",
        "full_name": "sending referral_staff",
        "partner_id": world.sending.pk,
        "partner": "City Police",
        "role": "referral_staff",
        "active": True,
        "created_at": body["created_at"],
    }


# --- Filters ------------------------------------------------------------------------------------------


def test_filter_by_partner(client_for, world):
    seen = _emails(client_for("coordinator").get(f"/api/v1/memberships/?partner={world.receiving.pk}"))

    assert seen == _expected(world, partner=world.receiving)


def test_filter_by_a_partner_of_another_task_force_finds_nothing(client_for, world):
    assert _emails(client_for("coordinator").get(f"/api/v1/memberships/?partner={world.foreign.pk}")) == set()


def test_filter_by_role(client_for, world):
    seen = _emails(client_for("receiving_member").get("/api/v1/memberships/?role=partner_admin"))

    assert seen == _expected(world, task_force=world.tf, role=Role.PARTNER_ADMIN)
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("key", "expected"), [("receiving_member", set()), ("receiving_partner_admin", {"former.receiving@example.org"})]
)
def test_filter_by_active(client_for, former, key, expected):
    assert _emails(client_for(key).get("/api/v1/memberships/?active=false")) == expected


def test_filters_combine(client_for, world, former):
    query = f"?partner={world.sending.pk}&role=member&active=false"

    assert _emails(client_for("coordinator").get(f"/api/v1/memberships/{query}")) == {"former.sending@example.org"}


# --- Ordering -----------------------------------------------------------------------------------------


def test_default_order_is_partner_then_email(client_for):
    rows = client_for("coordinator").get("/api/v1/memberships/").json()["results"]

    assert [(r["partner"], r["email"]) for r in rows] == sorted((r["partner"], r["email"]) for r in rows)


@pytest.mark.parametrize(("ordering", "reverse"), [("created_at", False), ("-created_at", True)])
def test_ordering_by_creation(client_for, world, ordering, reverse):
    newest = world.user("outsider_member").memberships.get()
    Membership.objects.filter(pk=newest.pk).update(created_at=timezone.now() + timedelta(days=1))

    rows = client_for("coordinator").get(f"/api/v1/memberships/?ordering={ordering}").json()["results"]

    stamps = [r["created_at"] for r in rows]
    assert stamps == sorted(stamps, reverse=reverse)
    assert rows[0 if reverse else -1]["id"] == newest.pk


def test_ordering_by_an_unknown_field_keeps_the_default(client_for):
    client = client_for("coordinator")

    assert (
        client.get("/api/v1/memberships/?ordering=user__password").json() == client.get("/api/v1/memberships/").json()
    )


# --- Pagination ---------------------------------------------------------------------------------------


def test_pages(client_for, world):
    client = client_for("coordinator")
    total = Membership.objects.filter(task_force=world.tf).count()

    first = client.get("/api/v1/memberships/?page_size=5").json()
    last = client.get(f"/api/v1/memberships/?page_size=5&page={-(-total // 5)}").json()

    assert (first["count"], len(first["results"]), first["previous"]) == (total, 5, None)
    assert "page=2" in first["next"]
    assert last["next"] is None
    assert len(last["results"]) == total - 5 * (-(-total // 5) - 1)


def test_page_size_is_capped_at_200(client_for, world):
    _bulk_memberships(world.outsider, 205)

    body = client_for("coordinator").get("/api/v1/memberships/?page_size=1000").json()

    assert body["count"] > 200
    assert len(body["results"]) == 200


def test_the_default_page_size_is_50(client_for, world):
    _bulk_memberships(world.outsider, 60)

    assert len(client_for("coordinator").get("/api/v1/memberships/").json()["results"]) == 50


@pytest.mark.parametrize("page", ["999", "0", "-1", "abc"])
def test_a_page_that_does_not_exist_is_a_json_404(client_for, page):
    body = assert_error(client_for("coordinator").get(f"/api/v1/memberships/?page={page}"), 404, "not_found")

    assert "page" in body["detail"].lower()


# --- Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [10, 40])
def test_the_list_takes_the_same_queries_whatever_its_length(client_for, world, extra, django_assert_num_queries):
    _bulk_memberships(world.receiving, extra // 2)
    _bulk_memberships(world.sending, extra - extra // 2)
    client = client_for("coordinator")
    client.get("/api/v1/memberships/")  # a warm session, as on every request after the first

    # 1 session, 2 user, 3 the actor's memberships, 4 count, 5 the page with user and partner.
    with django_assert_num_queries(5):
        response = client.get("/api/v1/memberships/?page_size=200")
    assert len(response.json()["results"]) == Membership.objects.filter(task_force=world.tf).count()


def test_the_list_with_a_token_takes_no_session_queries(token_client, world, django_assert_num_queries):
    _bulk_memberships(world.receiving, 40)
    client = token_client("receiving_partner_admin")
    client.get("/api/v1/memberships/")  # sets the token's last-used time, written at most once a minute

    # 1 the token with its user, 2 the actor's memberships, 3 count, 4 the page with user and partner.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/memberships/?page_size=200")
    assert response.status_code == 200
