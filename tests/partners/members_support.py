"""Helpers of the member and invitation tests: acting as a world user, inviting, reading the emailed link."""

from __future__ import annotations

import re

from partners import members
from psn import access

LINK = re.compile(r"https?://[^/\s]+/invitations/([A-Za-z0-9_-]+)/")


def actor_of(world, key: str) -> access.Actor:
    user = world.user(key)
    tf = world.other_tf if key.startswith("foreign") else world.tf
    return access.actor_for(user, remembered_id=tf.pk)


def token_in(message) -> str:
    """The secret of the link in an invitation email (text body; the HTML part carries the same link)."""
    found = LINK.findall(message.body)
    assert len(found) == 1, message.body
    html = message.alternatives[0][0]
    assert f"/invitations/{found[0]}/" in html
    return found[0]


class FakeRequest:
    """What the service needs of a request to build an absolute link."""

    META: dict = {}
    path = "/test/"

    def build_absolute_uri(self, path: str) -> str:
        return f"http://testserver{path}"


def make_inviter(capture_on_commit, outbox):
    """For an ``invite`` fixture: ``invite(world, "receiving_partner_admin", partner, "new@example.org", role)``
    invites through the service, runs the on-commit email and returns (invitation, token from the email)."""

    def make(world, by: str, partner, email: str, role: str = "member"):
        with capture_on_commit(execute=True):
            invitation = members.invitation_create(
                actor=actor_of(world, by), partner=partner, email=email, role=role, request=FakeRequest()
            )
        return invitation, token_in(outbox[-1])

    return make
