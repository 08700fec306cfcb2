"""Access rows: meetings (pages, API) and the calendar feed.

``own`` is the receiving partner: it is invited to the target meetings (a working group in three days, one held
yesterday, and a case review held yesterday whose minutes only its invitees read); ``other``, the sending partner,
is not, so for them the meetings do not exist (404). Coordinators see every meeting of the task force and manage
them, except the case review's minutes and action items (they are not invited to it); site admins act as
coordinators. Members who see a meeting but may not manage it get a 403. The other task force's meeting and item
are a 404 for everyone acting here.

The calendar feed needs no login: the address is the credential, so every column reads a valid one (200) and
nobody a revoked one (404). Only a signed-in session makes a feed address through the API (tokens are tested in
tests/meetings/test_api_action_items.py)."""

from __future__ import annotations

import datetime
import re

from django.utils import timezone

from accounts.models import CalendarFeedToken
from meetings import feed, services
from meetings.models import ActionItem, Meeting, MeetingKind, MeetingStatus
from psn.access import actor_for

from . import DELETE, GET, LOGIN, PATCH, PICK, POST, PUT, Redirect, Target, pk_of

NOWHERE = 2**62
NEW_MEETING = {
    "kind": "working_group",
    "title": "Matrix meeting",
    "start": "2030-01-08T10:00:00-06:00",
    "end": "2030-01-08T11:00:00-06:00",
}
NEW_ITEM = {"meeting": NOWHERE, "text": "Matrix item", "owner": NOWHERE, "due_date": "2030-01-01"}
SETTINGS = {"meeting_hours": [24, 1], "action_due_days": 2, "action_overdue": True, "action_hour": 9}
ITEMS = Redirect("/meetings/action-items/")


class _MeetingPage(str):
    """A meeting's page (perhaps at one of its sections), whose id is only known once the world is built."""

    PATTERN = re.compile(r"/meetings/\d+/(#[a-z-]+)?")

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and self.PATTERN.fullmatch(other) is not None

    __hash__ = str.__hash__


MEETING = Redirect(_MeetingPage("/meetings/<id>/"))


