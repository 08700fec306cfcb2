"""The research pages and API: who downloads (audited), what a grant's end does, constant query counts."""

from __future__ import annotations

import datetime

import pytest

from psn.models import AuditEvent
from research import services
from research.models import ResearchExtract, ResearchGrant
from tests.conftest import login_client

from .support import actor, extract, grant, research_partner


@pytest.fixture
def done(world, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path / "media"
    partner = research_partner(world)
    the_grant = grant(world, partner)
    return extract(world, the_grant, django_capture_on_commit_callbacks)


def _client(world, key):
    return login_client(world.user(key), world.tf)


def _read(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("path", ["/research/extracts/{pk}/download/", "/api/v1/research/extracts/{pk}/download/"])
def test_a_research_member_downloads_and_each_download_is_audited(world, done, path):
    client = _client(world, "research_member")

    for _ in range(2):
        response = client.get(path.format(pk=done.pk))
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert _read(response).startswith(b"PK")

    events = AuditEvent.objects.filter(action="exported", object_type="research.researchextract")
    assert [(e.actor, e.object_id) for e in events] == [(world.user("research_member"), str(done.pk))] * 2


@pytest.mark.parametrize("key", ["sending_member", "receiving_partner_admin", "outsider_referral_staff"])
def test_a_member_of_a_non_research_partner_cannot_download(world, done, key):
    client = _client(world, key)

    assert client.get(f"/research/extracts/{done.pk}/download/").status_code == 403
    assert client.get(f"/api/v1/research/extracts/{done.pk}/download/").status_code == 403
    assert client.get("/research/extracts/").status_code == 403
    assert not AuditEvent.objects.filter(action="exported").exists()


def test_after_the_grant_is_revoked_the_extract_is_gone_for_the_partner_and_locked_for_coordinators(world, done):
    services.grant_revoke(actor=actor(world), grant=done.grant)
    researcher, coordinator = _client(world, "research_member"), _client(world, "coordinator")

    assert researcher.get(f"/research/extracts/{done.pk}/").status_code == 404
    assert researcher.get(f"/api/v1/research/extracts/{done.pk}/download/").status_code == 404
    assert researcher.get("/api/v1/research/extracts/").json()["results"] == []
    assert coordinator.get(f"/research/extracts/{done.pk}/").status_code == 200
    assert coordinator.get(f"/research/extracts/{done.pk}/download/").status_code == 403
    assert not AuditEvent.objects.filter(action="exported").exists()


def test_an_expired_grant_ends_downloads_and_takes_no_new_extract(world, done):
    type(done.grant).objects.filter(pk=done.grant.pk).update(valid_until=datetime.date(2020, 1, 1))
    coordinator = _client(world, "coordinator")

    assert _client(world, "research_member").get(f"/research/extracts/{done.pk}/download/").status_code == 404
    response = coordinator.post("/api/v1/research/extracts/", {"grant": done.grant.pk}, content_type="application/json")
    assert response.status_code == 409
    assert ResearchExtract.objects.count() == 1


def test_the_api_creates_a_grant_and_an_extract_and_reports_its_k(
    world, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    partner = research_partner(world)
    client = _client(world, "coordinator")
    body = {
        "partner": partner.pk,
        "period_start": "2020-01-01",
        "period_end": "2020-12-31",
        "valid_until": "2999-01-01",
    }

    made = client.post("/api/v1/research/grants/", body, content_type="application/json")
    assert made.status_code == 201 and "secret" not in made.json()
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(
            "/api/v1/research/extracts/", {"grant": made.json()["id"]}, content_type="application/json"
        )
    assert queued.status_code == 202
    detail = client.get(queued["Location"]).json()

    assert (detail["status"], detail["k"], detail["quasi_identifiers"]) == (
        "done",
        None,
        ["age_band", "neighborhood", "language"],
    )
    assert "secret" not in detail


def test_a_grant_to_a_partner_that_is_not_research_is_refused(world):
    client = _client(world, "coordinator")
    body = {
        "partner": world.receiving.pk,
        "period_start": "2020-01-01",
        "period_end": "2020-12-31",
        "valid_until": "2999-01-01",
    }

    response = client.post("/api/v1/research/grants/", body, content_type="application/json")

    assert response.status_code == 400 and "partner" in response.json()["errors"]
    assert client.post("/research/grants/create/", body).status_code == 400
    assert not ResearchGrant.objects.exists()


def test_the_pages_answer_in_constant_queries(
    world, done, django_assert_num_queries, django_capture_on_commit_callbacks
):
    for _ in range(4):
        extract(world, done.grant, django_capture_on_commit_callbacks)
        grant(world, done.grant.partner)
    coordinator, researcher = _client(world, "coordinator"), _client(world, "research_member")
    coordinator.get("/research/grants/")  # warm the session

    # session, user, memberships with counts; grants page: count, rows; the request form's research partners
    with django_assert_num_queries(6):
        assert coordinator.get("/research/grants/").status_code == 200
    # session, user, memberships; count, rows; the active grants (is there any?) and the form's choices of them
    with django_assert_num_queries(7):
        assert coordinator.get("/research/extracts/").status_code == 200
    with django_assert_num_queries(5):  # no form for the research partner
        assert researcher.get("/research/extracts/").status_code == 200
    # session, user, memberships; the extract exists here; the extract with its grant, partner, author
    with django_assert_num_queries(5):
        assert researcher.get(f"/research/extracts/{done.pk}/").status_code == 200
    with django_assert_num_queries(5):  # session, user, memberships, count, rows
        assert coordinator.get("/api/v1/research/extracts/").status_code == 200
