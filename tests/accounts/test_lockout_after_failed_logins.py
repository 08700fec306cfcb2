"""CJIS 5.5.3: 5 failed sign-ins within 15 minutes lock the account until someone releases it."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.db.models import F
from django.test import Client

from psn.models import AuditEvent

from .signin import fail_sign_ins, is_signed_in, page_without_tokens, sign_in

LOCKED_MESSAGE = "This account is locked after too many failed sign-in attempts."


def _move_failures_back(email: str, minutes: int) -> None:
    """Pretend the failures so far happened ``minutes`` earlier (freezegun is not installed)."""
    delta = timedelta(minutes=minutes)
    AccessFailureLog.objects.filter(username=email).update(attempt_time=F("attempt_time") - delta)
    AccessAttempt.objects.filter(username=email).update(attempt_time=F("attempt_time") - delta)


@pytest.fixture
def member(world):
    return world.user("receiving_member")


def test_four_failures_do_not_lock(member, password):
    client = Client()
    assert fail_sign_ins(client, member.email, 4).status_code == 200

    response = sign_in(client, member.email, password)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_fifth_failure_locks_and_the_right_password_is_then_refused(member, password):
    client = Client()
    fail_sign_ins(client, member.email, 4)
    fifth = sign_in(client, member.email, "still wrong")
    assert fifth.status_code == 429

    response = sign_in(client, member.email, password)

    assert response.status_code == 429
    assert LOCKED_MESSAGE in response.content.decode()
    assert "account/lockout.html" in [t.name for t in response.templates]
    assert not is_signed_in(client)
    # The lock is one event however often the locked account is tried; each try is a "login failed".
    assert AuditEvent.objects.filter(action="locked_out", object_id=str(member.pk)).count() == 1
    sign_in(client, member.email, "yet another try")
    assert AuditEvent.objects.filter(action="locked_out", object_id=str(member.pk)).count() == 1
    assert AuditEvent.objects.filter(action="login_failed", object_id=str(member.pk)).count() == 7


def test_failures_typed_in_other_letter_cases_count_for_the_same_account(member, password):
    client = Client()
    for variant in ("Receiving.Member@example.org", "RECEIVING.MEMBER@EXAMPLE.ORG", " receiving.member@example.org "):
        sign_in(client, variant, "wrong")
    fail_sign_ins(client, member.email, 2)

    assert sign_in(client, member.email, password).status_code == 429


def test_failures_from_different_addresses_and_browsers_add_up(member, password):
    for attempt in range(5):
        client = Client(REMOTE_ADDR=f"198.51.100.{attempt + 1}", HTTP_USER_AGENT=f"Browser {attempt}")
        sign_in(client, member.email, f"wrong {attempt}")

    assert sign_in(Client(REMOTE_ADDR="192.0.2.50"), member.email, password).status_code == 429


def test_lockout_answers_json_to_an_api_client(member, password):
    client = Client()
    fail_sign_ins(client, member.email, 5)

    response = sign_in(client, member.email, password, HTTP_ACCEPT="application/json")

    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"
    assert response.json()["detail"].startswith(LOCKED_MESSAGE)


def test_failures_older_than_the_window_do_not_count(member, password):
    client = Client()
    fail_sign_ins(client, member.email, 4)
    _move_failures_back(member.email, minutes=16)

    assert fail_sign_ins(client, member.email, 4).status_code == 200
    response = sign_in(client, member.email, password)

    assert response.status_code == 302
    assert is_signed_in(client)


def test_failures_still_inside_the_window_count_with_new_ones(member, password):
    client = Client()
    fail_sign_ins(client, member.email, 3)
    _move_failures_back(member.email, minutes=14)

    fail_sign_ins(client, member.email, 2)

    assert sign_in(client, member.email, password).status_code == 429


def test_a_locked_account_stays_locked_after_the_window(member, password):
    client = Client()
    fail_sign_ins(client, member.email, 5)
    _move_failures_back(member.email, minutes=24 * 60)

    response = sign_in(client, member.email, password)

    assert response.status_code == 429
    assert not is_signed_in(client)


def test_a_successful_sign_in_clears_earlier_failures(member, password):
    client = Client()
    fail_sign_ins(client, member.email, 4)
    sign_in(client, member.email, password)
    client.post("/accounts/logout/")

    fail_sign_ins(client, member.email, 4)

    assert sign_in(client, member.email, password).status_code == 302


def test_an_unknown_email_locks_exactly_like_an_existing_account(member, password):
    stranger = "no.such.person@example.org"
    # Two addresses, so allauth's per-IP rate limit on failed sign-ins does not mix the two runs.
    known_client, unknown_client = Client(REMOTE_ADDR="198.51.100.1"), Client(REMOTE_ADDR="198.51.100.2")
    for attempt in range(6):
        known = sign_in(known_client, member.email, f"wrong {attempt}")
        unknown = sign_in(unknown_client, stranger, f"wrong {attempt}")
        assert known.status_code == unknown.status_code, attempt
        assert page_without_tokens(known, email=member.email) == page_without_tokens(unknown, email=stranger), attempt

    known = sign_in(known_client, member.email, password)
    unknown = sign_in(unknown_client, stranger, password)

    assert known.status_code == unknown.status_code == 429
    assert page_without_tokens(known) == page_without_tokens(unknown)
    assert AuditEvent.objects.filter(action="locked_out", object_repr=stranger).exists()
