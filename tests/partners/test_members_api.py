"""The member and invitation API: role changes, deactivation and reactivation of memberships, and invitations
(list, filters, ordering, create, revoke), with the same rules and answers as the pages, and no secret ever in
a response."""

import pytest
from django.test import Client

from accounts.services import api_token_create
from partners.models import Invitation, Membership, Role
from psn.models import AuditEvent

from ..factories import MembershipFactory, UserFactory
from .members_support import make_inviter


@pytest.fixture
def invite(django_capture_on_commit_callbacks, mailoutbox):
    return make_inviter(django_capture_on_commit_callbacks, mailoutbox)


def membership_of(world, key: str) -> Membership:
    return world.user(key).memberships.get()


def patch(client, url: str, data: dict):
    return client.patch(url, data, content_type="application/json")


def post(client, url: str, data: dict | None = None):
    return client.post(url, data or {}, content_type="application/json")


# --- Memberships --------------------------------------------------------------------------------------------


def test_a_partner_admin_changes_a_role(client_for, world):
    membership = membership_of(world, "receiving_member")

    response = patch(
        client_for("receiving_partner_admin"), f"/api/v1/memberships/{membership.pk}/", {"role": "referral_staff"}
    )

    assert response.status_code == 200
    assert response.json()["role"] == "referral_staff"
    membership.refresh_from_db()
    assert membership.role == "referral_staff"
    assert AuditEvent.objects.filter(object_type="partners.membership", object_id=str(membership.pk)).get().changes == {
        "role": ["member", "referral_staff"]
    }


@pytest.mark.parametrize(
    ("key", "data", "status"),
    [
        ("receiving_member", {"role": "referral_staff"}, 403),
        ("sending_partner_admin", {"role": "referral_staff"}, 403),
        ("foreign_coordinator", {"role": "referral_staff"}, 404),
        ("receiving_partner_admin", {"role": "coordinator"}, 403),  # above the ceiling
        ("receiving_partner_admin", {"role": "boss"}, 400),
        ("receiving_partner_admin", {}, 400),
        ("receiving_partner_admin", ["role"], 400),
    ],
)
def test_a_role_change_refused(client_for, world, key, data, status):
    membership = membership_of(world, "receiving_member")

    response = patch(client_for(key), f"/api/v1/memberships/{membership.pk}/", data)

    assert response.status_code == status, response.content
    assert set(response.json()) >= {"detail", "code"}
    membership.refresh_from_db()
    assert membership.role == "member"


def test_put_is_not_offered(client_for, world):
    membership = membership_of(world, "receiving_member")
    response = client_for("coordinator").put(
        f"/api/v1/memberships/{membership.pk}/", {"role": "member"}, content_type="application/json"
    )
    assert response.status_code == 405


def test_the_last_admin_rule_in_the_api(client_for, world):
    own = membership_of(world, "receiving_partner_admin")
    client = client_for("receiving_partner_admin")

    demote = patch(client, f"/api/v1/memberships/{own.pk}/", {"role": "member"})
    deactivate = post(client, f"/api/v1/memberships/{own.pk}/deactivate/")

    assert (demote.status_code, deactivate.status_code) == (400, 400)
    assert "last admin" in str(demote.json()["errors"])
    own.refresh_from_db()
    assert (own.role, own.active) == ("partner_admin", True)


def test_deactivate_and_reactivate(client_for, world):
    membership = membership_of(world, "receiving_referral_staff")
    person = world.user("receiving_referral_staff")
    _, secret = api_token_create(user=person, name="script", expires_in_days=30)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Client().get("/api/v1/partners/", **bearer).status_code == 200
    client = client_for("coordinator")

    off = post(client, f"/api/v1/memberships/{membership.pk}/deactivate/")
    assert (off.status_code, off.json()["active"]) == (200, False)
    assert Client().get("/api/v1/partners/", **bearer).status_code == 401

    on = post(client, f"/api/v1/memberships/{membership.pk}/reactivate/")
    assert (on.status_code, on.json()["active"]) == (200, True)
    # The token was revoked with the last membership: it stays revoked (a new one is made by the person).
    assert Client().get("/api/v1/partners/", **bearer).status_code == 401


@pytest.mark.parametrize(("key", "status"), [("receiving_member", 403), ("sending_partner_admin", 403)])
def test_deactivation_refused(client_for, world, key, status):
    membership = membership_of(world, "receiving_referral_staff")
    assert post(client_for(key), f"/api/v1/memberships/{membership.pk}/deactivate/").status_code == status
    membership.refresh_from_db()
    assert membership.active


# --- Invitations --------------------------------------------------------------------------------------------


