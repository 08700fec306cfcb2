"""The private calendar feed: each user's meetings and open action items at an address that is its own credential
(``/calendar/<key_id>.<secret>.ics``, no login: calendar apps cannot sign in).

Only the secret's SHA-256 digest is stored (``accounts.CalendarFeedToken``); the address is shown once, when made.
Making a new one revokes the old; revoking leaves none. The feed carries nothing confidential (``meetings/ics.py``):
no agenda, no minutes, no names, a case review's kind instead of its title.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import CalendarFeedToken
from psn import access, audit

from . import ics
from .models import ActionItemStatus, Meeting

PAST_DAYS = 90
# What the feed shows of a meeting (``ics._meeting_event``, ``_fingerprint``): not the agenda or the minutes.
FEED_MEETING_FIELDS = ("id", "task_force_id", "uid", "sequence", "start", "end", "timezone", "kind", "title", "place",
                       "video_link", "status")  # fmt: skip
# A rendered feed is kept this long under its user and the fingerprint of what it shows (``feed_calendar``).
FEED_CACHE_SECONDS = 3600
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


ITEM_FIELDS = ("id", "due_date", "text", "meeting_id", "meeting__kind", "meeting__title")


def _feed_querysets(user, now: datetime.datetime | None, actors=None) -> list[tuple[QuerySet, QuerySet]]:
    """The feed's selection, per task force of the user (``actors``, when read already): (meetings, action items),
    not yet read."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=PAST_DAYS)
    until = now + datetime.timedelta(days=getattr(settings, "PSN_MEETING_HORIZON_DAYS", 365))
    return [
        (
            access.meetings_visible_to(actor).filter(actor_invited=True, start__gte=since, start__lte=until),
            access.action_items_visible_to(actor)
            .filter(owner=user, status=ActionItemStatus.OPEN)
            .order_by("due_date", "pk"),
        )
        for actor in (actors if actors is not None else _actors_of(user))
    ]


def feed_items_for(user, *, now: datetime.datetime | None = None, actors=None) -> tuple[list[Meeting], list]:
    """The feed's selector: the meetings the user is invited to (personally, or as an active member of an invited
    partner; coordinators too see only theirs here) from 90 days back to the planning horizon, cancelled ones
    included, and their own open action items, across their task forces."""
    meetings: list[Meeting] = []
    items: list = []
    for meeting_qs, item_qs in _feed_querysets(user, now, actors):
        meetings += meeting_qs.only(*FEED_MEETING_FIELDS)
        items += item_qs.select_related("meeting").only(
            "id", "due_date", "text", "meeting_id", *(f"meeting__{name}" for name in FEED_MEETING_FIELDS)
        )
    meetings.sort(key=lambda m: (m.start, m.pk))
    return meetings, items


@dataclass(frozen=True)
class FeedBody:
    content: bytes
    etag: str  # the fingerprint of what the feed shows: the same text has the same tag


def _fingerprint(user, now: datetime.datetime | None, actors) -> str:
    """A digest of every value the feed's text is drawn from (``ics.feed_ics``: the ``FEED_MEETING_FIELDS`` of the
    meetings, the ``ITEM_FIELDS`` of the items), and of the settings and language it is written with: any change to
    a meeting or an item the user sees, one more or one fewer, gives a new one. Read as plain values (no model
    instances: a coordinator's year of meetings costs a third of what reading them as meetings does)."""
    meetings: list = []
    items: list = []
    for meeting_qs, item_qs in _feed_querysets(user, now, actors):
        meetings += meeting_qs.values_list(*FEED_MEETING_FIELDS)
        items += item_qs.values_list(*ITEM_FIELDS)
    start = FEED_MEETING_FIELDS.index("start")
    meetings.sort(key=lambda row: (row[start], row[0]))
    parts = [translation.get_language() or "", settings.PSN_SITE_URL, settings.DEFAULT_FROM_EMAIL, meetings, items]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


def feed_calendar(user, *, now: datetime.datetime | None = None) -> FeedBody:
    """The feed's .ics (METHOD:PUBLISH). Writing the text costs far more than reading the rows (a coordinator's year
    of meetings: ~140 ms against ~40 ms), and calendar apps poll it unchanged every hour: the text is kept in the
    cache under the user and the fingerprint of its content (never shared between users, never stale: a change
    makes a new fingerprint), and the meetings are read as models only to write a new text. ``now`` (tests) writes
    a fresh text stamped with it."""
    actors = _actors_of(user)
    etag = _fingerprint(user, now, actors)
    key = f"calendar-feed-body:{user.pk}:{etag}"
    content = cache.get(key) if now is None else None
    if content is None:
        meetings, items = feed_items_for(user, now=now, actors=actors)
        content = ics.feed_ics(meetings=meetings, action_items=items, name="PSN Hub", now=now)
        if now is None:
            cache.set(key, content, FEED_CACHE_SECONDS)
    return FeedBody(content, etag)
