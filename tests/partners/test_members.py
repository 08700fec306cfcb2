"""The member pages of a partner: who sees them, inviting from them, changing roles, the last-admin rule,
deactivating (access goes at once: sessions and API tokens too when no membership is left), reactivating,
revoking invitations, the audit trail of each, and the list's pinned query count."""

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client

from accounts.models import ApiToken
from accounts.services import api_token_create
from partners import members
from partners.models import Invitation, Membership, Role
from psn.models import AuditEvent

from ..factories import MembershipFactory, UserFactory
from .members_support import actor_of, make_inviter


@pytest.fixture
def invite(django_capture_on_commit_callbacks, mailoutbox):
    return make_inviter(django_capture_on_commit_callbacks, mailoutbox)


def members_url(partner) -> str:
    return f"/directory/partners/{partner.pk}/members/"


def membership_of(world, key: str) -> Membership:
    return world.user(key).memberships.get()


def last_change(membership) -> AuditEvent:
    return AuditEvent.objects.filter(object_type="partners.membership", object_id=str(membership.pk)).latest("pk")


# --- The member list ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "status"),
    [
        ("receiving_partner_admin", 200),
        ("coordinator", 200),
        ("site_admin", 200),
        ("receiving_member", 403),
        ("receiving_referral_staff", 403),
        ("sending_partner_admin", 403),
        ("foreign_coordinator", 404),
    ],
)
def test_only_the_partners_admins_and_coordinators_see_its_member_page(client_for, world, key, status):
    assert client_for(key).get(members_url(world.receiving)).status_code == status


def test_the_page_shows_active_and_inactive_members_and_open_invitations(client_for, world, invite):
    invite(world, "receiving_partner_admin", world.receiving, "open@example.org", "referral_staff")
    revoked, _ = invite(world, "receiving_partner_admin", world.receiving, "withdrawn@example.org")
    members.invitation_revoke(actor=actor_of(world, "coordinator"), invitation=revoked)
    MembershipFactory(user=UserFactory(email="former@example.org"), partner=world.receiving, active=False)

    response = client_for("receiving_partner_admin").get(members_url(world.receiving))

    emails = [m.user.email for m in response.context["members"]]
    assert emails[-1] == "former@example.org"  # inactive ones last
    assert {"receiving.member@example.org", "withdrawn@example.org"} - set(emails) == {"withdrawn@example.org"}
    assert [i.email for i in response.context["invitations"]] == ["open@example.org"]
    html = response.content.decode()
    assert "Reactivate" in html
    assert "open@example.org" in html
    assert "withdrawn@example.org" not in html


def test_a_partner_admin_gets_no_buttons_for_a_coordinators_membership(client_for, world):
    MembershipFactory(user=UserFactory(email="boss@example.org"), partner=world.receiving, role=Role.COORDINATOR)

    admin_page = client_for("receiving_partner_admin").get(members_url(world.receiving)).content.decode()
    coordinator_page = client_for("coordinator").get(members_url(world.receiving)).content.decode()

    assert 'Change role<span class="visually-hidden"> of boss@example.org' not in admin_page
    assert 'Change role<span class="visually-hidden"> of boss@example.org' in coordinator_page


def _fill(world, count: int) -> None:
    for n in range(count):
        user = UserFactory(email=f"bulk{n}@{world.receiving.pk}.example.org")
        MembershipFactory(user=user, partner=world.receiving, role=Role.MEMBER, active=n % 3 != 0)
        Invitation.objects.create(
            partner=world.receiving,
            task_force=world.tf,
            email=f"invited{n}@example.org",
            role=Role.MEMBER,
            digest=f"{world.receiving.pk:08d}{n:056d}",
            invited_by=world.user("receiving_partner_admin"),
            expires_at=user.date_joined.replace(year=user.date_joined.year + 1),
        )


