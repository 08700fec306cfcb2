"""Accounts unused for PSN_DORMANT_DAYS (90) are disabled by a daily task, once, with an audit event each."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tasks import disable_dormant_accounts
from psn.celery import app as celery_app
from psn.models import AuditEvent

from ..factories import UserFactory
from .signin import is_signed_in, sign_in


def _days_ago(days: int):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def accounts(world):
    """Users at both sides of the 90-day line, beside the world's users who joined today."""
    return {
        "last_seen_91_days_ago": UserFactory(
            email="old@example.org", last_login=_days_ago(91), date_joined=_days_ago(400)
        ),
        "never_seen_joined_91_days_ago": UserFactory(email="never@example.org", date_joined=_days_ago(91)),
        "last_seen_89_days_ago": UserFactory(
            email="recent@example.org", last_login=_days_ago(89), date_joined=_days_ago(400)
        ),
        "never_seen_joined_89_days_ago": UserFactory(email="new@example.org", date_joined=_days_ago(89)),
        "joined_long_ago_seen_yesterday": UserFactory(
            email="regular@example.org", last_login=_days_ago(1), date_joined=_days_ago(900)
        ),
    }


def _active(accounts) -> dict[str, bool]:
    return {key: User.objects.get(pk=user.pk).is_active for key, user in accounts.items()}


def test_task_disables_accounts_unused_for_more_than_90_days(accounts):
    disabled = disable_dormant_accounts.delay().get()

    assert disabled == 2
    assert _active(accounts) == {
        "last_seen_91_days_ago": False,
        "never_seen_joined_91_days_ago": False,
        "last_seen_89_days_ago": True,
        "never_seen_joined_89_days_ago": True,
        "joined_long_ago_seen_yesterday": True,
    }
    old = User.objects.get(pk=accounts["last_seen_91_days_ago"].pk)
    assert old.deactivation_reason == "dormant"
    assert old.deactivated_at is not None
    assert User.objects.filter(is_active=False).count() == 3  # the two, and the world's deactivated user


def test_second_run_disables_nothing_and_writes_nothing(accounts):
    disable_dormant_accounts()
    events = AuditEvent.objects.count()

    assert disable_dormant_accounts() == 0
    assert AuditEvent.objects.count() == events


def test_one_audit_event_per_disabled_account(accounts):
    disable_dormant_accounts()

    events = AuditEvent.objects.filter(action="changed", object_type="accounts.user")
    assert sorted(event.object_id for event in events) == sorted(
        [str(accounts["last_seen_91_days_ago"].pk), str(accounts["never_seen_joined_91_days_ago"].pk)]
    )
    assert all(event.changes["is_active"] == ["True", "False"] for event in events)
    assert all(event.actor is None for event in events)


def test_the_coordinator_reads_the_disabling_of_a_member_in_the_trail(world, client_for):
    member = world.user("receiving_member")
    User.objects.filter(pk=member.pk).update(last_login=_days_ago(91))

    disable_dormant_accounts()

    page = client_for("coordinator").get("/audit/?action=changed&object_type=accounts.user").context["page"]
    assert [(event.object_id, event.changes["is_active"]) for event in page] == [(str(member.pk), ["True", "False"])]


def test_a_disabled_account_cannot_sign_in(accounts, password):
    disable_dormant_accounts()
    client = Client()

    response = sign_in(client, "old@example.org", password)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    assert not is_signed_in(client)
    assert client.get("/").status_code == 302


def test_a_disabled_accounts_open_session_ends(accounts, password):
    client = Client()
    sign_in(client, "old@example.org", password)
    User.objects.filter(email="old@example.org").update(last_login=_days_ago(91))

    disable_dormant_accounts()

    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_the_limit_is_a_setting(settings, accounts):
    settings.PSN_DORMANT_DAYS = 88

    assert disable_dormant_accounts() == 4


def test_beat_runs_the_task_daily():
    entries = [e for e in django_settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == disable_dormant_accounts.name]

    assert len(entries) == 1
    assert entries[0]["schedule"] == timedelta(days=1)
    assert disable_dormant_accounts.name == "accounts.tasks.disable_dormant_accounts"
    assert disable_dormant_accounts.name in celery_app.tasks
    assert celery_app.conf.beat_schedule == django_settings.CELERY_BEAT_SCHEDULE
