"""The reason codes pages (/referrals/reason-codes/): coordinators list the task force's codes by kind, add, edit,
deactivate and reactivate them (never delete), every change audited; a deactivated code is no longer offered in the
transition forms, while the referrals that used it keep it. Everyone else gets a 403; another task force's code a
404. Bad input is a form error next to its field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import reasons
from cases.models import ReasonCode, ReasonKind, Status
from psn.models import AuditEvent

LIST = reverse("cases:reason_code_list")
CREATE = reverse("cases:reason_code_create")


def edit(code) -> str:
    return reverse("cases:reason_code_edit", args=[code.pk])


def deactivate(code) -> str:
    return reverse("cases:reason_code_deactivate", args=[code.pk])


def reactivate(code) -> str:
    return reverse("cases:reason_code_reactivate", args=[code.pk])


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def coordinator(client_for):
    return client_for("coordinator")


# --- The list --------------------------------------------------------------------------------------------------


def test_the_list_shows_every_kind_with_its_codes_in_order(setup, coordinator):
    no_capacity = setup.code(ReasonKind.DECLINE, "no_capacity")
    reasons.reason_code_deactivate(actor=setup.actor("coordinator"), reason_code=no_capacity)
    response = coordinator.get(LIST)
    assert response.status_code == 200
    page = text(response)
    for _kind, label in ReasonKind.choices:
        assert str(label) in page
    # Within its list, by position: "No capacity" (0) before "Not eligible" (1); the inactive one still listed.
    assert page.index("No capacity") < page.index("Not eligible") < page.index("Person unreachable")
    assert reactivate(no_capacity) in page
    assert deactivate(setup.code(ReasonKind.DECLINE, "not_eligible")) in page
    assert "goals_met" in page and "Goals met" in page
    assert f"{CREATE}?kind=outcome" in page


def test_another_task_forces_codes_are_not_listed(setup, coordinator):
    foreign = ReasonCode.objects.create(
        task_force=setup.world.other_tf, kind=ReasonKind.DECLINE, code="eastern_only", label="Eastern only"
    )
    page = text(coordinator.get(LIST))
    assert "Eastern only" not in page and edit(foreign) not in page


@pytest.mark.parametrize("extra", [0, 20])
def test_the_list_has_a_constant_number_of_queries(setup, coordinator, django_assert_num_queries, extra):
    for index in range(extra):
        ReasonCode.objects.create(task_force=setup.world.tf, kind=ReasonKind.OUTCOME, code=f"o{index}", label="x")
    # session, user, memberships (the actor); the codes; the messages' session write is none (no message).
    with django_assert_num_queries(4):
        response = coordinator.get(LIST)
    assert response.status_code == 200


def test_coordinators_see_the_nav_link_others_do_not(setup, client_for):
    assert LIST in text(client_for("coordinator").get(reverse("cases:referral_list")))
    assert LIST not in text(client_for("receiving_partner_admin").get(reverse("cases:referral_list")))


# --- Adding ----------------------------------------------------------------------------------------------------


def test_a_coordinator_adds_a_code_and_it_is_offered_and_audited(setup, coordinator, client_for):
    assert 'value="unsuccessful" selected' in text(coordinator.get(CREATE, {"kind": "unsuccessful"}))
    response = coordinator.post(
        CREATE, {"kind": "decline", "code": "Waitlist_Full", "label": "  Waiting list full ", "position": "2"}
    )
    assert response.status_code == 302 and response["Location"] == LIST
    code = ReasonCode.objects.get(task_force=setup.world.tf, kind=ReasonKind.DECLINE, code="waitlist_full")
    assert (code.label, code.position, code.needs_text, code.active) == ("Waiting list full", 2, False, True)
    event = AuditEvent.objects.get(action="created", object_type="cases.reasoncode")
    assert event.object_id == str(code.pk)
    assert event.changes["code"] == [None, "waitlist_full"] and event.changes["label"] == [None, "Waiting list full"]
    assert "Waiting list full" in text(coordinator.get(LIST))
    # The receiving partner may now decline with it.
    referral = setup.submitted()
    detail = text(client_for("receiving_referral_staff").get(reverse("cases:referral_detail", args=[referral.pk])))
    assert "Waiting list full" in detail


def test_the_same_code_in_another_list_or_task_force_is_fine(setup, coordinator, client_for):
    assert coordinator.post(CREATE, {"kind": "outcome", "code": "no_capacity", "label": "x"}).status_code == 302
    foreign = client_for("foreign_coordinator")
    assert foreign.post(CREATE, {"kind": "decline", "code": "no_capacity_2", "label": "x"}).status_code == 302
    assert ReasonCode.objects.get(code="no_capacity_2").task_force == setup.world.other_tf


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "decline", "code": "no_capacity", "label": "Again"}, "code", "already in this list"),
        ({"kind": "decline", "code": "No_Capacity", "label": "Again"}, "code", "already in this list"),
        ({"kind": "decline", "code": "has space", "label": "x"}, "code", "lower-case letters"),
        ({"kind": "decline", "code": "ünïcode", "label": "x"}, "code", "lower-case letters"),
        ({"kind": "decline", "code": "c" * 51, "label": "x"}, "code", "at most 50 characters"),
        ({"kind": "decline", "code": "fresh", "label": "   "}, "label", "This field is required."),
        ({"kind": "decline", "code": "fresh", "label": "x" * 121}, "label", "at most 120 characters"),
        ({"kind": "decline", "code": "fresh", "label": "a\x00b"}, "label", "Null characters are not allowed."),
        ({"kind": "decline", "code": "fresh", "label": "x", "position": "-1"}, "position", "greater than or equal"),
        ({"kind": "decline", "code": "fresh", "label": "x", "position": "99999"}, "position", "less than or equal"),
        ({"kind": "decline", "code": "fresh", "label": "x", "position": "two"}, "position", "whole number"),
        ({"kind": "referral", "code": "fresh", "label": "x"}, "kind", "Select a valid choice"),
        ({}, "code", "This field is required."),
    ],
)
def test_bad_input_is_a_form_error_next_to_its_field(setup, coordinator, data, field, message):
    before = ReasonCode.objects.count()
    response = coordinator.post(CREATE, data)
    assert response.status_code == 400
    page = text(response)
    assert f'id="id_{field}_error"' in page
    assert message in page.split(f'id="id_{field}_error"')[1].split("</span>")[0]
    assert ReasonCode.objects.count() == before
    assert not AuditEvent.objects.filter(action="created", object_type="cases.reasoncode").exists()


# --- Editing ---------------------------------------------------------------------------------------------------


def test_a_coordinator_edits_the_label_order_and_text_flag_but_not_the_code(setup, coordinator):
    code = setup.code(ReasonKind.UNSUCCESSFUL, "moved_away")
    page = text(coordinator.get(edit(code)))
    assert 'value="Moved away"' in page and "moved_away" in page
    response = coordinator.post(
        edit(code), {"label": "Moved out of the district", "position": "9", "needs_text": "on", "code": "hacked"}
    )
    assert response.status_code == 302 and response["Location"] == LIST
    code.refresh_from_db()
    assert (code.code, code.label, code.position) == ("moved_away", "Moved out of the district", 9)
    assert code.needs_text
    event = AuditEvent.objects.get(action="changed", object_type="cases.reasoncode")
    assert event.changes == {
        "label": ["Moved away", "Moved out of the district"],
        "position": ["2", "9"],
        "needs_text": ["False", "True"],
    }


def test_saving_without_a_change_writes_nothing(setup, coordinator):
    code = setup.code(ReasonKind.UNSUCCESSFUL, "moved_away")
    response = coordinator.post(edit(code), {"label": code.label, "position": str(code.position)})
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(object_type="cases.reasoncode").exists()


def test_an_empty_label_is_refused_and_the_code_unchanged(setup, coordinator):
    code = setup.code(ReasonKind.UNSUCCESSFUL, "moved_away")
    response = coordinator.post(edit(code), {"label": "", "position": "1"})
    assert response.status_code == 400
    assert 'id="id_label_error"' in text(response)
    code.refresh_from_db()
    assert code.label == "Moved away"


def test_relabelling_keeps_the_referrals_pointing_at_the_code(setup, coordinator, client_for):
    referral = setup.submitted()
    code = setup.code(ReasonKind.DECLINE, "no_capacity")
    client_for("receiving_referral_staff").post(
        reverse("cases:referral_act", args=[referral.pk, "decline"]), {"reason": code.pk}
    )
    referral.refresh_from_db()
    assert referral.close_reason_id == code.pk
    coordinator.post(edit(code), {"label": "Full for now", "position": "0"})
    referral.refresh_from_db()
    assert referral.close_reason.label == "Full for now"


# --- Deactivating and reactivating ------------------------------------------------------------------------------


def test_a_deactivated_code_is_no_longer_offered_but_referrals_keep_it(setup, coordinator, client_for):
    declined = setup.submitted()
    code = setup.code(ReasonKind.DECLINE, "no_capacity")
    staff = client_for("receiving_referral_staff")
    staff.post(reverse("cases:referral_act", args=[declined.pk, "decline"]), {"reason": code.pk})

    response = coordinator.post(deactivate(code), follow=True)
    assert response.status_code == 200
    assert "is deactivated" in text(response)
    code.refresh_from_db()
    assert not code.active
    declined.refresh_from_db()
    assert declined.status == Status.DECLINED and declined.close_reason_id == code.pk

    referral = setup.submitted()
    page = text(staff.get(reverse("cases:referral_detail", args=[referral.pk])))
    assert f'value="{code.pk}"' not in page
    assert f'value="{setup.code(ReasonKind.DECLINE, "not_eligible").pk}"' in page
    # Posting it anyway is refused as a form error, and the referral stays submitted.
    response = staff.post(reverse("cases:referral_act", args=[referral.pk, "decline"]), {"reason": code.pk})
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED

    event = AuditEvent.objects.get(action="changed", object_type="cases.reasoncode")
    assert event.changes == {"active": ["True", "False"]}

    response = coordinator.post(reactivate(code), follow=True)
    assert "is offered again" in text(response)
    code.refresh_from_db()
    assert code.active
    assert AuditEvent.objects.filter(action="changed", object_type="cases.reasoncode").count() == 2


def test_twice_is_harmless_and_audited_once(setup, coordinator):
    code = setup.code(ReasonKind.DECLINE, "duplicate")
    coordinator.post(deactivate(code))
    response = coordinator.post(deactivate(code), follow=True)
    assert "was already inactive" in text(response)
    assert AuditEvent.objects.filter(action="changed", object_type="cases.reasoncode").count() == 1


def test_the_last_active_code_of_a_list_stays(setup, coordinator):
    outcomes = list(ReasonCode.objects.filter(task_force=setup.world.tf, kind=ReasonKind.OUTCOME))
    for code in outcomes[:-1]:
        assert coordinator.post(deactivate(code)).status_code == 302
    last = outcomes[-1]
    response = coordinator.post(deactivate(last), follow=True)
    assert "is the last active code of its list" in text(response)
    last.refresh_from_db()
    assert last.active
    assert ReasonCode.objects.filter(task_force=setup.world.tf, kind=ReasonKind.OUTCOME, active=True).count() == 1


def test_deactivating_is_post_only(setup, coordinator):
    code = setup.code(ReasonKind.DECLINE, "duplicate")
    assert coordinator.get(deactivate(code)).status_code == 405
    code.refresh_from_db()
    assert code.active


# --- Who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["receiving_member", "receiving_referral_staff", "sending_partner_admin"])
def test_everyone_but_coordinators_gets_a_403(setup, client_for, key):
    client = client_for(key)
    code = setup.code(ReasonKind.DECLINE, "duplicate")
    for response in (
        client.get(LIST),
        client.get(CREATE),
        client.post(CREATE, {"kind": "decline", "code": "sneaky", "label": "Sneaky"}),
        client.get(edit(code)),
        client.post(edit(code), {"label": "Sneaky", "position": "0"}),
        client.post(deactivate(code)),
    ):
        assert response.status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied").count() == 6
    code.refresh_from_db()
    assert (code.label, code.active) == ("Duplicate referral", True)
    assert not ReasonCode.objects.filter(code="sneaky").exists()


def test_another_task_forces_code_is_a_404(setup, client_for):
    foreign = setup.code(ReasonKind.DECLINE, "duplicate", task_force=setup.world.other_tf)
    client = client_for("coordinator")
    assert client.get(edit(foreign)).status_code == 404
    assert client.post(edit(foreign), {"label": "Mine now", "position": "0"}).status_code == 404
    assert client.post(deactivate(foreign)).status_code == 404
    foreign.refresh_from_db()
    assert (foreign.label, foreign.active) == ("Duplicate referral", True)
