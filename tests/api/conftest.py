import pytest
from django.test import Client

from accounts.services import api_token_create


@pytest.fixture
def token_client(world):
    """``token_client("receiving_member")`` -> a Client sending ``Authorization: Bearer <a new token>``."""

    def make(key: str, **headers) -> Client:
        _, secret = api_token_create(user=world.user(key), name="test", expires_in_days=1)
        return Client(headers={"Authorization": f"Bearer {secret}", **headers})

    return make
