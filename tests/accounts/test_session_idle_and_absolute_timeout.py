"""Sessions end after PSN_IDLE_TIMEOUT without activity and PSN_SESSION_MAX_AGE after sign-in in any case."""

import time

import pytest
from django.test import Client

from accounts.middleware import AUTH_AT, LAST_ACTIVITY
from psn.models import AuditEvent

from .signin import is_signed_in

IDLE = 60


@pytest.fixture(autouse=True)
def _short_idle_timeout(settings):
    settings.PSN_IDLE_TIMEOUT = IDLE
    settings.PSN_SESSION_MAX_AGE = 600


def _set_session(client: Client, **values: float) -> None:
    session = client.session
    session.update(values)
    session.save()


def test_sign_in_starts_both_clocks(signed_in):
    now = time.time()

    assert now - 5 < signed_in.session[AUTH_AT] <= now
    assert now - 5 < signed_in.session[LAST_ACTIVITY] <= now


def test_idle_session_is_signed_out_on_the_next_request(signed_in, member):
    _set_session(signed_in, **{LAST_ACTIVITY: time.time() - IDLE - 5})

    response = signed_in.get("/profile/", follow=True)

    assert response.redirect_chain[0] == ("/accounts/login/?next=/profile/", 302)
    assert "signed out after a period of inactivity" in response.content.decode()
    assert not is_signed_in(signed_in)
    assert signed_in.get("/profile/").status_code == 302
    assert AuditEvent.objects.filter(action="logged_out", actor=member).exists()


def test_the_sign_in_page_returns_to_the_page_with_its_query(signed_in):
    _set_session(signed_in, **{LAST_ACTIVITY: time.time() - IDLE - 5})

    response = signed_in.get("/audit/?action=viewed&since=2025-01-01")

    assert response["Location"] == "/accounts/login/?next=/audit/%3Faction%3Dviewed%26since%3D2025-01-01"


def test_a_session_used_within_the_idle_limit_stays(signed_in):
    _set_session(signed_in, **{LAST_ACTIVITY: time.time() - IDLE + 20})

    assert signed_in.get("/profile/").status_code == 200
    assert is_signed_in(signed_in)


def test_a_page_request_counts_as_activity(signed_in, settings):
    # Activity is written at most once a minute (ACTIVITY_RESOLUTION), so start more than a minute back.
    settings.PSN_IDLE_TIMEOUT = 120
    _set_session(signed_in, **{LAST_ACTIVITY: time.time() - 90})

    assert signed_in.get("/profile/").status_code == 200

    assert time.time() - signed_in.session[LAST_ACTIVITY] < 5


def test_session_status_reports_seconds_left_without_counting_as_activity(signed_in):
    last = time.time() - 20
    _set_session(signed_in, **{LAST_ACTIVITY: last})

    response = signed_in.get("/session/status/")

    assert response.status_code == 200
    body = response.json()
    assert body["authenticated"] is True
    assert IDLE - 25 <= body["seconds_left"] <= IDLE - 20
    assert signed_in.session[LAST_ACTIVITY] == last
    assert "no-cache" in response["Cache-Control"]


def test_session_status_after_the_idle_limit_is_401_and_signs_out(signed_in):
    _set_session(signed_in, **{LAST_ACTIVITY: time.time() - IDLE - 5})

    response = signed_in.get("/session/status/")

    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert not is_signed_in(signed_in)


def test_session_status_of_an_anonymous_visitor_is_401():
    response = Client().get("/session/status/")

    assert response.status_code == 401
    assert response.json() == {"authenticated": False}


def test_keepalive_restarts_the_idle_clock(signed_in):
    _set_session(signed_in, **{LAST_ACTIVITY: time.time() - IDLE + 5})

    response = signed_in.post("/session/keepalive/")

    assert response.status_code == 200
    assert response.json() == {"ok": True, "seconds_left": IDLE}
    assert time.time() - signed_in.session[LAST_ACTIVITY] < 5
    assert signed_in.get("/session/status/").json()["seconds_left"] >= IDLE - 5


def test_keepalive_needs_a_post_and_a_session(signed_in):
    assert signed_in.get("/session/keepalive/").status_code == 405
    assert Client().post("/session/keepalive/").status_code == 302


def test_absolute_limit_signs_out_even_an_active_session(signed_in):
    now = time.time()
    _set_session(signed_in, **{AUTH_AT: now - 601, LAST_ACTIVITY: now})

    response = signed_in.get("/", follow=True)

    assert response.redirect_chain[0] == ("/accounts/login/?next=/", 302)
    assert "reached its maximum length" in response.content.decode()
    assert not is_signed_in(signed_in)


def test_keepalive_does_not_extend_the_absolute_limit(signed_in):
    _set_session(signed_in, **{AUTH_AT: time.time() - 590})

    assert signed_in.get("/session/status/").json()["seconds_left"] <= 10
    signed_in.post("/session/keepalive/")
    _set_session(signed_in, **{AUTH_AT: time.time() - 601})

    assert signed_in.post("/session/keepalive/").status_code == 302
    assert not is_signed_in(signed_in)


def test_expired_session_on_the_api_is_a_401_json(signed_in):
    _set_session(signed_in, **{LAST_ACTIVITY: time.time() - IDLE - 5})

    response = signed_in.get("/api/v1/me/")

    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}
    assert response.json()["code"] == "session_expired"
