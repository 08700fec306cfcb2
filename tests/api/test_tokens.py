"""/api/v1/tokens/: personal API tokens. The secret is shown once (in the creation answer), stored only as a
digest, never listed; a token expires and can be revoked, after which it opens nothing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from psn.models import AuditEvent

from .bodies import assert_error


def _create(client, **data):
    return client.post("/api/v1/tokens/", {"name": "nightly export", **data}, content_type="application/json")


def test_create_returns_the_secret_once(client_for, world):
    response = _create(client_for("receiving_member"), expires_in_days=30)

    assert response.status_code == 201
    body = response.json()
    assert body["token"].startswith("psn_")
    assert body["name"] == "nightly export"
    assert body["revoked_at"] is None
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == world.user("receiving_member")
    assert body["token"] not in (token.digest, token.key_id)  # stored hashed
    assert token.digest == ApiToken.digest_for(body["token"].split("_", 2)[2])
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert AuditEvent.objects.filter(
        action="created", object_type="accounts.apitoken", object_id=str(token.pk)
    ).exists()


def test_the_default_expiry_applies(client_for, settings):
    body = _create(client_for("receiving_member")).json()

    token = ApiToken.objects.get(pk=body["id"])
    assert token.expires_at - timezone.now() > timedelta(days=settings.PSN_API_TOKEN_DEFAULT_DAYS - 1)


def test_the_secret_is_never_listed_or_shown_again(client_for):
    client = client_for("receiving_member")
    secret = _create(client).json()["token"]

    listing = client.get("/api/v1/tokens/")
    detail = client.get(f"/api/v1/tokens/{listing.json()['results'][0]['id']}/")

    for response in (listing, detail):
        assert response.status_code == 200
        assert secret not in response.content.decode()
        assert secret.split("_", 2)[2] not in response.content.decode()
    assert set(listing.json()["results"][0]) == {"id", "name", "created_at", "expires_at", "last_used_at", "revoked_at"}


def test_the_list_holds_only_the_callers_tokens(client_for):
    _create(client_for("receiving_member"), name="mine")
    _create(client_for("receiving_partner_admin"), name="my admin's")

    rows = client_for("receiving_member").get("/api/v1/tokens/").json()["results"]

    assert [row["name"] for row in rows] == ["mine"]


def test_the_secret_authenticates_and_records_its_use(client_for, world):
    body = _create(client_for("receiving_member")).json()

    response = Client().get("/api/v1/me/", headers={"Authorization": f"Bearer {body['token']}"})

    assert response.status_code == 200
    assert response.json()["email"] == world.user("receiving_member").email
    assert ApiToken.objects.get(pk=body["id"]).last_used_at is not None


def test_revoke(client_for):
    client = client_for("receiving_member")
    body = _create(client).json()

    response = client.post(f"/api/v1/tokens/{body['id']}/revoke/")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert "token" not in response.json()
    assert ApiToken.objects.get(pk=body["id"]).revoked_at is not None
    assert AuditEvent.objects.filter(
        action="changed", object_id=str(body["id"]), changes={"revoked": [False, True]}
    ).exists()


def test_a_revoked_token_opens_nothing(client_for):
    client = client_for("receiving_member")
    body = _create(client).json()
    client.post(f"/api/v1/tokens/{body['id']}/revoke/")

    response = Client().get("/api/v1/me/", headers={"Authorization": f"Bearer {body['token']}"})

    assert "revoked" in assert_error(response, 401, "authentication_failed")["detail"]


def test_revoking_twice_keeps_the_first_time_and_one_audit_event(client_for):
    client = client_for("receiving_member")
    token_id = _create(client).json()["id"]

    first = client.post(f"/api/v1/tokens/{token_id}/revoke/").json()["revoked_at"]
    second = client.post(f"/api/v1/tokens/{token_id}/revoke/")

    assert second.status_code == 200
    assert second.json()["revoked_at"] == first
    assert AuditEvent.objects.filter(action="changed", object_id=str(token_id)).count() == 1


def test_an_expired_token_opens_nothing(client_for):
    body = _create(client_for("receiving_member")).json()
    ApiToken.objects.filter(pk=body["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = Client().get("/api/v1/me/", headers={"Authorization": f"Bearer {body['token']}"})

    assert_error(response, 401, "authentication_failed")


@pytest.mark.parametrize("action", ["detail", "revoke"])
def test_someone_elses_token_is_404(client_for, action):
    token_id = _create(client_for("receiving_member")).json()["id"]
    client = client_for("coordinator")  # not even a coordinator sees a colleague's token

    if action == "detail":
        response = client.get(f"/api/v1/tokens/{token_id}/")
    else:
        response = client.post(f"/api/v1/tokens/{token_id}/revoke/")

    assert_error(response, 404, "not_found")
    assert ApiToken.objects.get(pk=token_id).revoked_at is None


def test_a_token_cannot_mint_another_token(token_client, world):
    # A leaked token must not be able to create a longer-lived one that survives its own revocation.
    client = token_client("receiving_member")
    before = ApiToken.objects.count()

    response = _create(client, expires_in_days=365)

    assert response.status_code == 403
    assert "signed-in session" in response.json()["detail"]
    assert ApiToken.objects.count() == before


def test_a_token_can_revoke_tokens_without_csrf(token_client, world):
    client = token_client("receiving_member")
    own = ApiToken.objects.filter(user=world.user("receiving_member")).latest("id")

    assert client.post(f"/api/v1/tokens/{own.pk}/revoke/").status_code == 200


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 366}, "expires_in_days"),
        ({"expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_invalid_token_requests_are_400_and_create_nothing(client_for, data, field):
    response = _create(client_for("receiving_member"), **data)

    assert list(assert_error(response, 400, "invalid")["errors"]) == [field]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_tokens_are_revoked_not_edited_or_deleted(client_for, method):
    client = client_for("receiving_member")
    token_id = _create(client).json()["id"]

    response = getattr(client, method)(f"/api/v1/tokens/{token_id}/", {"name": "x"}, content_type="application/json")

    assert_error(response, 405, "method_not_allowed")
    assert ApiToken.objects.filter(pk=token_id, name="nightly export").exists()
