"""The private calendar feed (meetings/feed.py, feed_views.py): no login, the user's own meetings and open action
items and nothing confidential, revocable and regenerable from the profile page, rate limited and audited."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from accounts.models import CalendarFeedToken
from meetings import feed, selectors, services
from meetings.models import MeetingKind
from psn.models import AuditEvent
from tests.conftest import login_client

from .support import actor, in_days, schedule

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _get(url: str, client: Client | None = None, **extra):
    return (client or Client()).get(_path(url), **extra)


def _events(response) -> dict[str, object]:
    cal = Calendar.from_ical(response.content)
    assert cal["METHOD"] == "PUBLISH"
    return {str(event["SUMMARY"]): event for event in cal.events}


def _meetings(world):
    """What the sending partner's member is invited to (through their partner, a case review, a cancelled one)
    and what they are not (the outsider partner's meeting, the other task force's)."""
    coordinator = actor(world, "coordinator")
    mine = schedule(world, title="Reentry working group", agenda="Budget for the flyers", users=[])
    review = schedule(
        world,
        kind=MeetingKind.CASE_REVIEW,
        title="Review of Maria Lopez",
        users=[world.user("coordinator")],
        start=in_days(5, hour=15),
    )
    cancelled = schedule(world, title="Quarterly task force", users=[], start=in_days(7, hour=15))
    services.meeting_cancel(actor=coordinator, meeting=cancelled)
    others = schedule(world, title="Faith partners call", partners=[world.outsider], users=[])
    old = schedule(world, title="Long ago meeting", users=[], start=in_days(-120, hour=15))
    services.action_item_add(
        actor=coordinator,
        meeting=mine,
        text="Print the reentry flyers",
        owner=world.user("sending_member"),
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    services.action_item_add(
        actor=coordinator,
        meeting=selectors.meeting_get_for(actor=coordinator, pk=review.pk),  # read as the coordinator sees it
        text="Find Maria a bed at the shelter",
        owner=world.user("sending_member"),
        due_date=timezone.localdate() + datetime.timedelta(days=12),
    )
    done = services.action_item_add(
        actor=coordinator,
        meeting=mine,
        text="Already finished thing",
        owner=world.user("sending_member"),
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )
    services.action_item_set_status(actor=coordinator, item=done, done=True)
    services.meeting_minutes_save(actor=coordinator, meeting=mine, minutes="Minutes naming Jonathan Doe")
    return mine, review, cancelled, others, old


def test_the_feed_needs_no_login_and_holds_only_the_users_meetings_and_items_without_secrets(world):
    mine, *_others = _meetings(world)
    url = feed.calendar_feed_create(user=world.user("sending_member"))
    response = _get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    events = _events(response)
    assert set(events) == {
        "Reentry working group",
        "Case review",
        "Quarterly task force",
        "Action item due: Reentry working group",
        "Action item due: Case review",
    }
    assert events["Reentry working group"]["UID"] == f"{mine.uid}@psnhub"
    assert events["Reentry working group"]["STATUS"] == "CONFIRMED"
    assert events["Quarterly task force"]["STATUS"] == "CANCELLED"
    assert events["Action item due: Reentry working group"]["DTSTART"].dt == (
        timezone.localdate() + datetime.timedelta(days=10)
    )
    assert "Print the reentry flyers" in str(events["Action item due: Reentry working group"]["DESCRIPTION"])
    body = response.content.decode()
    for secret in ("Maria", "Lopez", "Budget", "Jonathan", "Minutes", "Faith partners", "Long ago", "Already"):
        assert secret not in body
    for user in world.users.values():
        if user.full_name:
            assert user.full_name not in body


def test_a_coordinators_feed_has_the_meetings_they_are_invited_to_not_all_they_manage(world):
    schedule(world, title="Without the coordinator", users=[])
    schedule(world, title="With the coordinator", users=[world.user("coordinator")])
    url = feed.calendar_feed_create(user=world.user("coordinator"))
    assert set(_events(_get(url))) == {"With the coordinator"}


def test_the_other_task_forces_meetings_stay_out_even_for_a_member_of_both(world):
    from tests.factories import MembershipFactory

    member = world.user("sending_member")
    MembershipFactory(user=member, partner=world.foreign)
    schedule(world, title="Western meeting", users=[])
    services.meeting_schedule(
        actor=actor(world, "foreign_coordinator"),
        kind=MeetingKind.TASK_FORCE,
        title="Eastern meeting",
        start=in_days(4, hour=15),
        end=in_days(4, hour=16),
        partners=[world.foreign],
    )
    services.meeting_schedule(
        actor=actor(world, "foreign_coordinator"),
        kind=MeetingKind.TASK_FORCE,
        title="Eastern coordinators only",
        start=in_days(4, hour=15),
        end=in_days(4, hour=16),
    )
    url = feed.calendar_feed_create(user=member)
    assert set(_events(_get(url))) == {"Western meeting", "Eastern meeting"}
    outsider_url = feed.calendar_feed_create(user=world.user("outsider_member"))
    assert set(_events(_get(outsider_url))) == set()


def test_the_feed_query_count_does_not_grow_with_the_meetings(world, django_assert_num_queries):
    for n in range(12):
        schedule(world, title=f"Meeting {n}", users=[], start=in_days(2 + n, hour=15))
    url = feed.calendar_feed_create(user=world.user("sending_member"))
    # 1 token and user, 1 memberships, 1 meetings and 1 action items as values (the fingerprint), the same two as
    # models (a text to write), 1 last use, 1 audit event.
    with django_assert_num_queries(8):
        response = _get(url)
    assert len(_events(response)) == 12
    # Read again unchanged: the text is in the cache, the meetings are not read as models.
    with django_assert_num_queries(6):
        again = _get(url)
    assert again.content == response.content


def test_an_unchanged_feed_is_served_from_the_cache_and_any_change_shows_at_once(world):
    """The text is kept per user and content fingerprint (``feed.feed_calendar``): the second read is the same text,
    and a rename, a new meeting, a cancelled one or an item done shows in the next read, never a stale copy."""
    mine = schedule(world, title="Reentry working group", users=[], start=in_days(4, hour=15))
    member = world.user("sending_member")
    url = feed.calendar_feed_create(user=member)
    first = _get(url)
    again = _get(url)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    coordinator = actor(world, "coordinator")
    services.meeting_update(actor=coordinator, meeting=mine, changes={"title": "Reentry working group (moved)"})
    renamed = _get(url)
    assert set(_events(renamed)) == {"Reentry working group (moved)"}
    assert renamed["ETag"] != first["ETag"]
    schedule(world, title="Second meeting", users=[], start=in_days(6, hour=15))
    assert set(_events(_get(url))) == {"Reentry working group (moved)", "Second meeting"}
    # Another user invited to the same meetings gets their own text (their own key), never the member's.
    other_url = feed.calendar_feed_create(user=world.user("sending_referral_staff"))
    assert set(_events(_get(other_url))) == {"Reentry working group (moved)", "Second meeting"}


def test_a_calendar_app_with_the_current_copy_gets_not_modified(world):
    schedule(world, title="Reentry working group", users=[], start=in_days(4, hour=15))
    url = feed.calendar_feed_create(user=world.user("sending_member"))
    first = _get(url)
    unchanged = _get(url, headers={"If-None-Match": first["ETag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == first["ETag"]
    assert _get(url, headers={"If-None-Match": '"an-old-tag"'}).status_code == 200
    # Still a read of the feed: audited like any other.
    assert AuditEvent.objects.filter(actor=world.user("sending_member"), action="viewed").count() == 3


def test_revoked_unknown_malformed_and_wrong_secret_addresses_are_404(world):
    user = world.user("sending_member")
    url = feed.calendar_feed_create(user=user)
    key_id = feed.key_id_of(url.rsplit("/", 1)[1].removesuffix(".ics"))
    assert _get(url).status_code == 200
    assert _get(f"/calendar/{key_id}.{'A' * 43}.ics").status_code == 404
    assert _get("/calendar/000000000000.xxxxxxxxxxxxxxxxxxxxxxxxxxx.ics").status_code == 404
    assert _get("/calendar/nonsense.ics").status_code == 404
    assert feed.calendar_feed_revoke(user=user) == 1
    assert _get(url).status_code == 404
    assert feed.calendar_feed_revoke(user=user) == 0


def test_a_deactivated_users_feed_is_404(world):
    user = world.user("sending_member")
    url = feed.calendar_feed_create(user=user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert _get(url).status_code == 404


def test_regenerating_stops_the_old_address(world):
    user = world.user("sending_member")
    old = feed.calendar_feed_create(user=user)
    new = feed.calendar_feed_create(user=user)
    assert old != new
    assert _get(old).status_code == 404
    assert _get(new).status_code == 200
    assert CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).count() == 1


def test_only_a_digest_of_the_secret_is_stored(world):
    user = world.user("sending_member")
    url = feed.calendar_feed_create(user=user)
    secret = url.rsplit(".", 2)[1]
    token = CalendarFeedToken.objects.get(user=user)
    assert secret not in token.digest and token.digest == CalendarFeedToken.digest_for(secret)


def test_each_read_is_audited_without_the_secret_and_marks_the_last_use(world):
    user = world.user("sending_member")
    url = feed.calendar_feed_create(user=user)
    secret = url.rsplit(".", 2)[1]
    _get(url, REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="Calendar/1.0")
    event = AuditEvent.objects.filter(action="viewed").get()
    assert (event.object_type, event.object_id, event.actor_id) == ("accounts.user", str(user.pk), user.pk)
    assert event.ip == "203.0.113.9" and event.user_agent == "Calendar/1.0"
    assert secret not in str(event.changes) + event.object_repr + event.path
    assert event.path.startswith("/calendar/") and event.path.endswith(".redacted.ics")
    assert CalendarFeedToken.objects.get(user=user).last_used_at is not None


def test_reads_of_one_feed_are_rate_limited(world, settings):
    settings.PSN_CALENDAR_FEED_TOKEN_RATE = 3
    url = feed.calendar_feed_create(user=world.user("sending_member"))
    assert [_get(url, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(4)] == [200, 200, 200, 429]
    refused = _get(url)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.PSN_CALENDAR_FEED_RATE_WINDOW_SECONDS
    assert AuditEvent.objects.filter(action="viewed").count() == 3
    # Another user's feed is counted on its own.
    assert _get(feed.calendar_feed_create(user=world.user("sending_referral_staff"))).status_code == 200


def test_guessing_addresses_from_one_client_is_rate_limited(world, settings):
    settings.PSN_CALENDAR_FEED_FAILED_IP_RATE = 3
    good = feed.calendar_feed_create(user=world.user("sending_member"))
    guesses = [_get(f"/calendar/{n:012x}.{'B' * 43}.ics", REMOTE_ADDR="192.0.2.7").status_code for n in range(4)]
    assert guesses == [404, 404, 404, 429]
    assert _get(good, REMOTE_ADDR="192.0.2.7").status_code == 429
    assert _get(good, REMOTE_ADDR="192.0.2.8").status_code == 200


def test_all_reads_from_one_client_are_rate_limited(world, settings):
    settings.PSN_CALENDAR_FEED_IP_RATE = 2
    first = feed.calendar_feed_create(user=world.user("sending_member"))
    second = feed.calendar_feed_create(user=world.user("receiving_member"))
    statuses = [_get(url, REMOTE_ADDR="192.0.2.50").status_code for url in (first, second, first)]
    assert statuses == [200, 200, 429]


def test_the_feed_answers_get_only(world):
    url = feed.calendar_feed_create(user=world.user("sending_member"))
    assert Client().post(_path(url)).status_code == 405


# --- The profile page's section --------------------------------------------------------------------------------


def _feed_url_on(page: str) -> str | None:
    match = re.search(r'id="calendar-feed-url"[^>]*value="([^"]+)"', page)
    return match[1] if match else None


def test_the_profile_page_generates_regenerates_and_revokes_the_address(world):
    user = world.user("sending_member")
    client = login_client(user, world.tf)
    page = client.get("/profile/").content.decode()
    assert "Calendar feed" in page and "Generate an address" in page
    assert _feed_url_on(page) is None

    response = client.post("/profile/", {"calendar_feed": "generate"})
    assert response.status_code == 200
    page = response.content.decode()
    first = _feed_url_on(page)
    assert first and first.startswith("http") and first.endswith(".ics")
    assert '<label for="calendar-feed-url">' in page and "readonly" in page
    assert _get(first).status_code == 200
    # Shown once: the next visit says there is one, not what it is.
    page = client.get("/profile/").content.decode()
    assert _feed_url_on(page) is None and first not in page and "Regenerate the address" in page

    second = _feed_url_on(client.post("/profile/", {"calendar_feed": "generate"}).content.decode())
    assert second and second != first
    assert _get(first).status_code == 404
    assert _get(second).status_code == 200

    page = client.post("/profile/", {"calendar_feed": "revoke"}).content.decode()
    assert "You have no calendar feed address." in page
    assert _get(second).status_code == 404
    changes = list(AuditEvent.objects.filter(object_type="accounts.calendarfeedtoken").values_list("action", flat=True))
    assert sorted(changes) == ["changed", "created", "created"]
    # The API-token form on the same page is left alone by the feed's buttons.
    assert not user.api_tokens.exists()


def test_the_profile_buttons_need_the_csrf_token_and_a_login(world):
    user = world.user("sending_member")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/profile/", {"calendar_feed": "generate"}).status_code == 403
    assert not CalendarFeedToken.objects.exists()
    anonymous = Client().post("/profile/", {"calendar_feed": "generate"})
    assert anonymous.status_code == 302 and not CalendarFeedToken.objects.exists()