def test_creating_an_invitation_returns_it_without_the_link(
    client_for, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client_for("receiving_partner_admin"),
            "/api/v1/invitations/",
            {"partner": world.receiving.pk, "email": "Api.Person@Example.org", "role": "referral_staff"},
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "api.person@example.org"
    assert (body["partner_id"], body["role"], body["status"]) == (world.receiving.pk, "referral_staff", "open")
    assert body["invited_by"] == "receiving.partner_admin@example.org"
    [message] = mailoutbox
    token = message.body.split("/invitations/")[1].split("/")[0]
    assert token not in response.content.decode()
    assert "digest" not in body
    assert Invitation.objects.get().digest not in response.content.decode()


@pytest.mark.parametrize(
    ("key", "data", "status", "field"),
    [
        ("receiving_member", {"email": "a@example.org"}, 403, None),
        ("sending_partner_admin", {"email": "a@example.org"}, 403, None),  # not their partner
        ("receiving_partner_admin", {"email": "a@example.org", "role": "coordinator"}, 403, None),
        ("receiving_partner_admin", {"email": "not an address"}, 400, "email"),
        ("receiving_partner_admin", {"email": "receiving.member@example.org"}, 400, "email"),
        ("receiving_partner_admin", {"email": "a@example.org", "role": "boss"}, 400, "role"),
        ("receiving_partner_admin", {"email": "a@example.org", "partner": 2**63}, 400, "partner"),
        ("receiving_partner_admin", {"email": "a@example.org", "partner": "foreign"}, 400, "partner"),
        ("coordinator", {"email": "a@example.org", "partner": "foreign"}, 400, "partner"),
    ],
)
def test_bad_or_refused_invitations(client_for, world, key, data, status, field):
    partner = world.foreign.pk if data.get("partner") == "foreign" else data.get("partner", world.receiving.pk)

    response = post(client_for(key), "/api/v1/invitations/", {"role": "member", **data, "partner": partner})

    assert response.status_code == status, response.content
    if field:
        assert field in response.json()["errors"]
    assert Invitation.objects.count() == 0


def test_the_list_shows_what_the_caller_manages_with_filters_and_ordering(client_for, world, invite):
    invite(world, "receiving_partner_admin", world.receiving, "b@example.org", "member")
    invite(world, "receiving_partner_admin", world.receiving, "a@example.org", "partner_admin")
    revoked, _ = invite(world, "sending_partner_admin", world.sending, "c@example.org")
    post(client_for("sending_partner_admin"), f"/api/v1/invitations/{revoked.pk}/revoke/")
    invite(world, "foreign_coordinator", world.foreign, "elsewhere@example.org")

    def emails(key, query=""):
        response = client_for(key).get(f"/api/v1/invitations/{query}")
        assert response.status_code == 200, response.content
        return [row["email"] for row in response.json()["results"]]

    assert emails("receiving_partner_admin") == ["a@example.org", "b@example.org"]  # newest first
    assert emails("coordinator") == ["c@example.org", "a@example.org", "b@example.org"]
    assert emails("coordinator", "?status=revoked") == ["c@example.org"]
    assert emails("coordinator", "?status=open&ordering=email") == ["a@example.org", "b@example.org"]
    assert emails("coordinator", f"?partner={world.sending.pk}") == ["c@example.org"]
    assert emails("coordinator", "?role=partner_admin") == ["a@example.org"]
    assert emails("coordinator", "?email=B@Example.org") == ["b@example.org"]
    assert emails("foreign_coordinator") == ["elsewhere@example.org"]
    assert client_for("coordinator").get("/api/v1/invitations/?status=lost").status_code == 400
    assert client_for("coordinator").get("/api/v1/invitations/?partner=x").status_code == 400
    assert client_for("receiving_member").get("/api/v1/invitations/").status_code == 403


def test_retrieve_and_revoke(client_for, world, invite):
    invitation, token = invite(world, "receiving_partner_admin", world.receiving, "r@example.org")
    url = f"/api/v1/invitations/{invitation.pk}/"

    assert client_for("receiving_partner_admin").get(url).json()["status"] == "open"
    assert client_for("sending_partner_admin").get(url).status_code == 403
    assert client_for("foreign_coordinator").get(url).status_code == 404
    assert client_for("receiving_member").get(url).status_code == 403
    assert post(client_for("sending_partner_admin"), f"{url}revoke/").status_code == 403

    revoked = post(client_for("coordinator"), f"{url}revoke/")
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    again = post(client_for("coordinator"), f"{url}revoke/")
    assert again.status_code == 400
    assert Client().get(f"/invitations/{token}/").status_code == 410


def test_the_invitation_list_takes_a_fixed_number_of_queries(client_for, world, django_assert_num_queries):
    client = client_for("coordinator")

    def fill(start: int, count: int) -> None:
        for n in range(start, start + count):
            inviter = UserFactory(email=f"inviter{n}@example.org")
            MembershipFactory(user=inviter, partner=world.outsider, role=Role.PARTNER_ADMIN)
            Invitation.objects.create(
                partner=world.outsider,
                task_force=world.tf,
                email=f"i{n}@example.org",
                digest=f"{n:064d}",
                invited_by=inviter,
                expires_at=inviter.date_joined.replace(year=inviter.date_joined.year + 1),
            )

    fill(0, 3)
    client.get("/api/v1/invitations/")
    # 1 session, 2 user, 3 the actor's memberships, 4 count, 5 the page with partners and inviters.
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/invitations/").json()["results"]) == 3
    fill(3, 30)
    with django_assert_num_queries(5):
        assert len(client.get("/api/v1/invitations/").json()["results"]) == 33
