"""With PSN_REQUIRE_MFA on, nobody gets past enrolment without a second factor: not in pages, not in the API."""

import pytest
from django.test import Client

from accounts import services

from .totp import activate_totp

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _require_mfa(settings):
    settings.PSN_REQUIRE_MFA = True


@pytest.mark.parametrize(
    "path",
    ["/", "/profile/", "/lockouts/", "/audit/", "/task-force/", "/accounts/sessions/", "/accounts/password/change/"],
)
def test_user_without_mfa_is_sent_to_totp_activation(signed_in, path):
    response = signed_in.get(path)

    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


def test_a_post_without_mfa_is_sent_to_activation_and_has_no_effect(signed_in, member):
    response = signed_in.post("/profile/", {"name": "sneaky", "expires_in_days": "30"})

    assert response["Location"] == ACTIVATE
    assert not member.api_tokens.exists()


@pytest.mark.parametrize("path", ["/accounts/2fa/", "/session/status/", "/healthz"])
def test_enrolment_pages_stay_open_without_mfa(signed_in, path):
    assert signed_in.get(path).status_code == 200


def test_the_password_confirmation_before_enrolment_is_reachable(signed_in, password):
    # allauth asks for the password again before adding an authenticator; if that page were sent back to
    # activation too, nobody could ever enrol.
    to_confirm = signed_in.get(ACTIVATE)
    assert to_confirm["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"

    assert signed_in.get(to_confirm["Location"]).status_code == 200
    confirmed = signed_in.post(to_confirm["Location"], {"password": password})
    assert confirmed["Location"] == ACTIVATE
    assert signed_in.get(ACTIVATE).status_code == 200


def test_user_without_mfa_can_sign_out(signed_in):
    response = signed_in.post("/accounts/logout/")

    assert response.status_code == 302
    assert "_auth_user_id" not in signed_in.session


def test_api_with_a_session_without_mfa_is_403_mfa_required(signed_in):
    response = signed_in.get("/api/v1/me/")

    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    assert set(response.json()) == {"detail", "code"}


def test_user_with_totp_reaches_every_page(member, password, client_for):
    activate_totp(member)
    client = client_for("receiving_member")

    assert client.get("/").status_code == 200
    assert client.get("/profile/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200


def test_bearer_token_of_a_user_without_mfa_is_refused(member):
    _, secret = services.api_token_create(user=member, name="script", expires_in_days=30)

    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Set up two-factor authentication before using the API.",
        "code": "authentication_failed",
    }


def test_bearer_token_works_once_the_user_has_mfa(member):
    _, secret = services.api_token_create(user=member, name="script", expires_in_days=30)
    activate_totp(member)

    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 200
    assert response.json()["email"] == member.email


def test_without_the_setting_a_user_without_mfa_reaches_home(settings, signed_in):
    settings.PSN_REQUIRE_MFA = False

    response = signed_in.get("/")

    assert response.status_code == 200
    assert "two-factor sign-in is not enforced" in response.content.decode()
