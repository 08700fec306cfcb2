"""Every API error has one body shape, ``{"detail", "code", "errors"?}``; session callers need the CSRF token
for anything unsafe; callers are throttled."""

import pytest
from django.test import Client
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken
from psn.models import AuditEvent

from .bodies import assert_error


def test_400_names_each_field(client_for):
    response = client_for("receiving_member").post(
        "/api/v1/tokens/", {"expires_in_days": 0}, content_type="application/json"
    )

    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"name", "expires_in_days"}


def test_400_for_a_body_that_is_not_json(client_for):
    response = client_for("receiving_member").post("/api/v1/tokens/", "{not json", content_type="application/json")

    assert "JSON" in assert_error(response, 400, "parse_error")["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer psn_nope_nope",
        "Bearer",
        "Bearer a b",
        "Bearer psn_" + "x" * 500,
        "Bearer psn_abcdef0123456789_" + "s" * 40,
    ],
)
def test_401_for_a_bad_token_says_why(world, header):
    response = Client().get("/api/v1/me/", headers={"Authorization": header})

    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Bearer"


def test_401_without_credentials(world):
    response = Client().get("/api/v1/memberships/")

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Bearer"


def test_401_for_a_token_of_a_deactivated_account(token_client, world):
    client = token_client("receiving_member")
    world.user("receiving_member").__class__.objects.filter(pk=world.user("receiving_member").pk).update(
        is_active=False
    )

    assert_error(client.get("/api/v1/me/"), 401, "authentication_failed")


def test_403_is_recorded_in_the_audit_trail(client_for, world):
    response = client_for("receiving_member").get("/api/v1/audit-events/")

    assert_error(response, 403, "permission_denied")
    event = AuditEvent.objects.get(action="permission_denied")
    assert (event.actor, event.task_force, event.object_repr) == (
        world.user("receiving_member"),
        world.tf,
        "GET /api/v1/audit-events/",
    )


def test_404_for_an_object_and_for_an_address_the_api_does_not_have(client_for, world):
    client = client_for("coordinator")
    foreign = world.user("foreign_member").memberships.get()

    assert_error(client.get(f"/api/v1/memberships/{foreign.pk}/"), 404, "not_found")
    assert_error(client.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(client.post("/api/v1/no-such-thing/", {}, content_type="application/json"), 404, "not_found")
    assert_error(Client().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_404_for_a_missing_trailing_slash_names_the_address_meant(client_for):
    body = assert_error(client_for("coordinator").get("/api/v1/memberships"), 404, "not_found")

    assert "/api/v1/memberships/" in body["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("delete", "/api/v1/me/"), ("post", "/api/v1/memberships/"), ("get", "/api/v1/tokens/1/revoke/")],
)
def test_405_for_a_method_the_endpoint_does_not_take(client_for, method, path):
    response = getattr(client_for("coordinator"), method)(path)

    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"]


def test_415_for_a_form_post(client_for):
    response = client_for("receiving_member").post("/api/v1/tokens/", {"name": "form"})

    assert_error(response, 415, "unsupported_media_type")
    assert not ApiToken.objects.exists()


def test_406_for_an_accept_header_the_api_cannot_answer(client_for):
    response = client_for("receiving_member").get("/api/v1/me/", headers={"Accept": "application/xml"})

    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"


@pytest.fixture
def low_rates(monkeypatch):
    """Throttle rates of a few requests a minute (the throttles read this dict when each request starts)."""
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "3/minute")


def test_429_after_too_many_requests_of_a_user(client_for, low_rates):
    client = client_for("receiving_member")
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200

    response = client.get("/api/v1/me/")

    assert "throttled" in assert_error(response, 429, "throttled")["detail"].lower()
    assert int(response["Retry-After"]) > 0


def test_anonymous_callers_are_refused_before_any_work(world):
    # Every endpoint, the schema included, needs a signed-in caller: no anonymous traffic reaches a view
    # (so per-IP throttling of anonymous callers is left to allauth's sign-in limits and the proxy).
    response = Client(headers={"Accept": "application/json"}).get("/api/v1/schema/")
    assert_error(response, 401, "not_authenticated")


def test_throttling_counts_each_user_apart(client_for, low_rates):
    member = client_for("receiving_member")
    for _ in range(4):
        member.get("/api/v1/me/")

    assert client_for("receiving_partner_admin").get("/api/v1/me/").status_code == 200


# --- CSRF for session callers -------------------------------------------------------------------------


@pytest.fixture
def csrf_client(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("receiving_member"))
    return client


def _csrf_token(client) -> str:
    client.get("/profile/")  # any page with a form sets the CSRF cookie
    return client.cookies["psn_csrftoken"].value


def test_a_session_post_without_the_csrf_token_is_refused(csrf_client):
    response = csrf_client.post("/api/v1/tokens/", {"name": "x"}, content_type="application/json")

    assert "CSRF" in assert_error(response, 403, "permission_denied")["detail"]
    assert not ApiToken.objects.exists()


def test_a_session_post_with_the_csrf_token_goes_through(csrf_client):
    token = _csrf_token(csrf_client)

    response = csrf_client.post(
        "/api/v1/tokens/", {"name": "x"}, content_type="application/json", headers={"X-CSRFToken": token}
    )

    assert response.status_code == 201


def test_a_session_revoke_without_the_csrf_token_is_refused(csrf_client, world):
    token = ApiToken.objects.create(
        user=world.user("receiving_member"), name="t", key_id="k" * 16, digest="0" * 64, expires_at="2999-01-01T00:00Z"
    )

    assert_error(csrf_client.post(f"/api/v1/tokens/{token.pk}/revoke/"), 403, "permission_denied")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_safe_methods_need_no_csrf_token(csrf_client):
    assert csrf_client.get("/api/v1/me/").status_code == 200


def test_a_bearer_token_needs_no_csrf_token(token_client, world):
    client = token_client("receiving_member")
    client.handler.enforce_csrf_checks = True
    token = ApiToken.objects.filter(user=world.user("receiving_member")).latest("id")

    assert client.post(f"/api/v1/tokens/{token.pk}/revoke/").status_code == 200
