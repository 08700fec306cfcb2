"""Invitations: who may invite whom with which role, the emailed one-time link bound to the invited address,
accepting with a new or an existing account, and every way a link stops working (all answered alike)."""

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.middleware import MFA_OK
from partners import members
from partners.models import Invitation, Membership, Partner, Role
from psn.models import AuditEvent

from ..conftest import build_world
from ..factories import MembershipFactory, UserFactory
from .members_support import FakeRequest, actor_of, make_inviter

User = get_user_model()
NEW_PASSWORD = "a long new passphrase 42"


@pytest.fixture
def invite(django_capture_on_commit_callbacks, mailoutbox):
    return make_inviter(django_capture_on_commit_callbacks, mailoutbox)


def accept_url(token: str) -> str:
    return f"/invitations/{token}/"


def signup(client: Client, token: str, **overrides):
    data = {"full_name": "Nia New", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, **overrides}
    return client.post(accept_url(token), data)


def events(action: str, object_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_type=object_type).order_by("pk"))


# --- Inviting ---------------------------------------------------------------------------------------------


def test_a_partner_admin_invites_and_only_the_digest_of_the_emailed_secret_is_stored(world, invite, mailoutbox):
    invitation, token = invite(world, "receiving_partner_admin", world.receiving, "new.person@example.org", "member")

    invitation.refresh_from_db()
    assert invitation.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.values().get(pk=invitation.pk))
    assert invitation.task_force == world.tf
    assert invitation.invited_by == world.user("receiving_partner_admin")
    assert timedelta(days=7) - timedelta(minutes=1) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    [message] = mailoutbox
    assert message.to == ["new.person@example.org"]
    assert "Workforce Center" in message.subject
    assert f"http://testserver/invitations/{token}/" in message.body
    assert message.alternatives[0][1] == "text/html"
    [created] = events("created", "partners.invitation")
    assert created.actor == world.user("receiving_partner_admin")
    assert created.task_force == world.tf
    assert created.changes["role"] == [None, "member"]


