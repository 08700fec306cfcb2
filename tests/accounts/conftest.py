import pytest
from django.test import Client

from .signin import sign_in


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The world fixture hashes a password for each of its 16 users and every sign-in hashes once more: with
    # Argon2 that is most of the run time. Which hasher is used is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def member(world):
    return world.user("receiving_member")


@pytest.fixture
def signed_in(member, password) -> Client:
    client = Client()
    assert sign_in(client, member.email, password).status_code == 302
    return client
