"""The sessions page lists the user's own sessions and signs out all the others."""

import pytest
from django.test import Client
from django.urls import reverse

from .signin import is_signed_in, sign_in

SESSIONS = reverse("usersessions_list")


@pytest.fixture
def member(world):
    return world.user("receiving_member")


def _browser(user_agent: str, email: str, password: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    assert sign_in(client, email, password).status_code == 302
    assert client.get("/").status_code == 200  # the first signed-in request records the session
    return client


@pytest.fixture
def desk(member, password) -> Client:
    return _browser("Desk browser", member.email, password)


@pytest.fixture
def phone(member, password) -> Client:
    return _browser("Phone browser", member.email, password)


@pytest.fixture
def colleague(world, password) -> Client:
    return _browser("Colleague browser", world.user("receiving_referral_staff").email, password)


def test_sessions_page_lists_only_the_users_own_sessions(desk, phone, colleague):
    response = desk.get(SESSIONS)

    assert response.status_code == 200
    assert SESSIONS == "/accounts/sessions/"
    assert sorted(s.user_agent for s in response.context["sessions"]) == ["Desk browser", "Phone browser"]
    page = response.content.decode()
    assert "Phone browser" in page
    assert "Colleague browser" not in page


def test_signing_out_the_other_sessions_ends_them_and_keeps_this_one(desk, phone, colleague):
    response = desk.post(SESSIONS)

    assert response.status_code == 302
    assert phone.get("/").status_code == 302
    assert not is_signed_in(phone)
    assert desk.get("/").status_code == 200
    assert [s.user_agent for s in desk.get(SESSIONS).context["sessions"]] == ["Desk browser"]
    assert colleague.get("/").status_code == 200


def test_sessions_page_needs_sign_in():
    response = Client().get(SESSIONS)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
