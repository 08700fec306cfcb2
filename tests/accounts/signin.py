"""Signing in through the real allauth form, as a browser (or an attacker) does."""

import re

from django.test import Client

LOGIN_URL = "/accounts/login/"
_CSRF_VALUE = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def sign_in(client: Client, email: str, password: str, **extra):
    return client.post(LOGIN_URL, {"login": email, "password": password}, **extra)


def fail_sign_ins(client: Client, email: str, times: int):
    """``times`` sign-ins with a wrong password; returns the last response."""
    response = None
    for attempt in range(times):
        response = sign_in(client, email, f"wrong password {attempt}")
    return response


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def page_without_tokens(response, *, email: str = "") -> bytes:
    """The body without what differs between any two responses (CSRF tokens) and the typed email."""
    body = _CSRF_VALUE.sub(b"", response.content)
    return body.replace(email.encode(), b"<email>") if email else body
