"""Personal API tokens are created on the profile page, shown once, stored only as a SHA-256 digest."""

import hashlib
import re

import pytest
from django.test import Client
from django.utils.html import escape

from accounts.models import ApiToken
from psn.models import AuditEvent

TOKEN = re.compile(r"psn_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")


@pytest.fixture
def member(world):
    return world.user("receiving_member")


@pytest.fixture
def client(client_for):
    return client_for("receiving_member")


def test_new_token_is_shown_once_and_stored_as_a_digest(client, member):
    response = client.post("/profile/", {"name": "nightly export", "expires_in_days": "30"})

    assert response.status_code == 200
    match = TOKEN.search(response.content.decode())
    assert match, "the new token is on the page"
    raw, key_id, secret = match.group(0), match.group(1), match.group(2)
    token = ApiToken.objects.get(user=member)
    assert (token.name, token.key_id) == ("nightly export", key_id)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values().get().values()]
    assert not any(secret in value for value in stored)
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    assert raw not in client.get("/profile/").content.decode()
    event = AuditEvent.objects.get(action="created", object_type="accounts.apitoken")
    assert secret not in str(event.changes) + event.object_repr


def test_token_list_shows_name_and_status_but_no_secret(client, member):
    client.post("/profile/", {"name": "nightly export", "expires_in_days": "30"})

    page = client.get("/profile/").content.decode()

    assert "nightly export" in page
    assert "active" in page
    assert not TOKEN.search(page)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "expires_in_days": "30"}, "name"),
        ({"name": "   ", "expires_in_days": "30"}, "name"),
        ({"name": "x" * 101, "expires_in_days": "30"}, "name"),
        ({"name": "export", "expires_in_days": "0"}, "expires_in_days"),
        ({"name": "export", "expires_in_days": "-5"}, "expires_in_days"),
        ({"name": "export", "expires_in_days": "10000"}, "expires_in_days"),
        ({"name": "export", "expires_in_days": "thirty"}, "expires_in_days"),
        ({"name": "export", "expires_in_days": "1e3"}, "expires_in_days"),
        ({"name": "export"}, "expires_in_days"),
    ],
    ids=["empty-name", "blank-name", "long-name", "0-days", "negative", "10000-days", "words", "exponent", "no-days"],
)
def test_bad_input_is_a_400_with_the_error_next_to_the_field(client, member, data, field):
    response = client.post("/profile/", data)

    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    page = response.content.decode()
    # The message is in the same paragraph as the input it is about (paragraphs cannot nest in HTML).
    block = next(p for p in re.findall(r"<p\b.*?</p>", page, re.DOTALL) if f'name="{field}"' in p)
    assert escape(response.context["form"].errors[field][0]) in block
    assert 'aria-invalid="true"' in block
    assert not TOKEN.search(page)
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(action="created").exists()


def test_profile_needs_sign_in(db):
    response = Client().post("/profile/", {"name": "export", "expires_in_days": "30"})

    assert response.status_code == 302
    assert not ApiToken.objects.exists()
