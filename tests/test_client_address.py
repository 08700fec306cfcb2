"""The client address in the audit trail cannot be forged with X-Forwarded-For (issue 3, items 5 and 6)."""

import pytest

from psn.models import AuditEvent


def _failed_login(client, **headers):
    client.post("/accounts/login/", {"login": "nobody@example.org", "password": "wrong password 123"}, **headers)
    return AuditEvent.objects.filter(action="login_failed").latest("id")


@pytest.mark.django_db
def test_without_a_proxy_the_forwarded_header_is_ignored(client):
    event = _failed_login(client, HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="8.8.8.8")
    assert event.ip == "8.8.8.8"


@pytest.mark.django_db
def test_behind_our_proxy_the_right_most_forwarded_address_is_the_client(client, settings):
    # What PSN_PROXY_COUNT=1 configures (docker-compose): the proxy appends the address it saw.
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    event = _failed_login(client, HTTP_X_FORWARDED_FOR="6.6.6.6, 8.8.4.4", REMOTE_ADDR="172.18.0.5")
    assert event.ip == "8.8.4.4"