def test_the_email_goes_only_once_the_invitation_is_committed(world, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        members.invitation_create(
            actor=actor_of(world, "coordinator"), partner=world.receiving, email="later@example.org", role="member"
        )
    assert mailoutbox == []
    assert len(callbacks) == 1


def test_the_link_lifetime_comes_from_the_setting(world, invite, settings):
    settings.PSN_INVITATION_DAYS = 2

    invitation, _ = invite(world, "coordinator", world.receiving, "short@example.org")

    assert timedelta(days=2) - timedelta(minutes=1) < invitation.expires_at - timezone.now() <= timedelta(days=2)


def test_the_address_is_normalised(world, invite):
    invitation, _ = invite(world, "coordinator", world.receiving, "  New.Person@Example.ORG ")

    assert invitation.email == "new.person@example.org"


@pytest.mark.parametrize("email", ["", "not an address", "a@b", "x" * 250 + "@example.org"])
def test_a_bad_address_is_refused_with_a_reason(world, email):
    with pytest.raises(ValidationError) as caught:
        members.invitation_create(
            actor=actor_of(world, "coordinator"), partner=world.receiving, email=email, role="member"
        )
    assert "email" in caught.value.message_dict
    assert Invitation.objects.count() == 0


def test_an_unknown_role_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        members.invitation_create(
            actor=actor_of(world, "coordinator"), partner=world.receiving, email="a@example.org", role="boss"
        )
    assert "role" in caught.value.message_dict


def test_nobody_is_invited_to_an_inactive_partner(world):
    world.receiving.active = False
    world.receiving.save()

    with pytest.raises(ValidationError, match="inactive"):
        members.invitation_create(
            actor=actor_of(world, "coordinator"), partner=world.receiving, email="a@example.org", role="member"
        )


def test_an_active_member_cannot_be_invited_again_but_a_former_one_can(world, invite):
    with pytest.raises(ValidationError) as caught:
        members.invitation_create(
            actor=actor_of(world, "coordinator"),
            partner=world.receiving,
            email="Receiving.Member@example.org",
            role="member",
        )
    assert "already an active member" in caught.value.message_dict["email"][0]

    Membership.objects.filter(user=world.user("receiving_member")).update(active=False)
    invitation, _ = invite(world, "coordinator", world.receiving, "receiving.member@example.org")
    assert invitation.pk


def test_inviting_again_revokes_the_earlier_link(world, invite, client):
    first, first_token = invite(world, "receiving_partner_admin", world.receiving, "again@example.org")
    _, second_token = invite(world, "receiving_partner_admin", world.receiving, "again@example.org", "referral_staff")

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert first.revoked_by == world.user("receiving_partner_admin")
    assert client.get(accept_url(first_token)).status_code == 410
    assert client.get(accept_url(second_token)).status_code == 200
    [revoked] = events("changed", "partners.invitation")
    assert (revoked.object_id, revoked.changes) == (str(first.pk), {"revoked": ["False", "True"]})


@pytest.mark.parametrize(
    ("inviter", "role", "allowed"),
    [
        ("receiving_partner_admin", Role.MEMBER, True),
        ("receiving_partner_admin", Role.REFERRAL_STAFF, True),
        ("receiving_partner_admin", Role.PARTNER_ADMIN, True),
        ("receiving_partner_admin", Role.COORDINATOR, False),
        ("coordinator", Role.COORDINATOR, True),
        ("coordinator", Role.PARTNER_ADMIN, True),
        ("site_admin", Role.COORDINATOR, True),
        ("receiving_member", Role.MEMBER, False),
        ("receiving_referral_staff", Role.MEMBER, False),
        ("sending_partner_admin", Role.MEMBER, False),  # admin of another partner
    ],
)
def test_the_role_ceiling(world, inviter, role, allowed):
    def create():
        return members.invitation_create(
            actor=actor_of(world, inviter), partner=world.receiving, email="ceiling@example.org", role=role
        )

    if allowed:
        assert create().role == role
    else:
        with pytest.raises(PermissionDenied):
            create()
        assert Invitation.objects.count() == 0


def test_a_foreign_coordinator_cannot_invite_to_a_partner_of_another_task_force(world):
    with pytest.raises(PermissionDenied):
        members.invitation_create(
            actor=actor_of(world, "foreign_coordinator"), partner=world.receiving, email="x@example.org", role="member"
        )


def test_revoking_twice_says_so_and_a_partner_admin_cannot_revoke_a_coordinator_invitation(world, invite):
    invitation, _ = invite(world, "receiving_partner_admin", world.receiving, "r@example.org")
    members.invitation_revoke(actor=actor_of(world, "receiving_partner_admin"), invitation=invitation)
    with pytest.raises(ValidationError):
        members.invitation_revoke(actor=actor_of(world, "receiving_partner_admin"), invitation=invitation)

    coordinator_invitation, _ = invite(world, "coordinator", world.receiving, "c@example.org", "coordinator")
    with pytest.raises(PermissionDenied):
        members.invitation_revoke(actor=actor_of(world, "receiving_partner_admin"), invitation=coordinator_invitation)
    coordinator_invitation.refresh_from_db()
    assert coordinator_invitation.revoked_at is None


# --- Accepting with a new account ---------------------------------------------------------------------------


def test_a_new_person_sets_name_and_password_and_lands_signed_in(world, invite, client):
    invitation, token = invite(world, "receiving_partner_admin", world.receiving, "nia@example.org", "referral_staff")

    page = client.get(accept_url(token))
    assert page.status_code == 200
    assert b'value="nia@example.org" readonly' in page.content
    assert b'name="email"' not in page.content  # shown, never posted: the address is the invitation's

    response = signup(client, token, email="someone.else@example.org")

    assert (response.status_code, response["Location"]) == (302, "/directory/services/")
    user = User.objects.get(email="nia@example.org")
    assert not User.objects.filter(email="someone.else@example.org").exists()
    assert user.full_name == "Nia New"
    assert user.check_password(NEW_PASSWORD)
    assert EmailAddress.objects.filter(user=user, email="nia@example.org", verified=True, primary=True).exists()
    membership = Membership.objects.get(user=user)
    assert (membership.partner, membership.role, membership.active) == (world.receiving, "referral_staff", True)
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.accepted_at is not None) == (user, True)
    # Signed in, in the invitation's task force.
    assert client.get("/directory/partners/").status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk
    assert [e.object_type for e in AuditEvent.objects.filter(actor=user).order_by("pk")] == [
        "accounts.user",  # created
        "partners.membership",  # created
        "partners.invitation",  # accepted
        "accounts.user",  # logged in
    ]
    assert AuditEvent.objects.get(actor=user, object_type="partners.invitation").changes == {
        "accepted": ["False", "True"]
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"password1": "short", "password2": "short"}, "password1", "too short"),
        ({"password1": "nia@example.org1", "password2": "nia@example.org1"}, "password1", "too similar"),
        ({"password2": "something else entirely"}, "password2", "differ"),
        ({"full_name": "   "}, "full_name", "required"),
    ],
)
def test_a_bad_signup_is_told_why_and_creates_nothing(world, invite, client, data, field, message):
    invitation, token = invite(world, "coordinator", world.receiving, "nia@example.org")

    response = signup(client, token, **data)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.filter(email="nia@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_with_mfa_required_the_new_account_is_sent_to_set_up_a_second_factor(world, invite, client, settings):
    settings.PSN_REQUIRE_MFA = True
    _, token = invite(world, "coordinator", world.receiving, "nia@example.org")

    signup(client, token)

    assert not client.session.get(MFA_OK)
    response = client.get("/directory/services/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/2fa/totp/activate/")


# --- Accepting with an existing account -------------------------------------------------------------------


def test_an_existing_account_must_sign_in_and_then_joins(world, invite, client):
    person = world.user("sending_member")
    invitation, token = invite(world, "receiving_partner_admin", world.receiving, person.email, "member")

    signed_out = client.get(accept_url(token))
    assert signed_out.status_code == 200
    assert f"/accounts/login/?next=/invitations/{token}/".encode() in signed_out.content
    assert (
        client.post(accept_url(token), {"full_name": "Intruder", "password1": "x", "password2": "x"}).status_code == 200
    )
    assert Membership.objects.filter(user=person).count() == 1
    assert not person.check_password("x")

    client.force_login(person)
    assert b"Join Workforce Center" in client.get(accept_url(token)).content
    response = client.post(accept_url(token))

    assert (response.status_code, response["Location"]) == (302, "/directory/services/")
    membership = Membership.objects.get(user=person, partner=world.receiving)
    assert (membership.role, membership.active) == ("member", True)
    invitation.refresh_from_db()
    assert invitation.accepted_by == person


def test_an_inactive_membership_is_reactivated_with_the_invited_role(world, invite, client):
    former = UserFactory(email="former@example.org")
    old = MembershipFactory(user=former, partner=world.receiving, role=Role.MEMBER, active=False)
    _, token = invite(world, "receiving_partner_admin", world.receiving, "former@example.org", "partner_admin")

    client.force_login(former)
    client.post(accept_url(token))

    old.refresh_from_db()
    assert (old.active, old.role, old.deactivated_at) == (True, "partner_admin", None)
    assert Membership.objects.filter(user=former).count() == 1
    change = AuditEvent.objects.get(action="changed", object_type="partners.membership", object_id=str(old.pk))
    assert change.changes["active"] == ["False", "True"]
    assert change.changes["role"] == ["member", "partner_admin"]


@pytest.mark.parametrize("invited", ["nia@example.org", "sending.member@example.org"])
def test_signed_in_as_another_account_the_link_is_refused_and_nothing_changes(world, invite, invited):
    invitation, token = invite(world, "coordinator", world.receiving, invited, "referral_staff")
    other = Client()
    other.force_login(world.user("outsider_member"))
    denials = AuditEvent.objects.filter(action="permission_denied").count()

    for response in (other.get(accept_url(token)), other.post(accept_url(token))):
        assert response.status_code == 403
        assert b"sent to another email address than the one you are signed in with" in response.content

    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not User.objects.filter(email="nia@example.org").exists()
    assert Membership.objects.filter(user=world.user("outsider_member")).count() == 1
    assert AuditEvent.objects.filter(action="permission_denied").count() == denials + 2
    with pytest.raises(PermissionDenied):
        members.invitation_accept(token=token, user=world.user("outsider_member"))


def test_the_service_refuses_a_new_account_for_an_address_that_has_one(world, invite):
    _, token = invite(world, "coordinator", world.receiving, "sending.member@example.org")

    with pytest.raises(ValidationError, match="sign in"):
        members.invitation_accept(token=token, full_name="X", password=NEW_PASSWORD)


# --- Links that do not work ---------------------------------------------------------------------------------


def _neutral(response, token: str) -> str:
    """The page without what differs per request: its CSRF token and its own address (the language form's)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return html.replace(token, "TOKEN")


def test_unknown_used_revoked_and_expired_links_all_get_the_same_page(world, invite, client):
    _, used = invite(world, "coordinator", world.receiving, "used@example.org")
    signup(Client(), used)
    revoked_invitation, revoked = invite(world, "coordinator", world.receiving, "revoked@example.org")
    members.invitation_revoke(actor=actor_of(world, "coordinator"), invitation=revoked_invitation)
    expired_invitation, expired = invite(world, "coordinator", world.receiving, "expired@example.org")
    Invitation.objects.filter(pk=expired_invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    unknown = "A" * 43

    tokens = (unknown, used, revoked, expired, "short", "a.b" * 20)
    pages = {token: client.get(accept_url(token)) for token in tokens}

    assert {page.status_code for page in pages.values()} == {410}
    assert len({_neutral(page, token) for token, page in pages.items()}) == 1
    assert "This invitation is not valid any more" in pages[unknown].content.decode()


def test_a_used_link_cannot_be_used_again(world, invite):
    _, token = invite(world, "coordinator", world.receiving, "once@example.org")
    assert signup(Client(), token).status_code == 302

    again = signup(Client(), token, full_name="Second")

    assert again.status_code == 410
    assert User.objects.get(email="once@example.org").full_name == "Nia New"


def test_an_expired_link_accepts_nothing(world, invite):
    invitation, token = invite(world, "coordinator", world.receiving, "late@example.org")
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert signup(Client(), token).status_code == 410
    assert not User.objects.filter(email="late@example.org").exists()
    with pytest.raises(members.InvitationNotValid):
        members.invitation_accept(token=token, full_name="X", password=NEW_PASSWORD)


def test_a_link_to_a_partner_deactivated_since_accepts_nothing(world, invite):
    invitation, token = invite(world, "coordinator", world.receiving, "closed@example.org")
    Partner.objects.filter(pk=world.receiving.pk).update(active=False)

    assert Client().get(accept_url(token)).status_code == 410
    assert signup(Client(), token).status_code == 410
    assert not User.objects.filter(email="closed@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- Two accepts at once ------------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("existing_account", [False, True])
def test_of_two_concurrent_accepts_exactly_one_wins(django_capture_on_commit_callbacks, mailoutbox, existing_account):
    world = build_world()
    email = "sending.member@example.org" if existing_account else "race@example.org"
    _, token = make_inviter(django_capture_on_commit_callbacks, mailoutbox)(
        world, "coordinator", world.receiving, email
    )
    user = world.user("sending_member") if existing_account else None
    start = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            start.wait()
            members.invitation_accept(
                token=token, user=user, full_name="Racer", password=NEW_PASSWORD, request=FakeRequest()
            )
            outcomes.append("accepted")
        except members.InvitationNotValid:
            outcomes.append("not valid")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["accepted", "not valid"]
    assert User.objects.filter(email=email).count() == 1
    assert Membership.objects.filter(user__email=email, partner=world.receiving).count() == 1
    assert AuditEvent.objects.filter(action="changed", object_type="partners.invitation").count() == 1


def test_the_plain_text_email_is_not_html_escaped(world, invite, mailoutbox):
    usao = world.user("coordinator").memberships.get().partner  # "U.S. Attorney's Office"

    invite(world, "coordinator", usao, "plain@example.org")

    [message] = mailoutbox
    assert "U.S. Attorney's Office" in message.subject
    assert "U.S. Attorney's Office" in message.body
    assert "U.S. Attorney&#x27;s Office" in message.alternatives[0][0]  # the HTML part is escaped
