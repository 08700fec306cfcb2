"""Fault injection (issue 9, item 4): Redis (cache and Celery broker) dies under the running app.

The app runs under gunicorn against the test database and a Redis of its own (tests/faults/servers.py). People sign
in and browse; Redis is killed; every page that does not need Redis still answers 200: sessions are in the database,
the cache fails open (psn/cache.py: the API throttle and allauth's rate limits do not count meanwhile; the login
lockout is in the database), a login still works, filing and submitting a referral through the API saves it whole and
answers 201/200 (the notification emails that could not be queued are logged, the in-app notices are saved), /readyz
answers 503 naming the broker and the cache while /healthz answers 200. Redis comes back: /readyz is 200 again and
the next referral's email task reaches the queue, without restarting the app.
"""

import re

import pytest
import redis
import requests
from django.test import Client

from accounts.services import api_token_create
from cases.models import Consent, Notification, Referral, Status, Transition
from psn.middleware import SESSION_KEY
from tests.cases.support import build_setup
from tests.factories import PASSWORD
from tests.test_celery_worker import _database_url

from .servers import AppServer, app_env

SESSION_COOKIE = "psn_session"  # PSN_HTTPS is off in the tests (tests/env.py)


def _session_cookie(user, task_force) -> str:
    """A signed-in session, stored in the database as the app keeps them."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = task_force.pk
    session.save()
    return client.cookies[SESSION_COOKIE].value


def _browser(server: AppServer, cookie: str) -> requests.Session:
    browser = requests.Session()
    browser.cookies.set(SESSION_COOKIE, cookie, domain="127.0.0.1")
    return browser


def _pages(referral_id: int, person_id: int) -> list[str]:
    return [
        "/",
        "/directory/partners/",
        "/directory/services/",
        "/referrals/",
        f"/referrals/{referral_id}/",
        "/people/",
        f"/people/{person_id}/",
        "/meetings/",
    ]


def _api_get(server: AppServer, token: str, path: str) -> requests.Response:
    return requests.get(server.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=15)


def _file_and_submit(server: AppServer, token: str, setup) -> tuple[int, int]:
    """File a referral through the API (201 asserted) and submit it; returns its id and the submit's status code."""
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(
        server.base + "/api/v1/referrals/",
        json={
            "person": setup.person.pk,
            "receiving_partner": setup.world.receiving.pk,
            "needs": ["employment", "housing"],
            "priority": "urgent",
            "reason": "Filed while the cache is away.",
        },
        headers=headers,
        timeout=15,
    )
    assert created.status_code == 201, created.text
    referral_id = created.json()["id"]
    submitted = requests.post(server.base + f"/api/v1/referrals/{referral_id}/submit/", headers=headers, timeout=15)
    return referral_id, submitted.status_code


def _sign_in(server: AppServer, email: str) -> requests.Session:
    """The login form, as a person fills it (CSRF token from the page, email and password)."""
    browser = requests.Session()
    page = browser.get(server.base + "/accounts/login/", timeout=15)
    assert page.status_code == 200, page.text[:500]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = browser.post(
        server.base + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": email, "password": PASSWORD},
        headers={"Referer": server.base + "/accounts/login/"},
        allow_redirects=False,
        timeout=15,
    )
    assert response.status_code == 302, response.text[:2000]
    assert browser.get(server.base + "/", timeout=15).status_code == 200
    return browser


def _assert_whole(referral_id: int, setup) -> None:
    referral = Referral.objects.get(pk=referral_id)
    assert referral.status == Status.SUBMITTED
    assert referral.person_id == setup.person.pk
    assert sorted(referral.needs.values_list("code", flat=True)) == ["employment", "housing"]
    steps = list(Transition.objects.filter(referral=referral).order_by("pk").values_list("from_status", "to_status"))
    assert steps == [("", Status.DRAFT), (Status.DRAFT, Status.SUBMITTED)]
    # The receiving partner's staff are told in the app even when the email could not be queued.
    assert Notification.objects.filter(referral=referral, kind=Status.SUBMITTED).exists()


@pytest.mark.django_db(transaction=True)
def test_with_redis_gone_the_pages_login_and_filing_keep_working_and_readyz_names_it(world, redis_server, tmp_path):
    setup = build_setup(world)
    Consent.objects.filter(person=setup.person).update(recorded_by_partner=world.sending)
    staff = world.user("sending_referral_staff")
    _, token = api_token_create(user=staff, name="fault test", expires_in_days=1)
    staff_cookie = _session_cookie(staff, world.tf)
    coordinator_cookie = _session_cookie(world.user("coordinator"), world.tf)

    server = AppServer(app_env(DATABASE_URL=_database_url(), REDIS_URL=redis_server.url(0)), tmp_path / "web.log")
    try:
        first_id, submitted = _file_and_submit(server, token, setup)
        assert submitted == 200
        queued = redis.Redis.from_url(redis_server.url(0)).llen("celery")
        assert queued >= 1  # Redis up: the notification emails went to the broker
        pages = _pages(first_id, setup.person.pk)
        staff_browser, coordinator_browser = _browser(server, staff_cookie), _browser(server, coordinator_cookie)
        for path in pages:
            assert staff_browser.get(server.base + path, timeout=15).status_code == 200, path
        assert coordinator_browser.get(server.base + "/reports/", timeout=15).status_code == 200
        assert _api_get(server, token, "/api/v1/referrals/").status_code == 200
        assert requests.get(server.base + "/readyz", timeout=15).status_code == 200

        redis_server.kill()

        for path in pages:
            response = staff_browser.get(server.base + path, timeout=15)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
        assert coordinator_browser.get(server.base + "/reports/", timeout=15).status_code == 200
        # The API's throttle counts in Redis: it fails open, the call is answered.
        assert _api_get(server, token, "/api/v1/referrals/").status_code == 200
        assert _api_get(server, token, f"/api/v1/referrals/{first_id}/").status_code == 200
        # allauth's login rate limits count in Redis too; a person can still sign in (sessions are in PostgreSQL).
        _sign_in(server, world.user("receiving_referral_staff").email)
        down_id, submitted = _file_and_submit(server, token, setup)
        assert submitted == 200  # answered as done: the referral is saved, the email's failure is logged
        _assert_whole(down_id, setup)

        assert requests.get(server.base + "/healthz", timeout=15).status_code == 200
        ready = requests.get(server.base + "/readyz", timeout=15)
        assert ready.status_code == 503
        body = ready.json()
        assert sorted(body["failed"]) == ["broker", "cache"]
        assert body["checks"]["database"] == "ok"

        redis_server.start()  # the same port, empty

        ready = requests.get(server.base + "/readyz", timeout=15)
        assert ready.status_code == 200, ready.text
        back_id, submitted = _file_and_submit(server, token, setup)
        assert submitted == 200
        _assert_whole(back_id, setup)
        # The app reconnected to the broker by itself: the new referral's emails are queued.
        assert redis.Redis.from_url(redis_server.url(0)).llen("celery") >= 1
        for path in pages:
            assert staff_browser.get(server.base + path, timeout=15).status_code == 200, path
    finally:
        server.close()
    log = server.output()
    assert "Internal Server Error" not in log, log[-5000:]
    assert "broker unavailable: task cases.tasks.send_notification_email" in log
