"""``Authorization: Bearer psn_<id>_<secret>`` authenticates the API; anything wrong with it is a 401 in the
API's error shape."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import ApiToken


@pytest.fixture
def member(world):
    return world.user("receiving_member")


@pytest.fixture
def token(member) -> tuple[ApiToken, str]:
    return services.api_token_create(user=member, name="script", expires_in_days=30)


def _me(raw: str, **headers):
    return Client().get("/api/v1/me/", HTTP_AUTHORIZATION=raw, **headers)


def _assert_refused(response) -> None:
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] == "authentication_failed"
    assert body["detail"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_token_authenticates_me_and_records_last_use(world, member, token):
    api_token, secret = token
    assert api_token.last_used_at is None

    response = _me(f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json()["email"] == member.email
    assert response.json()["current_task_force"]["slug"] == world.tf.slug
    api_token.refresh_from_db()
    assert timezone.now() - api_token.last_used_at < timedelta(seconds=10)


def test_task_force_header_is_accepted_and_checked(world, token):
    _, secret = token

    assert _me(f"Bearer {secret}", HTTP_X_TASK_FORCE="wdt").json()["current_task_force"]["slug"] == "wdt"
    refused = _me(f"Bearer {secret}", HTTP_X_TASK_FORCE="edt")
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"


def test_a_post_with_a_token_needs_no_csrf_token(token):
    # CSRF protects cookies; a token in a header is not sent by a browser on its own.
    api_token, secret = token

    response = Client(enforce_csrf_checks=True).post(
        f"/api/v1/tokens/{api_token.pk}/revoke/", HTTP_AUTHORIZATION=f"Bearer {secret}"
    )

    assert response.status_code == 200
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    _assert_refused(_me(f"Bearer {secret}"))


def test_expired_token_is_refused(token):
    api_token, secret = token
    ApiToken.objects.filter(pk=api_token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    _assert_refused(_me(f"Bearer {secret}"))


def test_token_revoked_on_the_profile_page_is_refused(client_for, token):
    api_token, secret = token

    response = client_for("receiving_member").post(f"/profile/tokens/{api_token.pk}/revoke/")

    assert response.status_code == 302
    api_token.refresh_from_db()
    assert api_token.revoked_at is not None
    _assert_refused(_me(f"Bearer {secret}"))


def test_wrong_secret_for_an_existing_key_id_is_refused(token):
    api_token, _ = token
    forged = f"{ApiToken.PREFIX}{api_token.key_id}_{'A' * 43}"

    _assert_refused(_me(f"Bearer {forged}"))


def test_token_of_a_deactivated_user_is_refused(member, token):
    _, secret = token
    member.is_active = False
    member.save(update_fields=["is_active"])

    _assert_refused(_me(f"Bearer {secret}"))


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer a b",
        "Bearer not-a-token",
        "Bearer psn_",
        "Bearer psn_abc",
        "Bearer psn__secret",
        "Bearer psn_abc_",
        f"Bearer psn_{'a' * 17}_secret",
        f"Bearer psn_abc_{'s' * 129}",
        "Bearer psn_abc_sécret",
    ],
)
def test_malformed_authorization_header_is_refused(db, header):
    _assert_refused(_me(header))


def test_other_schemes_are_not_tokens_and_get_the_anonymous_401(db):
    response = _me("Basic dXNlcjpwYXNz")

    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"}


def test_revoking_another_users_token_is_404_and_it_keeps_working(client_for, token):
    api_token, secret = token

    response = client_for("sending_member").post(f"/profile/tokens/{api_token.pk}/revoke/")

    assert response.status_code == 404
    api_token.refresh_from_db()
    assert api_token.revoked_at is None
    assert _me(f"Bearer {secret}").status_code == 200


def test_revoke_needs_a_post(client_for, token):
    api_token, secret = token

    assert client_for("receiving_member").get(f"/profile/tokens/{api_token.pk}/revoke/").status_code == 405
    assert _me(f"Bearer {secret}").status_code == 200
