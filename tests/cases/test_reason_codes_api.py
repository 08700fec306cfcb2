"""The reason codes API (/api/v1/reason-codes/): every member of the task force reads the codes (filtered by kind
and active); coordinators add, PATCH, deactivate and reactivate them through the same services as the pages,
audited. Bad input is a 400 naming the field, another task force's code a 404, a missing right a 403."""

from __future__ import annotations

import pytest

from cases.models import ReasonCode, ReasonKind
from cases.reasons import DEFAULT_REASON_CODES
from psn.models import AuditEvent
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

LIST = "/api/v1/reason-codes/"
TOTAL = sum(len(codes) for codes in DEFAULT_REASON_CODES.values())


def detail(code) -> str:
    return f"{LIST}{code.pk}/"


def post(client, url: str, data: dict | None = None):
    return client.post(url, data or {}, content_type="application/json")


def patch(client, url: str, data: dict):
    return client.patch(url, data, content_type="application/json")


@pytest.fixture
def coordinator(client_for):
    return client_for("coordinator")


# --- Reading ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["receiving_member", "sending_referral_staff", "coordinator", "site_admin"])
def test_every_member_reads_the_task_forces_codes_in_order(setup, client_for, key):
    ReasonCode.objects.create(task_force=setup.world.other_tf, kind="decline", code="eastern", label="Eastern")
    response = client_for(key).get(LIST, {"page_size": 200})
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == TOTAL
    first = data["results"][0]
    assert first == {
        "id": setup.code(ReasonKind.DECLINE, "no_capacity").pk,
        "kind": "decline",
        "code": "no_capacity",
        "label": "No capacity",
        "needs_text": False,
        "position": 0,
        "active": True,
    }
    kinds = [row["kind"] for row in data["results"]]
    assert kinds == sorted(kinds)
    assert "eastern" not in {row["code"] for row in data["results"]}


def test_filter_by_kind_and_active(setup, client_for):
    code = setup.code(ReasonKind.OUTCOME, "goals_met")
    ReasonCode.objects.filter(pk=code.pk).update(active=False)
    client = client_for("receiving_member")
    outcomes = client.get(LIST, {"kind": "outcome"}).json()
    assert outcomes["count"] == len(DEFAULT_REASON_CODES[ReasonKind.OUTCOME])
    offered = client.get(LIST, {"kind": "outcome", "active": "true"}).json()
    assert "goals_met" not in {row["code"] for row in offered["results"]}
    assert offered["count"] == len(DEFAULT_REASON_CODES[ReasonKind.OUTCOME]) - 1
    inactive = client.get(LIST, {"active": "false"}).json()
    assert [row["code"] for row in inactive["results"]] == ["goals_met"]
    by_label = client.get(LIST, {"kind": "decline", "ordering": "-label"}).json()["results"]
    assert [row["label"] for row in by_label] == sorted((row["label"] for row in by_label), reverse=True)


@pytest.mark.parametrize("params", [{"kind": "referral"}, {"active": "maybe"}, {"kind": "decline", "active": "1"}])
def test_a_bad_filter_is_a_400(setup, client_for, params):
    response = client_for("receiving_member").get(LIST, params)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {name for name, value in params.items() if value != "decline"}


@pytest.mark.parametrize("extra", [0, 30])
def test_the_list_has_a_constant_number_of_queries(setup, client_for, django_assert_num_queries, extra):
    for index in range(extra):
        ReasonCode.objects.create(task_force=setup.world.tf, kind=ReasonKind.DECLINE, code=f"d{index}", label="x")
    client = client_for("receiving_member")
    # session, user, the actor's memberships; the count and the page of codes.
    with django_assert_num_queries(5):
        response = client.get(LIST, {"page_size": 200})
    assert response.json()["count"] == TOTAL + extra


