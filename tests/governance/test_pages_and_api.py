"""The retention schedule, the legal holds, the dry run and the purge runs: pages and API (coordinators), their
audit events, refusals with a reason, and constant query counts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from governance import services
from governance.models import LegalHold, RetentionSchedule
from psn.models import AuditEvent
from tests.cases.support import build_setup

from .support import person, referral

AU11 = "Audit events must be kept at least 365 days (CJIS Security Policy, AU-11)."


@pytest.fixture
def setup(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_setup(world)


def _events(action: str, object_type: str):
    return list(AuditEvent.objects.filter(action=action, object_type=object_type).order_by("pk"))


# --- Schedule --------------------------------------------------------------------------------------------------------


def test_the_schedule_refuses_less_than_a_year_for_audit_events(world, setup, client_for):
    coordinator = setup.actor("coordinator")
    with pytest.raises(ValidationError) as refused:
        services.retention_schedule_update(actor=coordinator, values={"audit_days": 364})
    assert refused.value.message_dict == {"audit_days": [AU11]}

    page = client_for("coordinator").post(
        reverse("governance:retention"),
        {"referral_days": 400, "person_days": 400, "consent_days": 400, "audit_days": 100},
    )
    assert page.status_code == 400 and AU11 in page.content.decode()

    api = client_for("coordinator").patch(
        "/api/v1/governance/retention/", {"audit_days": 30}, content_type="application/json"
    )
    assert api.status_code == 400 and api.json()["errors"] == {"audit_days": [AU11]}
    assert not RetentionSchedule.objects.exists()


def test_a_schedule_change_is_audited_with_the_changed_fields(world, setup, client_for):
    response = client_for("coordinator").patch(
        "/api/v1/governance/retention/", {"referral_days": 1000}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["referral_days"] == 1000
    page = client_for("coordinator").post(
        reverse("governance:retention"),
        {"referral_days": 1000, "person_days": 900, "consent_days": 2555, "audit_days": 2555},
    )
    assert page.status_code == 302
    first, second = _events("changed", "governance.retentionschedule")
    assert first.changes == {"referral_days": ["2555", "1000"]}
    assert second.changes == {"person_days": ["2555", "900"]}
    assert RetentionSchedule.objects.get(task_force=world.tf).person_days == 900


# --- Holds -----------------------------------------------------------------------------------------------------------


def test_placing_and_releasing_a_hold_is_audited(world, setup, client_for):
    made = referral(world, person(world))
    client = client_for("coordinator")
    placed = client.post(
        reverse("governance:hold_place"), {"kind": "referral", "record": made.reference, "reason": "x"}
    )
    assert placed.status_code == 302
    hold = LegalHold.objects.get()
    assert (hold.referral_id, hold.record_label, hold.placed_by) == (made.pk, made.reference, world.user("coordinator"))
    [created] = _events("created", "governance.legalhold")
    assert created.changes == {"record": made.reference, "until": None}

    released = client.post(f"/api/v1/governance/holds/{hold.pk}/release/", content_type="application/json")
    assert released.status_code == 200 and released.json()["released_at"]
    [changed] = _events("changed", "governance.legalhold")
    assert list(changed.changes) == ["released_at"]
    again = client.post(f"/api/v1/governance/holds/{hold.pk}/release/", content_type="application/json")
    assert again.status_code == 409
    assert len(_events("changed", "governance.legalhold")) == 1


def test_a_hold_on_an_unknown_record_is_refused_with_a_reason(world, setup, client_for):
    client = client_for("coordinator")
    page = client.post(reverse("governance:hold_place"), {"kind": "referral", "record": "R-NOPE", "reason": "x"})
    assert page.status_code == 400 and "No referral R-NOPE in this task force." in page.content.decode()
    foreign = person(world)
    foreign.task_force = world.other_tf
    foreign.save()
    api = client.post(
        "/api/v1/governance/holds/",
        {"kind": "person", "record": str(foreign.pk), "reason": "x"},
        content_type="application/json",
    )
    assert api.status_code == 400 and "record" in api.json()["errors"]
    assert not LegalHold.objects.exists()


def test_a_person_hold_by_api(world, setup, client_for):
    held = person(world)
    response = client_for("coordinator").post(
        "/api/v1/governance/holds/",
        {"kind": "person", "record": str(held.pk), "reason": "subpoena", "until": "2099-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["person"] == held.pk and response.json()["record_label"] == f"person {held.pk}"


# --- Query counts -----------------------------------------------------------------------------------------------------


def _fill(world, setup, n: int) -> None:
    coordinator = setup.actor("coordinator")
    for i in range(n):
        who = person(world)
        services.hold_place(actor=coordinator, kind="person", record=str(who.pk), reason=f"case {i}")
        services.retention_purge(task_force=world.tf)


@pytest.mark.parametrize("n", [1, 4])
def test_the_pages_read_a_constant_number_of_queries(world, setup, client_for, django_assert_num_queries, n):
    _fill(world, setup, n)
    client = client_for("coordinator")
    # Each: the session, the user, the actor's memberships with the navigation's counts, then the page's reads.
    with django_assert_num_queries(5):  # + the schedule, the runs
        assert client.get(reverse("governance:retention")).status_code == 200
    with django_assert_num_queries(13):  # + the schedule, the nine aggregates of the dry run
        assert client.get(reverse("governance:dry_run")).status_code == 200
    with django_assert_num_queries(4):  # + the holds with their users (one join)
        assert client.get(reverse("governance:hold_list")).status_code == 200


@pytest.mark.parametrize("n", [1, 4])
def test_the_api_lists_read_a_constant_number_of_queries(world, setup, client_for, django_assert_num_queries, n):
    _fill(world, setup, n)
    client = client_for("coordinator")
    with django_assert_num_queries(5):  # session, user, memberships, count, page
        assert client.get("/api/v1/governance/holds/").json()["count"] == n
    with django_assert_num_queries(5):
        assert client.get("/api/v1/governance/purge-runs/").json()["count"] == n
