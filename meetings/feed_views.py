"""The calendar feed (no login: the address is the credential) and the profile page's "Calendar feed" section."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import CalendarFeedToken

from . import feed

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _window() -> int:
    return settings.PSN_CALENDAR_FEED_RATE_WINDOW_SECONDS


def _count(key: str) -> int:
    """One more hit on ``key`` in the current fixed window (shared by every process through the cache)."""
    window = _window()
    bucket = f"calendar-feed:{key}:{int(time.time() // window)}"
    cache.add(bucket, 0, timeout=window + 5)
    try:
        return cache.incr(bucket)
    except ValueError:  # the bucket expired between add and incr: this hit starts the new window
        cache.add(bucket, 1, timeout=window + 5)
        return 1


def _peek(key: str) -> int:
    return cache.get(f"calendar-feed:{key}:{int(time.time() // _window())}", 0)


def _too_many() -> HttpResponse:
    window = _window()
    response = HttpResponse(_("Too many requests for this calendar feed."), status=429, content_type="text/plain")
    response["Retry-After"] = str(max(1, math.ceil(window - time.time() % window)))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def calendar_feed(request, token: str):
    """The user's .ics: rate limited per client address (all reads, and failed ones more tightly) and per feed;
    every successful read is audited. An unknown or revoked address is a 404 like any other."""
    ip = get_client_ip_address(request) or "unknown"
    if _peek(f"fail:{ip}") >= settings.PSN_CALENDAR_FEED_FAILED_IP_RATE:
        return _too_many()
    if _count(f"ip:{ip}") > settings.PSN_CALENDAR_FEED_IP_RATE:
        return _too_many()
    found = feed.calendar_feed_for_token(token)
    if found is None:
        _count(f"fail:{ip}")
        raise Http404("No such calendar feed.")
    if _count(f"token:{found.key_id}") > settings.PSN_CALENDAR_FEED_TOKEN_RATE:
        return _too_many()
    body = feed.feed_calendar(found.user)
    feed.calendar_feed_used(token=found, request=request)
    etag = f'"{body.etag}"'
    # A calendar app that sends the tag of the copy it has gets "not modified" when nothing changed.
    unchanged = etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    response = HttpResponse(status=304) if unchanged else HttpResponse(body.content, content_type=CONTENT_TYPE)
    response["ETag"] = etag
    if not unchanged:
        response["Content-Disposition"] = 'inline; filename="psn-hub.ics"'
    # Nothing between here and the calendar app keeps it (the address is a credential); the tag is for apps that
    # keep their copy anyway and ask whether it changed.
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass
class CalendarFeedSection:
    """What the profile page shows of the feed: the usable token (never its address again), and the address just
    made (shown this once)."""

    token: CalendarFeedToken | None
    new_url: str | None = None
    posted: bool = False


def calendar_feed_section(request) -> CalendarFeedSection:
    """Handle the profile page's feed buttons (POST ``calendar_feed=generate|revoke``) and say what to show.
    ``posted`` tells the profile view the POST was this section's."""
    action = request.POST.get("calendar_feed") if request.method == "POST" else None
    new_url = None
    if action == "generate":
        new_url = feed.calendar_feed_create(user=request.user, request=request)
        messages.success(request, _("Your calendar feed address is ready. Copy it now: it is not shown again."))
    elif action == "revoke":
        if feed.calendar_feed_revoke(user=request.user, request=request):
            messages.success(request, _("Your calendar feed address no longer works."))
        else:
            messages.info(request, _("You had no calendar feed address."))
    return CalendarFeedSection(
        token=feed.calendar_feed_current(user=request.user), new_url=new_url, posted=action is not None
    )