def test_one_code_and_the_ones_that_do_not_exist_for_the_caller(setup, client_for):
    client = client_for("receiving_member")
    code = setup.code(ReasonKind.WITHDRAW, "other")
    assert client.get(detail(code)).json()["needs_text"] is True
    foreign = setup.code(ReasonKind.WITHDRAW, "other", task_force=setup.world.other_tf)
    for url in (detail(foreign), f"{LIST}99999999999999999999/", f"{LIST}abc/", f"{LIST}0/", f"{LIST}-1/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"


def test_a_member_of_two_task_forces_reads_the_one_they_name(setup, client):
    user = UserFactory(email="both@example.org")
    MembershipFactory(user=user, partner=setup.world.receiving)
    MembershipFactory(user=user, partner=PartnerFactory(task_force=setup.world.other_tf))
    ReasonCode.objects.create(task_force=setup.world.other_tf, kind="decline", code="eastern", label="Eastern")
    client.force_login(user)
    data = client.get(LIST, {"kind": "decline", "page_size": 200}, headers={"X-Task-Force": "edt"}).json()
    assert "eastern" in {row["code"] for row in data["results"]}
    data = client.get(LIST, {"kind": "decline", "page_size": 200}, headers={"X-Task-Force": "wdt"}).json()
    assert "eastern" not in {row["code"] for row in data["results"]}


# --- Writing ---------------------------------------------------------------------------------------------------


def test_a_coordinator_adds_a_code(setup, coordinator):
    response = post(coordinator, LIST, {"kind": "unsuccessful", "code": "in_treatment", "label": "In treatment"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["kind"], data["code"], data["label"], data["position"], data["active"]) == (
        "unsuccessful",
        "in_treatment",
        "In treatment",
        0,
        True,
    )
    code = ReasonCode.objects.get(pk=data["id"])
    assert code.task_force == setup.world.tf
    event = AuditEvent.objects.get(action="created", object_type="cases.reasoncode")
    assert event.object_id == str(code.pk) and event.actor == setup.world.user("coordinator")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "decline", "code": "no_capacity", "label": "Again"}, "code"),
        ({"kind": "decline", "code": "NO CAPACITY", "label": "Again"}, "code"),
        ({"kind": "decline", "code": "x" * 51, "label": "x"}, "code"),
        ({"kind": "decline", "code": "", "label": "x"}, "code"),
        ({"kind": "decline", "code": "fresh", "label": ""}, "label"),
        ({"kind": "decline", "code": "fresh", "label": "   "}, "label"),
        ({"kind": "decline", "code": "fresh", "label": "x" * 100_000}, "label"),
        ({"kind": "decline", "code": "fresh", "label": ["x"]}, "label"),
        ({"kind": "decline", "code": "fresh", "label": "a\x00b"}, "label"),
        ({"kind": "decline", "code": "fre\x00sh", "label": "x"}, "code"),
        ({"kind": "decline", "code": "fresh", "label": "x", "position": -1}, "position"),
        ({"kind": "decline", "code": "fresh", "label": "x", "position": 2**63}, "position"),
        ({"kind": "decline", "code": "fresh", "label": "x", "position": "first"}, "position"),
        ({"kind": "decline", "code": "fresh", "label": "x", "needs_text": "perhaps"}, "needs_text"),
        ({"kind": "everything", "code": "fresh", "label": "x"}, "kind"),
        ({"code": "fresh", "label": "x"}, "kind"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(setup, coordinator, payload, field):
    before = ReasonCode.objects.count()
    response = post(coordinator, LIST, payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert ReasonCode.objects.count() == before


def test_a_body_that_is_not_an_object_is_a_400(setup, coordinator):
    response = coordinator.post(LIST, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    response = coordinator.post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_coordinator_patches_the_label_and_position(setup, coordinator):
    code = setup.code(ReasonKind.DECLINE, "not_eligible")
    response = patch(coordinator, detail(code), {"label": "Outside our criteria", "position": 7})
    assert response.status_code == 200, response.content
    assert response.json()["label"] == "Outside our criteria"
    code.refresh_from_db()
    assert (code.label, code.position, code.code) == ("Outside our criteria", 7, "not_eligible")
    event = AuditEvent.objects.get(action="changed", object_type="cases.reasoncode")
    assert event.changes == {"label": ["Not eligible", "Outside our criteria"], "position": ["1", "7"]}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "renamed"}, "code"),
        ({"kind": "outcome"}, "kind"),
        ({"label": ""}, "label"),
        ({"label": "x" * 121}, "label"),
        ({"position": 40000}, "position"),
        ({"needs_text": None}, "needs_text"),
    ],
)
def test_a_bad_patch_is_a_400_and_changes_nothing(setup, coordinator, payload, field):
    code = setup.code(ReasonKind.DECLINE, "not_eligible")
    response = patch(coordinator, detail(code), payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    code.refresh_from_db()
    assert (code.code, code.kind, code.label, code.position) == ("not_eligible", "decline", "Not eligible", 1)


def test_put_and_delete_are_not_offered(setup, coordinator):
    code = setup.code(ReasonKind.DECLINE, "not_eligible")
    assert coordinator.put(detail(code), {"label": "x"}, content_type="application/json").status_code == 405
    assert coordinator.delete(detail(code)).status_code == 405
    assert ReasonCode.objects.filter(pk=code.pk).exists()


def test_deactivate_and_reactivate(setup, coordinator):
    code = setup.code(ReasonKind.DECLINE, "duplicate")
    response = post(coordinator, f"{detail(code)}deactivate/")
    assert response.status_code == 200 and response.json()["active"] is False
    assert post(coordinator, f"{detail(code)}deactivate/").json()["active"] is False  # twice is harmless
    assert AuditEvent.objects.filter(action="changed", object_type="cases.reasoncode").count() == 1
    offered = coordinator.get(LIST, {"kind": "decline", "active": "true"}).json()
    assert "duplicate" not in {row["code"] for row in offered["results"]}
    response = post(coordinator, f"{detail(code)}reactivate/")
    assert response.status_code == 200 and response.json()["active"] is True
    assert AuditEvent.objects.filter(action="changed", object_type="cases.reasoncode").count() == 2


def test_the_last_active_code_of_a_kind_cannot_be_deactivated(setup, coordinator):
    ReasonCode.objects.filter(task_force=setup.world.tf, kind=ReasonKind.WITHDRAW).exclude(code="other").update(
        active=False
    )
    last = setup.code(ReasonKind.WITHDRAW, "other")
    response = post(coordinator, f"{detail(last)}deactivate/")
    assert response.status_code == 400
    assert "last active code" in response.json()["errors"]["non_field_errors"][0]
    last.refresh_from_db()
    assert last.active


def test_a_deactivated_code_is_refused_when_declining_through_the_api(setup, coordinator, client_for):
    code = setup.code(ReasonKind.DECLINE, "no_capacity")
    post(coordinator, f"{detail(code)}deactivate/")
    referral = setup.submitted()
    response = post(
        client_for("receiving_referral_staff"), f"/api/v1/referrals/{referral.pk}/decline/", {"reason": code.code}
    )
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


# --- Who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["receiving_member", "receiving_partner_admin", "sending_referral_staff"])
def test_members_read_but_do_not_write(setup, client_for, key):
    client = client_for(key)
    code = setup.code(ReasonKind.DECLINE, "duplicate")
    responses = [
        post(client, LIST, {"kind": "decline", "code": "sneaky", "label": "Sneaky"}),
        patch(client, detail(code), {"label": "Sneaky"}),
        post(client, f"{detail(code)}deactivate/"),
        post(client, f"{detail(code)}reactivate/"),
    ]
    assert [response.status_code for response in responses] == [403] * 4
    assert AuditEvent.objects.filter(action="permission_denied").count() == 4
    code.refresh_from_db()
    assert (code.label, code.active) == ("Duplicate referral", True)
    assert not ReasonCode.objects.filter(code="sneaky").exists()


def test_the_right_comes_before_the_payload(setup, client_for):
    response = post(client_for("receiving_member"), LIST, {"kind": "nonsense"})
    assert response.status_code == 403


def test_another_task_forces_code_is_a_404_even_for_a_coordinator(setup, coordinator):
    foreign = setup.code(ReasonKind.DECLINE, "duplicate", task_force=setup.world.other_tf)
    assert patch(coordinator, detail(foreign), {"label": "Mine"}).status_code == 404
    assert post(coordinator, f"{detail(foreign)}deactivate/").status_code == 404
    foreign.refresh_from_db()
    assert (foreign.label, foreign.active) == ("Duplicate referral", True)


def test_signed_out_is_a_401(setup, client):
    assert client.get(LIST).status_code == 401
