"""Access rows: a partner's member pages, invitations (pages, API, the emailed link) and membership changes.

Partner admins manage their own partner's members, coordinators (and site admins) every partner's of their
task force. An inactive membership is visible to nobody else (404, as in the main table). The invitation
link works signed out; signed in as anyone but the invited address it is refused (403)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from partners.models import Invitation, Membership, Role

from . import GET, LOGIN, PATCH, PICK, POST, Redirect, Target, pk_of

OPEN_LINK_SECRET = "matrix-open-invitation-secret-0123456789abc"
DEAD_LINK_SECRET = "matrix-unknown-invitation-secret-0123456789"


class _MemberPage(str):
    """The member page of a partner whose id is only known once the world is built: equal to any such path
    (a ``str`` subclass, so ``"/directory/partners/7/members/" == MEMBERS.to`` asks this first)."""

    PATTERN = re.compile(r"/directory/partners/\d+/members/")

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and self.PATTERN.fullmatch(other) is not None

    __hash__ = str.__hash__


MEMBERS = Redirect(_MemberPage("/directory/partners/<id>/members/"))
DIRECTORY = Redirect("/directory/services/")
SIGNUP = {
    "full_name": "Matrix Newcomer",
    "password1": "a long new passphrase 42",
    "password2": "a long new passphrase 42",
}
INVITE = {"email": "matrix.invitee@example.org", "role": "member"}

# fmt: off
ROWS: dict = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("members:member_list", "own_partner"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("members:member_list", "other_task_force_partner"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("members:invitation_create", "own_partner"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("members:invitation_create", "own_partner", data=INVITE):
        (LOGIN,  403,    403,    MEMBERS, 403,   403,    403,    MEMBERS, 404,   MEMBERS, LOGIN, PICK,   403),
    POST("members:invitation_create", "other_task_force_partner", data=INVITE):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    MEMBERS, 404,   LOGIN,  PICK,   404),
    GET("members:membership_role", "own_partner_membership"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("members:membership_role", "own_partner_membership", data={"role": "member"}):
        (LOGIN,  403,    403,    MEMBERS, 403,   403,    403,    MEMBERS, 404,   MEMBERS, LOGIN, PICK,   403),
    POST("members:membership_role", "other_task_force_membership", data={"role": "member"}):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    MEMBERS, 404,   LOGIN,  PICK,   404),
    GET("members:membership_deactivate", "own_partner_membership"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("members:membership_deactivate", "own_partner_membership"):
        (LOGIN,  403,    403,    MEMBERS, 403,   403,    403,    MEMBERS, 404,   MEMBERS, LOGIN, PICK,   403),
    POST("members:membership_deactivate", "other_task_force_membership"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    MEMBERS, 404,   LOGIN,  PICK,   404),
    POST("members:membership_reactivate", "inactive_own_membership"):
        (LOGIN,  404,    404,    MEMBERS, 404,   404,    404,    MEMBERS, 404,   MEMBERS, LOGIN, PICK,   404),
    GET("members:invitation_revoke", "own_invitation"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("members:invitation_revoke", "own_invitation"):
        (LOGIN,  403,    403,    MEMBERS, 403,   403,    403,    MEMBERS, 404,   MEMBERS, LOGIN, PICK,   403),
    POST("members:invitation_revoke", "other_task_force_invitation"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    MEMBERS, 404,   LOGIN,  PICK,   404),
    # The emailed link: the same 410 for every dead link; an open one asks who you are.
    GET("members:invitation_accept", "dead_invitation_link"):
        (410,    410,    410,    410,    410,    410,    410,    410,    410,    410,    410,    410,    410),
    GET("members:invitation_accept", "open_invitation_link"):
        (200,    403,    403,    403,    403,    403,    403,    403,    403,    403,    200,    403,    403),
    POST("members:invitation_accept", "open_invitation_link", data=SIGNUP):
        (DIRECTORY, 403, 403,    403,    403,    403,    403,    403,    403,    403,    DIRECTORY, 403,    403),
    # API
    PATCH("membership-detail", "own_partner_membership", data={"role": "member"}):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    PATCH("membership-detail", "other_task_force_membership", data={"role": "member"}):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("membership-deactivate", "own_partner_membership"):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    POST("membership-reactivate", "inactive_own_membership"):
        (401,    404,    404,    200,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    GET("invitation-list"):
        (401,    403,    403,    200,    403,    403,    200,    200,    200,    200,    401,    403,    403),
    # The partner's id is not known here: a well-formed body naming no partner is the 400 after the right.
    POST("invitation-list", data={"partner": 2**62, "email": "matrix.api@example.org", "role": "member"}):
        (401,    403,    403,    400,    403,    403,    400,    400,    400,    400,    401,    403,    403),
    GET("invitation-detail", "own_invitation"):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("invitation-detail", "other_task_force_invitation"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("invitation-revoke", "own_invitation"):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "own_invitation": Target(pk_of("own_invitation"), "wdt"),
    "other_task_force_invitation": Target(pk_of("other_task_force_invitation"), "edt"),
    "open_invitation_link": Target(lambda mw, user: {"token": OPEN_LINK_SECRET}, None),
    "dead_invitation_link": Target(lambda mw, user: {"token": DEAD_LINK_SECRET}, None),
}


def _invitation(partner, email: str, secret: str, inviter) -> Invitation:
    return Invitation.objects.create(
        partner=partner,
        task_force=partner.task_force,
        email=email,
        role=Role.MEMBER,
        digest=hashlib.sha256(secret.encode()).hexdigest(),
        invited_by=inviter,
        expires_at=timezone.now() + timedelta(days=7),
    )


def build_objects(world) -> dict:
    coordinator = world.user("coordinator")
    _invitation(world.receiving, "matrix.newcomer@example.org", OPEN_LINK_SECRET, coordinator)
    return {
        "own_invitation": _invitation(world.receiving, "matrix.own@example.org", "own-" + "x" * 40, coordinator),
        "other_task_force_invitation": _invitation(
            world.foreign, "matrix.foreign@example.org", "foreign-" + "x" * 40, world.user("foreign_coordinator")
        ),
    }


COUNTS = {
    "invitations": lambda: Invitation.objects.count(),
    "open invitations": lambda: Invitation.objects.filter(accepted_at=None, revoked_at=None).count(),
    "active memberships": lambda: Membership.objects.filter(active=True).count(),
    "membership roles": lambda: Membership.objects.filter(role=Role.MEMBER).count(),
    "users": lambda: get_user_model().objects.count(),
}