# fmt: off
ROWS: dict = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    # --- API ---
    GET("meeting-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    POST("meeting-list", data=NEW_MEETING):
        (401,    403,    403,    403,    403,    403,    403,    201,    201,    201,    401,    403,    403),
    GET("meeting-detail", "mtg_meeting"):
        (401,    200,    200,    200,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    GET("meeting-detail", "mtg_review"):
        (401,    200,    200,    200,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    GET("meeting-detail", "mtg_foreign"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    PATCH("meeting-detail", "mtg_meeting", data={"place": "Matrix room"}):
        (401,    403,    403,    403,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    PATCH("meeting-detail", "mtg_foreign", data={"place": "Matrix room"}):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("meeting-cancel", "mtg_meeting", data={"reason": "Matrix"}):
        (401,    403,    403,    403,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    POST("meeting-cancel", "mtg_foreign"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("meeting-held", "mtg_past"):
        (401,    403,    403,    403,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    PUT("meeting-minutes", "mtg_past", data={"minutes": "Matrix minutes"}):
        (401,    403,    403,    403,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    POST("meeting-minutes", "mtg_review", data={"minutes": "Matrix minutes"}):
        (401,    403,    403,    403,    404,    404,    404,    403,    404,    403,    401,    403,    404),
    POST("meeting-attendance", "mtg_past", data={"people": {}}):
        (401,    403,    403,    403,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    POST("meeting-invitees", "mtg_meeting", data={"user": NOWHERE}):
        (401,    403,    403,    403,    404,    404,    404,    400,    404,    400,    401,    403,    404),
    GET("meeting-ics", "mtg_meeting"):
        (401,    200,    200,    200,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    GET("action-item-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    POST("action-item-list", data=NEW_ITEM):
        (401,    403,    403,    403,    403,    403,    403,    400,    400,    400,    401,    403,    403),
    GET("action-item-detail", "mtg_item"):
        (401,    200,    200,    200,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    GET("action-item-detail", "mtg_review_item"):
        (401,    200,    200,    200,    404,    404,    404,    404,    404,    404,    401,    403,    404),
    GET("action-item-detail", "mtg_foreign_item"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    PATCH("action-item-detail", "mtg_item", data={"text": "Matrix text"}):
        (401,    403,    403,    403,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    POST("action-item-done", "mtg_item"):
        (401,    200,    403,    403,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    POST("action-item-reopen", "mtg_item"):
        (401,    200,    403,    403,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    POST("action-item-done", "mtg_foreign_item"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("reminder-settings"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    PUT("reminder-settings", data=SETTINGS):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    POST("calendar-feed"):
        (401,    201,    201,    201,    201,    201,    201,    201,    201,    201,    401,    201,    201),
    DELETE("calendar-feed"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
    # --- pages ---
    GET("meetings:meeting_list"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK,   200),
    GET("meetings:meeting_create"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("meetings:meeting_create", data={}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    400,    400,    LOGIN,  PICK,   403),
    GET("meetings:meeting_detail", "mtg_meeting"):
        (LOGIN,  200,    200,    200,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("meetings:meeting_detail", "mtg_review"):
        (LOGIN,  200,    200,    200,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("meetings:meeting_detail", "mtg_foreign"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("meetings:meeting_edit", "mtg_meeting"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    POST("meetings:meeting_edit", "mtg_meeting", data={}):
        (LOGIN,  403,    403,    403,    404,    404,    404,    400,    404,    400,    LOGIN,  PICK,   404),
    GET("meetings:meeting_edit", "mtg_foreign"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("meetings:meeting_cancel", "mtg_meeting"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    POST("meetings:meeting_cancel", "mtg_meeting", data={"reason": "Matrix"}):
        (LOGIN,  403,    403,    403,    404,    404,    404,    MEETING, 404,   MEETING, LOGIN,  PICK,   404),
    POST("meetings:meeting_held", "mtg_past"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    MEETING, 404,   MEETING, LOGIN,  PICK,   404),
    GET("meetings:meeting_minutes", "mtg_past"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("meetings:meeting_minutes", "mtg_review"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("meetings:meeting_minutes", "mtg_past", data={"minutes": "Matrix minutes"}):
        (LOGIN,  403,    403,    403,    404,    404,    404,    MEETING, 404,   MEETING, LOGIN,  PICK,   404),
    GET("meetings:meeting_attendance", "mtg_past"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    POST("meetings:meeting_attendance", "mtg_past", data={}):
        (LOGIN,  403,    403,    403,    404,    404,    404,    MEETING, 404,   MEETING, LOGIN,  PICK,   404),
    GET("meetings:action_item_create", "mtg_meeting"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("meetings:action_item_create", "mtg_review"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("meetings:action_item_create", "mtg_meeting", data={}):
        (LOGIN,  403,    403,    403,    404,    404,    404,    400,    404,    400,    LOGIN,  PICK,   404),
    GET("meetings:action_item_list"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK,   200),
    GET("meetings:action_item_edit", "mtg_item_page"):
        (LOGIN,  403,    403,    403,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    POST("meetings:action_item_edit", "mtg_item_page", data={}):
        (LOGIN,  403,    403,    403,    404,    404,    404,    400,    404,    400,    LOGIN,  PICK,   404),
    POST("meetings:action_item_status", "mtg_item_page", data={"action": "done"}):
        (LOGIN,  ITEMS,  403,    403,    404,    404,    404,    ITEMS,  404,    ITEMS,  LOGIN,  PICK,   404),
    POST("meetings:action_item_status", "mtg_foreign_item_page", data={"action": "done"}):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    ITEMS,  404,    LOGIN,  PICK,   404),
    GET("meetings:reminder_settings"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("meetings:reminder_settings", data={}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    400,    400,    LOGIN,  PICK,   403),
    # --- the calendar feed: no login ---
    GET("calendar_feed:feed", "mtg_feed"):
        (200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200),
    GET("calendar_feed:feed", "mtg_revoked_feed"):
        (404,    404,    404,    404,    404,    404,    404,    404,    404,    404,    404,    404,    404),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "mtg_meeting": Target(pk_of("mtg_meeting"), "wdt"),
    "mtg_past": Target(pk_of("mtg_past"), "wdt"),
    "mtg_review": Target(pk_of("mtg_review"), "wdt"),
    "mtg_foreign": Target(pk_of("mtg_foreign"), "edt"),
    "mtg_item": Target(pk_of("mtg_item"), "wdt"),
    "mtg_review_item": Target(pk_of("mtg_review_item"), "wdt"),
    "mtg_foreign_item": Target(pk_of("mtg_foreign_item"), "edt"),
    "mtg_item_page": Target(lambda mw, user: {"item_pk": mw.objects["mtg_item"].pk}, "wdt"),
    "mtg_foreign_item_page": Target(lambda mw, user: {"item_pk": mw.objects["mtg_foreign_item"].pk}, "edt"),
    "mtg_feed": Target(lambda mw, user: {"token": mw.objects["mtg_feed"]}, None),
    "mtg_revoked_feed": Target(lambda mw, user: {"token": mw.objects["mtg_revoked_feed"]}, None),
}


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1].removesuffix(".ics")


def build_objects(world) -> dict:
    coordinator = actor_for(world.user("coordinator"), requested_slug=world.tf.slug)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)

    def schedule(kind, start, **kwargs):
        return services.meeting_schedule(
            actor=coordinator,
            kind=kind,
            title=f"Matrix {kind}",
            start=start,
            end=start + datetime.timedelta(hours=1),
            partners=[world.receiving],
            **kwargs,
        )

    meeting = schedule(MeetingKind.WORKING_GROUP, now + datetime.timedelta(days=3))
    past = schedule(MeetingKind.TASK_FORCE, now - datetime.timedelta(days=1))
    review = schedule(MeetingKind.CASE_REVIEW, now - datetime.timedelta(days=1, hours=3))
    Meeting.objects.filter(pk=review.pk).update(status=MeetingStatus.HELD, minutes="R-MATRIX-1: housed.")
    item = services.action_item_add(
        actor=coordinator,
        meeting=meeting,
        text="Matrix item",
        owner=world.user("receiving_member"),
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    # The coordinator is no invitee of the case review: its item is made as the row a service would write.
    review_item = ActionItem.objects.create(
        task_force=world.tf,
        meeting=review,
        text="R-MATRIX-1: follow up",
        owner=world.user("receiving_referral_staff"),
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    foreign_coordinator = actor_for(world.user("foreign_coordinator"), requested_slug=world.other_tf.slug)
    start = now + datetime.timedelta(days=4)
    foreign = services.meeting_schedule(
        actor=foreign_coordinator,
        kind=MeetingKind.WORKING_GROUP,
        title="Matrix elsewhere",
        start=start,
        end=start + datetime.timedelta(hours=1),
        partners=[world.foreign],
    )
    foreign_item = services.action_item_add(
        actor=foreign_coordinator,
        meeting=foreign,
        text="Matrix elsewhere",
        owner=world.user("foreign_member"),
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    revoked = _token(feed.calendar_feed_create(user=world.user("sending_member")))
    feed.calendar_feed_revoke(user=world.user("sending_member"))
    return {
        "mtg_meeting": meeting,
        "mtg_past": past,
        "mtg_review": review,
        "mtg_foreign": foreign,
        "mtg_item": item,
        "mtg_review_item": review_item,
        "mtg_foreign_item": foreign_item,
        "mtg_feed": _token(feed.calendar_feed_create(user=world.user("receiving_member"))),
        "mtg_revoked_feed": revoked,
    }


COUNTS = {
    "meetings": lambda: Meeting.objects.count(),
    "scheduled meetings": lambda: Meeting.objects.filter(status=MeetingStatus.SCHEDULED).count(),
    "meetings with minutes": lambda: Meeting.objects.exclude(minutes="").count(),
    "action items": lambda: ActionItem.objects.count(),
    "done action items": lambda: ActionItem.objects.filter(status="done").count(),
    "matrix-edited items": lambda: ActionItem.objects.filter(text="Matrix text").count(),
    "usable calendar feeds": lambda: CalendarFeedToken.objects.filter(revoked_at=None).count(),
}