def test_the_member_list_takes_a_fixed_number_of_queries(client_for, world, django_assert_num_queries):
    client = client_for("receiving_partner_admin")
    _fill(world, 5)
    client.get(members_url(world.receiving))  # warm the session
    # 1 session, 2 user, 3 the actor's memberships, 4 the partner, 5 its members with their accounts,
    # 6 its open invitations with their inviters.
    with django_assert_num_queries(6):
        assert client.get(members_url(world.receiving)).status_code == 200
    for n in range(5, 45):
        user = UserFactory(email=f"more{n}@example.org")
        MembershipFactory(user=user, partner=world.receiving)
        Invitation.objects.create(
            partner=world.receiving,
            task_force=world.tf,
            email=f"more{n}@example.org",
            digest=f"f{n:063d}",
            invited_by=world.user("coordinator"),
            expires_at=user.date_joined.replace(year=user.date_joined.year + 1),
        )
    with django_assert_num_queries(6):
        response = client.get(members_url(world.receiving))
    assert len(response.context["members"]) > 45
    assert len(response.context["invitations"]) == 45


# --- Inviting from the page ---------------------------------------------------------------------------------


def test_inviting_from_the_page_sends_the_email(client_for, world, mailoutbox, django_capture_on_commit_callbacks):
    client = client_for("receiving_partner_admin")
    page = client.get(f"{members_url(world.receiving)}invite/")
    assert [value for value, _ in page.context["form"].fields["role"].choices] == [
        "member",
        "referral_staff",
        "partner_admin",
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{members_url(world.receiving)}invite/", {"email": "Page@Example.org", "role": "member"}
        )

    assert (response.status_code, response["Location"]) == (302, members_url(world.receiving))
    assert mailoutbox[0].to == ["page@example.org"]
    assert Invitation.objects.get().email == "page@example.org"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not an address", "role": "member"}, "email"),
        ({"email": "x@example.org", "role": "coordinator"}, "role"),  # not offered to a partner admin
        ({"email": "receiving.member@example.org", "role": "member"}, "email"),  # already a member
        ({}, "email"),
    ],
)
def test_a_bad_invitation_is_a_400_with_the_error_next_to_its_field(client_for, world, data, field):
    response = client_for("receiving_partner_admin").post(f"{members_url(world.receiving)}invite/", data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert Invitation.objects.count() == 0


def test_resending_from_the_list_revokes_the_earlier_link(client_for, world, invite):
    first, _ = invite(world, "receiving_partner_admin", world.receiving, "resend@example.org", "referral_staff")

    client_for("receiving_partner_admin").post(
        f"{members_url(world.receiving)}invite/", {"email": "resend@example.org", "role": "referral_staff"}
    )

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert Invitation.objects.filter(email="resend@example.org", revoked_at=None).count() == 1


def test_revoking_an_invitation_asks_first_then_revokes(client_for, world, invite):
    invitation, token = invite(world, "receiving_partner_admin", world.receiving, "revoke@example.org")
    client = client_for("receiving_partner_admin")
    url = f"/directory/invitations/{invitation.pk}/revoke/"

    assert client.get(url).status_code == 200
    invitation.refresh_from_db()
    assert invitation.revoked_at is None

    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_by == world.user("receiving_partner_admin")
    assert Client().get(f"/invitations/{token}/").status_code == 410
    assert client.post(url).status_code == 400  # already revoked: said so
    assert client_for("sending_partner_admin").post(url).status_code == 403
    assert client_for("foreign_coordinator").post(url).status_code == 404


# --- Roles and the last admin -------------------------------------------------------------------------------


def test_a_partner_admin_changes_a_members_role(client_for, world):
    membership = membership_of(world, "receiving_member")

    response = client_for("receiving_partner_admin").post(
        f"/directory/members/{membership.pk}/role/", {"role": "referral_staff"}
    )

    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "referral_staff"
    event = last_change(membership)
    assert (event.action, event.actor, event.changes) == (
        "changed",
        world.user("receiving_partner_admin"),
        {"role": ["member", "referral_staff"]},
    )


def test_the_role_ceiling_on_changes(client_for, world):
    member = membership_of(world, "receiving_member")
    boss = MembershipFactory(user=UserFactory(email="boss@example.org"), partner=world.receiving, role=Role.COORDINATOR)
    admin = client_for("receiving_partner_admin")

    assert admin.post(f"/directory/members/{member.pk}/role/", {"role": "coordinator"}).status_code == 400
    assert admin.get(f"/directory/members/{boss.pk}/role/").status_code == 403
    assert admin.post(f"/directory/members/{boss.pk}/role/", {"role": "member"}).status_code == 403
    assert admin.post(f"/directory/members/{boss.pk}/deactivate/").status_code == 403
    assert (
        client_for("receiving_member").post(f"/directory/members/{member.pk}/role/", {"role": "member"}).status_code
        == 403
    )
    assert (
        client_for("coordinator").post(f"/directory/members/{member.pk}/role/", {"role": "coordinator"}).status_code
        == 302
    )
    boss.refresh_from_db()
    member.refresh_from_db()
    assert (boss.role, boss.active, member.role) == ("coordinator", True, "coordinator")


def test_the_last_partner_admin_cannot_demote_or_deactivate_themselves(client_for, world):
    own = membership_of(world, "receiving_partner_admin")
    client = client_for("receiving_partner_admin")

    demote = client.post(f"/directory/members/{own.pk}/role/", {"role": "member"})
    deactivate = client.post(f"/directory/members/{own.pk}/deactivate/")

    assert demote.status_code == 400
    assert "last admin" in str(demote.context["form"].non_field_errors())
    assert deactivate.status_code == 400
    assert "last admin" in deactivate.content.decode()
    own.refresh_from_db()
    assert (own.role, own.active) == ("partner_admin", True)

    # With a second active admin it is fine; a coordinator may always.
    MembershipFactory(user=UserFactory(email="second.admin@example.org"), partner=world.receiving, role="partner_admin")
    assert client.post(f"/directory/members/{own.pk}/role/", {"role": "member"}).status_code == 302


def test_a_disabled_account_does_not_count_as_another_admin(world):
    MembershipFactory(
        user=UserFactory(email="disabled.admin@example.org", is_active=False),
        partner=world.receiving,
        role="partner_admin",
    )
    with pytest.raises(members.ValidationError):
        members.membership_deactivate(
            actor=actor_of(world, "receiving_partner_admin"), membership=membership_of(world, "receiving_partner_admin")
        )


# --- Deactivating takes access away at once -----------------------------------------------------------------


def _live(user):
    """A signed-in browser session (tracked like every sign-in) and a personal API token of ``user``."""
    client = Client()
    client.force_login(user)
    _, secret = api_token_create(user=user, name="script", expires_in_days=30)
    return client, {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_deactivating_the_last_membership_ends_sessions_and_revokes_tokens(client_for, world):
    person = world.user("receiving_referral_staff")
    session, bearer = _live(person)
    assert session.get("/directory/partners/").status_code == 200
    assert Client().get("/api/v1/memberships/", **bearer).status_code == 200
    # A session allauth does not track (force_login is Django's own): the session table is searched too.
    assert not UserSession.objects.filter(user=person).exists()
    membership = membership_of(world, "receiving_referral_staff")

    page = client_for("receiving_partner_admin").get(f"/directory/members/{membership.pk}/deactivate/")
    assert page.status_code == 200 and b"Deactivate" in page.content
    response = client_for("receiving_partner_admin").post(f"/directory/members/{membership.pk}/deactivate/")

    assert response.status_code == 302
    membership.refresh_from_db()
    assert (membership.active, membership.deactivated_at is not None) == (False, True)
    after = session.get("/directory/partners/")
    assert (after.status_code, after["Location"].split("?")[0]) == (302, "/accounts/login/")
    assert Client().get("/api/v1/memberships/", **bearer).status_code == 401
    assert not UserSession.objects.filter(user=person).exists()
    assert ApiToken.objects.get(user=person).revoked_at is not None
    deactivated = last_change(membership)
    assert (deactivated.actor, deactivated.changes) == (
        world.user("receiving_partner_admin"),
        {"active": ["True", "False"]},
    )
    signed_out = AuditEvent.objects.filter(
        object_type="accounts.user", object_id=str(person.pk), action="changed"
    ).get()
    assert signed_out.changes == {"sessions_ended": [None, "1"], "api_tokens_revoked": [None, "1"]}


def test_with_another_membership_left_only_that_partners_access_goes(client_for, world):
    person = UserFactory(email="two.hats@example.org")
    here = MembershipFactory(user=person, partner=world.receiving, role=Role.PARTNER_ADMIN)
    MembershipFactory(user=person, partner=world.outsider, role=Role.MEMBER)
    session, bearer = _live(person)
    api = Client()
    invitations = f"/api/v1/invitations/?partner={world.receiving.pk}"
    assert session.get(members_url(world.receiving)).status_code == 200
    assert api.get(invitations, **bearer).status_code == 200

    client_for("coordinator").post(f"/directory/members/{here.pk}/deactivate/")

    # The same session and token, next request: signed in still, but nothing of that partner's is theirs.
    assert session.get(members_url(world.receiving)).status_code == 403
    assert session.get("/directory/partners/").status_code == 200
    assert api.get(invitations, **bearer).status_code == 403
    assert api.get("/api/v1/me/", **bearer).status_code == 200
    assert ApiToken.objects.get(user=person).revoked_at is None


def test_reactivating_gives_access_back(client_for, world):
    membership = membership_of(world, "receiving_member")
    admin = client_for("receiving_partner_admin")
    admin.post(f"/directory/members/{membership.pk}/deactivate/")

    assert admin.get(f"/directory/members/{membership.pk}/reactivate/").status_code == 405
    assert admin.post(f"/directory/members/{membership.pk}/reactivate/").status_code == 302

    membership.refresh_from_db()
    assert (membership.active, membership.deactivated_at) == (True, None)
    assert last_change(membership).changes == {"active": ["False", "True"]}
    fresh = Client()
    fresh.force_login(world.user("receiving_member"))
    assert fresh.get("/directory/partners/").status_code == 200


def test_deactivating_twice_changes_nothing_more(world):
    membership = membership_of(world, "receiving_member")
    actor = actor_of(world, "coordinator")
    members.membership_deactivate(actor=actor, membership=membership)
    count = AuditEvent.objects.count()

    members.membership_deactivate(actor=actor, membership=membership)

    assert AuditEvent.objects.count() == count


def test_every_step_of_a_members_life_is_in_the_audit_trail(client_for, world, invite):
    invitation, token = invite(world, "receiving_partner_admin", world.receiving, "life@example.org")
    newcomer = Client()
    newcomer.post(
        f"/invitations/{token}/",
        {"full_name": "Liv Life", "password1": "a long new passphrase 42", "password2": "a long new passphrase 42"},
    )
    membership = Membership.objects.get(user__email="life@example.org")
    admin = client_for("receiving_partner_admin")
    admin.post(f"/directory/members/{membership.pk}/role/", {"role": "referral_staff"})
    admin.post(f"/directory/members/{membership.pk}/deactivate/")
    admin.post(f"/directory/members/{membership.pk}/reactivate/")

    trail = [
        (e.action, e.object_type, sorted(e.changes))
        for e in AuditEvent.objects.filter(task_force=world.tf).exclude(action="logged_in").order_by("pk")
    ]
    assert trail == [
        ("created", "partners.invitation", ["email", "expires_at", "role"]),
        ("created", "accounts.user", ["email", "invitation"]),
        ("created", "partners.membership", ["invitation", "role"]),
        ("changed", "partners.invitation", ["accepted"]),
        ("changed", "partners.membership", ["role"]),
        ("changed", "partners.membership", ["active"]),
        ("changed", "accounts.user", ["api_tokens_revoked", "sessions_ended"]),
        ("changed", "partners.membership", ["active"]),
    ]
    assert invitation.pk
