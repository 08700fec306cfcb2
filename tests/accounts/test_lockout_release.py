"""A locked account is released by a partner admin of its partner, a coordinator or a site admin, in the UI
and through the API; anyone else is refused (403 inside the task force, 404 from another) and it stays locked."""

import pytest
from django.test import Client

from psn.models import AuditEvent

from .signin import fail_sign_ins, is_signed_in, sign_in


@pytest.fixture
def locked(world):
    """receiving_member (of the receiving partner), locked by five failed sign-ins."""
    user = world.user("receiving_member")
    assert fail_sign_ins(Client(), user.email, 5).status_code == 429
    return user


def _can_sign_in(user, password) -> bool:
    client = Client()
    response = sign_in(client, user.email, password)
    return response.status_code == 302 and is_signed_in(client)


@pytest.mark.parametrize("releaser", ["receiving_partner_admin", "coordinator", "site_admin"])
def test_release_in_the_ui_lets_the_user_sign_in_again(client_for, world, locked, password, releaser):
    client = client_for(releaser)
    assert list(client.get("/lockouts/").context["locked"]) == [locked]

    response = client.post(f"/lockouts/{locked.pk}/release/")

    assert response.status_code == 302
    assert response["Location"] == "/lockouts/"
    assert list(client.get("/lockouts/").context["locked"]) == []
    assert _can_sign_in(locked, password)
    event = AuditEvent.objects.get(action="unlocked")
    assert (event.actor, event.object_id, event.task_force) == (world.user(releaser), str(locked.pk), world.tf)


def test_lockout_and_release_are_both_in_the_audit_trail(client_for, locked):
    client_for("coordinator").post(f"/lockouts/{locked.pk}/release/")

    actions = list(AuditEvent.objects.filter(object_id=str(locked.pk)).order_by("id").values_list("action", flat=True))

    assert actions.count("login_failed") == 5
    assert actions.count("locked_out") == 1
    assert actions[-1] == "unlocked"


@pytest.mark.parametrize("outsider", ["foreign_coordinator", "foreign_partner_admin"])
def test_release_from_another_task_force_is_404_and_the_account_stays_locked(client_for, locked, password, outsider):
    client = client_for(outsider)
    assert list(client.get("/lockouts/").context["locked"]) == []

    response = client.post(f"/lockouts/{locked.pk}/release/")

    assert response.status_code == 404
    assert not _can_sign_in(locked, password)
    assert not AuditEvent.objects.filter(action="unlocked").exists()


@pytest.mark.parametrize("colleague", ["sending_partner_admin", "outsider_partner_admin"])
def test_admin_of_another_partner_is_refused_and_the_account_stays_locked(
    client_for, world, locked, password, colleague
):
    # Same task force, so the account exists for them (psn.access: a missing right is a 403, recorded),
    # but it is not their partner's account.
    client = client_for(colleague)
    assert list(client.get("/lockouts/").context["locked"]) == []

    response = client.post(f"/lockouts/{locked.pk}/release/")

    assert response.status_code == 403
    assert not _can_sign_in(locked, password)
    assert not AuditEvent.objects.filter(action="unlocked").exists()
    assert AuditEvent.objects.filter(action="permission_denied", actor=world.user(colleague)).exists()


@pytest.mark.parametrize("role", ["receiving_referral_staff", "sending_member"])
def test_users_without_the_right_cannot_open_or_release_lockouts(client_for, world, locked, password, role):
    client = client_for(role)

    assert client.get("/lockouts/").status_code == 403
    assert client.post(f"/lockouts/{locked.pk}/release/").status_code == 403
    assert not _can_sign_in(locked, password)
    assert AuditEvent.objects.filter(action="permission_denied", actor=world.user(role)).count() == 2


def test_release_of_an_account_that_is_not_locked_says_so_and_writes_no_event(client_for, world):
    client = client_for("receiving_partner_admin")

    response = client.post(f"/lockouts/{world.user('receiving_referral_staff').pk}/release/", follow=True)

    assert "was not locked" in response.content.decode()
    assert not AuditEvent.objects.filter(action="unlocked").exists()


def test_release_needs_a_post(client_for, locked, password):
    assert client_for("coordinator").get(f"/lockouts/{locked.pk}/release/").status_code == 405
    assert not _can_sign_in(locked, password)


def test_api_lists_and_releases_for_the_partner_admin(client_for, world, locked, password):
    client = client_for("receiving_partner_admin")

    listing = client.get("/api/v1/lockouts/")
    assert listing.status_code == 200
    assert [row["email"] for row in listing.json()["results"]] == [locked.email]

    response = client.post(f"/api/v1/lockouts/{locked.pk}/release/")

    assert response.status_code == 200
    assert response.json() == {"id": locked.pk, "email": locked.email, "was_locked": True}
    assert client.get("/api/v1/lockouts/").json()["results"] == []
    assert _can_sign_in(locked, password)
    assert AuditEvent.objects.filter(action="unlocked", actor=world.user("receiving_partner_admin")).count() == 1


def test_api_release_by_the_coordinator(client_for, locked, password):
    response = client_for("coordinator").post(f"/api/v1/lockouts/{locked.pk}/release/")

    assert response.status_code == 200
    assert _can_sign_in(locked, password)


@pytest.mark.parametrize(("outsider", "status"), [("sending_partner_admin", 403), ("foreign_coordinator", 404)])
def test_api_release_by_another_partner_or_task_force_is_refused(client_for, locked, password, outsider, status):
    client = client_for(outsider)

    assert client.get("/api/v1/lockouts/").json()["results"] == []
    response = client.post(f"/api/v1/lockouts/{locked.pk}/release/")

    assert response.status_code == status
    assert set(response.json()) == {"detail", "code"}
    assert not _can_sign_in(locked, password)


def test_api_list_is_403_for_a_member(client_for, locked):
    response = client_for("receiving_member").get("/api/v1/lockouts/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_api_release_with_the_session_needs_the_csrf_token(world, locked, password):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("coordinator"))

    response = client.post(f"/api/v1/lockouts/{locked.pk}/release/")

    assert response.status_code == 403
    assert not _can_sign_in(locked, password)


@pytest.mark.parametrize("pk", ["abc", "0", "99999999"])
def test_api_release_of_a_malformed_or_unknown_id_is_404(client_for, pk):
    assert client_for("coordinator").post(f"/api/v1/lockouts/{pk}/release/").status_code == 404
