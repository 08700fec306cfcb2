"""A user with an authenticator app signs in with password, then a code; the password alone is not enough."""

import pytest
from django.test import Client

from psn.models import AuditEvent

from .signin import is_signed_in, sign_in
from .totp import activate_totp, current_code

AUTHENTICATE = "/accounts/2fa/authenticate/"


@pytest.fixture(autouse=True)
def _require_mfa(settings):
    settings.PSN_REQUIRE_MFA = True


@pytest.fixture
def secret(member) -> str:
    return activate_totp(member)


def test_password_then_code_reaches_home(member, password, secret):
    client = Client()

    first = sign_in(client, member.email, password)
    assert first.status_code == 302
    assert first["Location"] == AUTHENTICATE
    assert not is_signed_in(client)

    second = client.post(AUTHENTICATE, {"code": current_code(secret)})

    assert second.status_code == 302
    assert second["Location"] == "/"
    assert is_signed_in(client)
    home = client.get("/")
    assert home.status_code == 200
    assert "Demo mode" not in home.content.decode()
    assert AuditEvent.objects.filter(action="logged_in", actor=member).count() == 1


def test_after_the_password_alone_pages_still_ask_to_sign_in(member, password, secret):
    client = Client()
    sign_in(client, member.email, password)

    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/me/").status_code == 401
    assert not AuditEvent.objects.filter(action="logged_in").exists()


@pytest.mark.parametrize("code", ["000000", "12345", "abcdef", ""])
def test_a_wrong_code_does_not_sign_in(member, password, secret, code):
    client = Client()
    sign_in(client, member.email, password)

    response = client.post(AUTHENTICATE, {"code": code})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not is_signed_in(client)


def test_a_code_cannot_be_used_twice(member, password, secret):
    code = current_code(secret)
    first = Client()
    sign_in(first, member.email, password)
    first.post(AUTHENTICATE, {"code": code})

    second = Client()
    sign_in(second, member.email, password)
    response = second.post(AUTHENTICATE, {"code": code})

    assert response.status_code == 200
    assert not is_signed_in(second)
