import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The world fixture hashes a password for each of its 16 users and every sign-in hashes once more: with
    # Argon2 that is most of the run time. Which hasher is used is not what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
