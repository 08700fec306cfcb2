"""The consents API: the list (scope, the person filter, constant queries), one consent, recording one as JSON or
multipart with the signed form (checked by content and size; a refusal writes no row and no file) and revoking
one, which answers the open referrals left without consent (naming only those the caller sees)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import lifecycle
from cases.consent import CONSENT_FILE_MAX_BYTES
from cases.models import Consent
from tests.factories import ConsentFactory, PartnerFactory

from .support import PDF, today

pytestmark = pytest.mark.django_db

LIST = "/api/v1/consents/"


def detail(consent) -> str:
    return f"{LIST}{consent.pk}/"


def post(client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


def files_in(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def referred(setup):
    setup.referral = setup.submitted()
    setup.consent = Consent.objects.get(person=setup.person)
    return setup


def payload(setup, **overrides) -> dict:
    data = {
        "person": setup.person.pk,
        "scope": "partners",
        "partners": [setup.world.receiving.pk],
        "shares": ["contact"],
        "method": "verbal",
        "given_on": str(today(setup.world.tf)),
    }
    return data | overrides


# --- Reading ------------------------------------------------------------------------------------------------


def test_the_list_holds_the_consents_of_people_one_may_read(referred, client_for):
    rows = client_for("receiving_member").get(LIST).json()["results"]
    assert [r["id"] for r in rows] == [referred.consent.pk]
    assert rows[0]["state"] == "valid" and rows[0]["file_url"] is None
    for key in ("outsider_partner_admin", "coordinator", "foreign_coordinator"):
        assert client_for(key).get(LIST).json()["results"] == [], key


def test_the_list_filters_by_person(referred, client_for, world):
    other = ConsentFactory(person=referred.person)
    client = client_for("receiving_member")
    assert {r["id"] for r in client.get(f"{LIST}?person={referred.person.pk}").json()["results"]} == {
        referred.consent.pk,
        other.pk,
    }
    assert client.get(f"{LIST}?person=999999").json()["results"] == []
    assert client.get(f"{LIST}?person=abc").status_code == 400


def test_the_list_takes_a_constant_number_of_queries(referred, client_for, world, django_assert_num_queries):
    for _ in range(30):
        ConsentFactory(person=referred.person, scope="partners", partners=[world.receiving, world.outsider])
    client = client_for("receiving_member")
    client.get(LIST)
    # session, user, memberships, count, rows (with person and recorders), their partners, the audit event
    with django_assert_num_queries(7):
        response = client.get(LIST)
    assert response.json()["count"] == 31


def test_one_consent(referred, client_for):
    data = client_for("sending_member").get(detail(referred.consent)).json()
    assert data["person"] == referred.person.pk and data["scope"] == "task_force"
    assert client_for("outsider_partner_admin").get(detail(referred.consent)).status_code == 404
    assert client_for("receiving_member").get(f"{LIST}abc/").status_code == 404


# --- Recording ----------------------------------------------------------------------------------------------


def test_staff_record_consent_as_json(referred, client_for, world):
    response = post(client_for("receiving_referral_staff"), LIST, payload(referred, expires_on=None))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["partners"] == [{"id": world.receiving.pk, "name": world.receiving.name}]
    assert data["recorded_by_partner"]["id"] == world.receiving.pk and data["state"] == "valid"


def test_a_signed_form_is_uploaded_as_multipart(referred, client_for, media):
    data = payload(referred, method="upload", file=SimpleUploadedFile("form.pdf", PDF))
    data["partners"] = [referred.world.receiving.pk]
    response = client_for("receiving_referral_staff").post(LIST, data)
    assert response.status_code == 201, response.content
    consent = Consent.objects.get(pk=response.json()["id"])
    assert response.json()["file_url"] == f"/people/consents/{consent.pk}/file/"
    assert len(files_in(media)) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"method": "upload"},
        {"given_on": "2999-01-01"},
        {"given_on": "2024-02-30"},
        {"given_on": "2024-05-01", "expires_on": "2024-04-01"},
        {"scope": "partners", "partners": []},
        {"scope": "task_force"},  # names partners: a task-force consent names none
        {"partners": [999999999]},
        {"partners": ["abc"]},
        {"shares": []},
        {"shares": ["secrets"]},
        {"method": "telepathy"},
        {"person": 999999999},
        {"person": "abc"},
    ],
)
def test_bad_json_is_a_400_and_writes_nothing(referred, client_for, overrides):
    response = post(client_for("receiving_referral_staff"), LIST, payload(referred, **overrides))
    assert response.status_code == 400, response.content
    assert Consent.objects.count() == 1


def test_a_partner_of_another_task_force_is_a_400(referred, client_for):
    response = post(
        client_for("receiving_referral_staff"), LIST, payload(referred, partners=[referred.world.foreign.pk])
    )
    assert response.status_code == 400 and "partners" in response.json()["errors"]


@pytest.mark.parametrize(
    ("name", "content"), [("a.pdf", b"<html>hello</html>"), ("big.pdf", PDF + b"0" * CONSENT_FILE_MAX_BYTES)]
)
def test_a_wrong_type_or_oversized_form_is_a_400_and_leaves_no_file(referred, client_for, media, name, content):
    data = payload(referred, method="upload", file=SimpleUploadedFile(name, content))
    response = client_for("receiving_referral_staff").post(LIST, data)
    assert response.status_code == 400 and "file" in response.json()["errors"]
    assert Consent.objects.count() == 1 and files_in(media) == []


def test_a_person_of_another_task_force_is_a_400(referred, client_for, world):
    from .support import make_person

    theirs = make_person(world.other_tf, "Far", "Away", created_by=world.user("foreign_referral_staff"))
    response = post(client_for("receiving_referral_staff"), LIST, payload(referred, person=theirs.pk))
    assert response.status_code == 400 and "person" in response.json()["errors"]


def test_members_may_not_record_consent(referred, client_for):
    assert post(client_for("receiving_member"), LIST, payload(referred)).status_code == 403
    assert post(client_for("receiving_member"), LIST, {"person": "junk"}).status_code == 403  # the right first
    assert Consent.objects.count() == 1


# --- Revoking -----------------------------------------------------------------------------------------------


def test_revoking_answers_the_open_referrals_left_without_consent(referred, client_for, world):
    elsewhere = PartnerFactory(task_force=world.tf, name="Elsewhere Clinic")
    outsider = "outsider_referral_staff"
    draft = referred.draft(outsider, sending_partner=world.outsider, receiving_partner=elsewhere)
    lifecycle.referral_submit(actor=referred.actor(outsider), referral=draft)
    response = post(client_for("receiving_referral_staff"), f"{detail(referred.consent)}revoke/", {"reason": "Asked"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["consent"]["state"] == "revoked" and data["consent"]["revoke_reason"] == "Asked"
    assert [r["reference"] for r in data["affected_referrals"]] == [referred.referral.reference]
    assert data["affected_elsewhere"] == 1


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 301}])
def test_a_revocation_needs_a_reason(referred, client_for, body):
    response = post(client_for("receiving_referral_staff"), f"{detail(referred.consent)}revoke/", body)
    assert response.status_code == 400
    referred.consent.refresh_from_db()
    assert referred.consent.revoked_at is None


def test_a_consent_is_revoked_once(referred, client_for):
    client = client_for("receiving_referral_staff")
    assert post(client, f"{detail(referred.consent)}revoke/", {"reason": "Asked"}).status_code == 200
    again = post(client, f"{detail(referred.consent)}revoke/", {"reason": "Again"})
    assert again.status_code == 400
    referred.consent.refresh_from_db()
    assert referred.consent.revoke_reason == "Asked"


@pytest.mark.parametrize(
    ("key", "status"), [("receiving_member", 403), ("outsider_partner_admin", 404), ("coordinator", 404)]
)
def test_who_may_not_revoke(referred, client_for, key, status):
    response = post(client_for(key), f"{detail(referred.consent)}revoke/", {"reason": "No"})
    assert response.status_code == status
    referred.consent.refresh_from_db()
    assert referred.consent.revoked_at is None
