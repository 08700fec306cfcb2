"""The private calendar feed: each user's meetings and open action items at an address that is its own credential
(``/calendar/<key_id>.<secret>.ics``, no login: calendar apps cannot sign in).

Only the secret's SHA-256 digest is stored (``accounts.CalendarFeedToken``); the address is shown once, when made.
Making a new one revokes the old; revoking leaves none. The feed carries nothing confidential (``meetings/ics.py``):
no agenda, no minutes, no names, a case review's kind instead of its title.
"""

from __future__ import annotations

import copy
import datetime
import hmac
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import CalendarFeedToken
from psn import access, audit

from . import ics
from .models import ActionItemStatus, Meeting

PAST_DAYS = 90
# <key_id>.<secret>: hex, then URL-safe base64; anything else names no token and is never queried.
TOKEN_SHAPE = re.compile(r"(?P<key_id>[0-9a-f]{12})\.(?P<secret>[A-Za-z0-9_-]{20,64})")


def feed_url(token: str) -> str:
    return settings.PSN_SITE_URL + reverse("calendar_feed:feed", kwargs={"token": token})


def calendar_feed_create(*, user, request=None) -> str:
    """Make the user's feed address (revoking the one they had) and return it: the only time it is shown."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        revoked = CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        token = CalendarFeedToken(user=user, key_id=key_id, digest=CalendarFeedToken.digest_for(secret))
        token.save()
        audit.record(
            action=audit.AuditAction.CREATED,
            actor=user,
            obj=token,
            changes={"revoked_previous": revoked},
            request=request,
        )
    return feed_url(f"{key_id}.{secret}")


def calendar_feed_revoke(*, user, request=None) -> int:
    """Revoke the user's feed address; returns how many were revoked (0 when there was none)."""
    with transaction.atomic():
        tokens = list(CalendarFeedToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True))
        now = timezone.now()
        for token in tokens:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            audit.record(
                action=audit.AuditAction.CHANGED,
                actor=user,
                obj=token,
                changes={"revoked": [False, True]},
                request=request,
            )
    return len(tokens)


def calendar_feed_current(*, user) -> CalendarFeedToken | None:
    """The user's usable feed token (its address cannot be shown again: only that it exists, and its use)."""
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).first()


def key_id_of(token: str) -> str | None:
    match = TOKEN_SHAPE.fullmatch(token or "")
    return match["key_id"] if match else None


def calendar_feed_for_token(token: str) -> CalendarFeedToken | None:
    """The usable feed token the address names, or None (malformed, unknown, wrong secret, revoked, or its user
    deactivated). The secret is compared by digest in constant time."""
    match = TOKEN_SHAPE.fullmatch(token or "")
    if match is None:
        return None
    found = CalendarFeedToken.objects.select_related("user").filter(key_id=match["key_id"]).first()
    if found is None or found.revoked_at is not None or not found.user.is_active:
        return None
    if not hmac.compare_digest(CalendarFeedToken.digest_for(match["secret"]), found.digest):
        return None
    return found


def calendar_feed_used(*, token: CalendarFeedToken, request=None) -> None:
    """Record one read of the feed: last use on the token, a "viewed" event on the user (never the secret)."""
    now = timezone.now()
    CalendarFeedToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    if request is not None:
        # The trail keeps the client's address and agent, and the path without the secret in it.
        request = copy.copy(request)
        request.path = reverse("calendar_feed:feed", kwargs={"token": f"{token.key_id}.redacted"})
    audit.record(
        action=audit.AuditAction.VIEWED,
        actor=token.user,
        obj=token.user,
        object_repr=f"calendar feed {token.key_id}",
        changes={"calendar_feed": token.key_id},
        request=request,
    )


def _actors_of(user) -> list[access.Actor]:
    """One actor per task force the user is an active member of (the feed spans all of them)."""
    by_tf: dict[int, list] = {}
    for membership in access.active_memberships(user).select_related("task_force", "partner"):
        by_tf.setdefault(membership.task_force_id, []).append(membership)
    return [
        access.Actor(user=user, task_force=memberships[0].task_force, memberships=tuple(memberships))
        for memberships in by_tf.values()
    ]


def feed_items_for(user, *, now: datetime.datetime | None = None) -> tuple[list[Meeting], list]:
    """The feed's selector: the meetings the user is invited to (personally, or as an active member of an invited
    partner; coordinators too see only theirs here) from 90 days back to the planning horizon, cancelled ones
    included, and their own open action items, across their task forces."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=PAST_DAYS)
    until = now + datetime.timedelta(days=getattr(settings, "PSN_MEETING_HORIZON_DAYS", 365))
    meetings: list[Meeting] = []
    items: list = []
    for actor in _actors_of(user):
        meetings += access.meetings_visible_to(actor).filter(actor_invited=True, start__gte=since, start__lte=until)
        items += (
            access.action_items_visible_to(actor)
            .filter(owner=user, status=ActionItemStatus.OPEN)
            .select_related("meeting")
            .order_by("due_date", "pk")
        )
    meetings.sort(key=lambda m: (m.start, m.pk))
    return meetings, items


def feed_calendar(user, *, now: datetime.datetime | None = None) -> bytes:
    """The feed's .ics (METHOD:PUBLISH)."""
    meetings, items = feed_items_for(user, now=now)
    return ics.feed_ics(meetings=meetings, action_items=items, name="PSN Hub", now=now)
