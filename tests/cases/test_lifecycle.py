"""The referral state machine: every status × action pair, rights per role and side, consent, reason codes,
transfer, clock fields, audit, notifications and emails."""

import datetime
import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from cases import lifecycle
from cases.lifecycle import TRANSITIONS, Action
from cases.models import Notification, ReasonKind, Referral, Status, Transition
from partners.models import TaxonomyTerm
from psn.models import AuditEvent
from tests.cases.support import PERSON_FAMILY, PERSON_GIVEN, build_setup
from tests.conftest import build_world
from tests.factories import MembershipFactory, PersonFactory, ServiceFactory

pytestmark = pytest.mark.django_db

ACTIONS = sorted({action for (_status, action) in TRANSITIONS})
SIDE_USER = {lifecycle.SENDING: "sending_referral_staff", lifecycle.RECEIVING: "receiving_referral_staff"}


def perform(setup, action: str, referral, key: str | None = None):
    """Call the service of ``action`` with valid arguments, as ``key`` (the side's referral staff by default)."""
    actor = setup.actor(key or SIDE_USER[lifecycle.side_of(action)])
    if action == Action.SUBMIT:
        return lifecycle.referral_submit(actor=actor, referral=referral)
    if action == Action.ACCEPT:
        return lifecycle.referral_accept(actor=actor, referral=referral)
    if action == Action.DECLINE:
        return lifecycle.referral_decline(
            actor=actor, referral=referral, reason=setup.code(ReasonKind.DECLINE, "no_capacity")
        )
    if action == Action.START:
        return lifecycle.referral_start(actor=actor, referral=referral)
    if action == Action.COMPLETE:
        return lifecycle.referral_complete(
            actor=actor, referral=referral, outcome=setup.code(ReasonKind.OUTCOME, "goals_met")
        )
    if action == Action.CLOSE_UNSUCCESSFUL:
        return lifecycle.referral_close_unsuccessful(
            actor=actor, referral=referral, reason=setup.code(ReasonKind.UNSUCCESSFUL, "moved_away")
        )
    if action == Action.WITHDRAW:
        return lifecycle.referral_withdraw(
            actor=actor, referral=referral, reason=setup.code(ReasonKind.WITHDRAW, "sent_in_error")
        )
    if action == Action.TRANSFER:
        return lifecycle.referral_transfer(actor=actor, referral=referral, to_partner=setup.world.outsider)
    if action == Action.RECORD_CONTACT:
        return lifecycle.referral_record_contact(actor=actor, referral=referral)
    raise AssertionError(action)


# --- The table -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_status_and_action_pair_follows_the_table(setup, status, action):
    referral = setup.at_status(status)
    transitions_before = Transition.objects.count()
    rule = TRANSITIONS.get((status, action))

    if rule is None:
        with pytest.raises(ValidationError) as refused:
            perform(setup, action, referral)
        assert Status(status).label.lower() in refused.value.messages[0]
        referral.refresh_from_db()
        assert referral.status == status
        assert Transition.objects.count() == transitions_before
        assert Referral.objects.count() == 1
    else:
        perform(setup, action, referral)
        referral.refresh_from_db()
        assert referral.status == rule.to_status
        moved = rule.to_status != status
        new_rows = 2 if action == Action.TRANSFER else int(moved)
        assert Transition.objects.count() == transitions_before + new_rows


def test_the_table_only_names_real_statuses_and_reason_kinds():
    for (status, action), rule in TRANSITIONS.items():
        assert status in Status.values and rule.to_status in Status.values
        assert rule.reason_kind is None or rule.reason_kind in ReasonKind.values
        assert lifecycle.side_of(action) == rule.side


def test_a_closed_referral_accepts_no_action(setup):
    for status in (Status.DECLINED, Status.COMPLETED, Status.CLOSED_UNSUCCESSFUL, Status.WITHDRAWN, Status.TRANSFERRED):
        assert not [a for (s, a) in TRANSITIONS if s == status]


# --- Creating ----------------------------------------------------------------------------------------------


def test_filing_makes_a_draft_with_a_yearly_reference_a_transition_and_an_audit_event(setup, mailoutbox):
    referral = setup.draft(priority="urgent", reason="Needs a job")

    assert referral.status == Status.DRAFT
    assert re.fullmatch(r"R-\d{4}-000001", referral.reference)
    assert set(referral.needs.all()) == set(setup.needs)
    assert referral.created_by == setup.world.user("sending_referral_staff")
    [transition] = referral.transitions.all()
    assert (transition.from_status, transition.to_status) == ("", Status.DRAFT)
    assert transition.actor_partner == setup.world.sending
    event = AuditEvent.objects.get(object_type="cases.referral", object_id=str(referral.pk))
    assert event.action == "created"
    assert mailoutbox == []  # a draft tells nobody
    assert Notification.objects.count() == 0


def test_references_count_up_per_task_force(setup):
    first, second = setup.draft(), setup.draft()
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1
    world = setup.world
    foreign_person = PersonFactory(task_force=world.other_tf)
    other = world.foreign.__class__.objects.create(task_force=world.other_tf, name="Other Shelter", kind="government")
    term = TaxonomyTerm.objects.create(task_force=world.other_tf, code="housing", name="Housing")
    foreign = lifecycle.referral_create(
        actor=setup.actor("foreign_partner_admin"),
        person=foreign_person,
        sending_partner=world.foreign,
        receiving_partner=other,
        needs=[term],
    )
    assert foreign.reference.endswith("-000001")


@pytest.mark.parametrize(
    "key",
    [
        "sending_member",
        "receiving_referral_staff",
        "receiving_partner_admin",
        "outsider_referral_staff",
        "coordinator",
        "foreign_partner_admin",
        "site_admin",
        "nobody",
    ],
)
def test_only_the_sending_partners_staff_file_from_it(setup, key):
    with pytest.raises(PermissionDenied):
        setup.draft(key)
    assert Referral.objects.count() == 0


@pytest.mark.parametrize("key", ["sending_referral_staff", "sending_partner_admin"])
def test_sending_staff_and_admins_file(setup, key):
    assert setup.draft(key).status == Status.DRAFT


def test_filing_to_a_service_provider_without_consent_is_refused(setup):
    person = PersonFactory(task_force=setup.world.tf, given_name="Ana", family_name="Ruiz")

    with pytest.raises(ValidationError, match="Ana Ruiz has no recorded consent to share with Workforce Center"):
        setup.draft(person=person)
    assert Referral.objects.count() == 0


def test_filing_to_a_government_partner_needs_no_consent(setup):
    usao = setup.world.user("coordinator").memberships.get().partner
    person = PersonFactory(task_force=setup.world.tf)
    assert setup.draft(person=person, receiving_partner=usao).status == Status.DRAFT


def test_submitting_after_consent_was_revoked_is_refused(setup):
    referral = setup.draft()
    setup.person.consents.update(revoked_at="2026-01-01T00:00:00Z")

    with pytest.raises(ValidationError, match="has no recorded consent to share with Workforce Center"):
        lifecycle.referral_submit(actor=setup.actor("sending_referral_staff"), referral=referral)
    referral.refresh_from_db()
    assert referral.status == Status.DRAFT and referral.submitted_at is None


def test_filing_checks_needs_service_and_partners(setup):
    world = setup.world
    with pytest.raises(ValidationError, match="at least one need"):
        setup.draft(needs=[])
    foreign_term = TaxonomyTerm.objects.create(task_force=world.other_tf, code="x", name="X")
    with pytest.raises(ValidationError, match="this task force's list"):
        setup.draft(needs=[foreign_term])
    with pytest.raises(ValidationError, match="active service of"):
        setup.draft(service=ServiceFactory(partner=world.outsider))
    with pytest.raises(ValidationError, match="another active partner"):
        setup.draft(receiving_partner=world.sending)
    with pytest.raises(ValidationError, match="another active partner"):
        setup.draft(receiving_partner=world.foreign)
    assert Referral.objects.count() == 0
    assert setup.draft(service=ServiceFactory(partner=world.receiving)).service is not None


# --- Rights ----------------------------------------------------------------------------------------------------

ALL_KEYS = [
    f"{partner}_{role}"
    for partner in ("sending", "receiving", "outsider", "foreign")
    for role in ("member", "referral_staff", "partner_admin")
] + ["coordinator", "foreign_coordinator", "site_admin", "nobody"]
START_STATUS = {
    Action.SUBMIT: Status.DRAFT,
    Action.ACCEPT: Status.SUBMITTED,
    Action.DECLINE: Status.SUBMITTED,
    Action.START: Status.ACCEPTED,
    Action.COMPLETE: Status.IN_PROGRESS,
    Action.CLOSE_UNSUCCESSFUL: Status.IN_PROGRESS,
    Action.WITHDRAW: Status.SUBMITTED,
    Action.TRANSFER: Status.SUBMITTED,
    Action.RECORD_CONTACT: Status.ACCEPTED,
}


@pytest.mark.parametrize("key", ALL_KEYS)
@pytest.mark.parametrize("action", ACTIONS)
def test_only_the_staff_and_admins_of_the_actions_side_act(setup, action, key):
    referral = setup.at_status(START_STATUS[action])
    side = lifecycle.side_of(action)
    allowed = key in (f"{side}_referral_staff", f"{side}_partner_admin")

    if allowed:
        perform(setup, action, referral, key)
    else:
        with pytest.raises(PermissionDenied):
            perform(setup, action, referral, key)
        referral.refresh_from_db()
        assert referral.status == START_STATUS[action]
        assert referral.transitions.count() == 0


# --- Reasons ---------------------------------------------------------------------------------------------------


def test_decline_needs_an_active_decline_code_of_the_task_force(setup):
    referral = setup.submitted()
    actor = setup.actor("receiving_referral_staff")
    wrong = [
        None,
        setup.code(ReasonKind.OUTCOME, "goals_met"),
        setup.code(ReasonKind.DECLINE, "no_capacity", task_force=setup.world.other_tf),
    ]
    inactive = setup.code(ReasonKind.DECLINE, "duplicate")
    inactive.active = False
    inactive.save()
    for reason in [*wrong, inactive]:
        with pytest.raises(ValidationError):
            lifecycle.referral_decline(actor=actor, referral=referral, reason=reason)
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED and referral.acknowledged_at is None


def test_an_other_reason_needs_text(setup):
    referral = setup.submitted()
    actor = setup.actor("receiving_referral_staff")
    other = setup.code(ReasonKind.DECLINE, "other")
    with pytest.raises(ValidationError, match="Explain"):
        lifecycle.referral_decline(actor=actor, referral=referral, reason=other, text="  ")

    declined = lifecycle.referral_decline(actor=actor, referral=referral, reason=other, text="Program closed")

    assert declined.status == Status.DECLINED and declined.close_reason == other
    last = declined.transitions.last()
    assert (last.reason, last.reason_text) == (other, "Program closed")


# --- Clock fields ----------------------------------------------------------------------------------------------


def test_the_clock_fields_follow_the_moves(setup):
    referral = setup.submitted()
    assert referral.submitted_at is not None
    assert referral.acknowledge_by > referral.submitted_at
    assert referral.acknowledged_at is None and referral.closed_at is None

    referral = lifecycle.referral_accept(actor=setup.actor("receiving_partner_admin"), referral=referral)
    assert referral.acknowledged_at is not None
    referral = lifecycle.referral_start(actor=setup.actor("receiving_referral_staff"), referral=referral)
    referral = lifecycle.referral_record_contact(actor=setup.actor("receiving_referral_staff"), referral=referral)
    first_contact = referral.first_contact_at
    assert first_contact is not None
    referral = lifecycle.referral_record_contact(actor=setup.actor("receiving_referral_staff"), referral=referral)
    assert referral.first_contact_at == first_contact  # set once
    referral = lifecycle.referral_complete(
        actor=setup.actor("receiving_referral_staff"),
        referral=referral,
        outcome=setup.code(ReasonKind.OUTCOME, "service_completed"),
    )
    assert referral.closed_at is not None and referral.status == Status.COMPLETED
    assert [t.to_status for t in referral.transitions.all()] == [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
    ]


def test_decline_sets_acknowledged_and_closed(setup):
    referral = lifecycle.referral_decline(
        actor=setup.actor("receiving_referral_staff"),
        referral=setup.submitted(),
        reason=setup.code(ReasonKind.DECLINE, "not_eligible"),
    )
    assert referral.acknowledged_at == referral.closed_at


# --- Transfer --------------------------------------------------------------------------------------------------


def test_transfer_links_a_new_submitted_referral_and_closes_the_first(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    first = setup.in_progress(priority="asap", due_date="2026-12-31")
    mailoutbox.clear()
    world = setup.world

    with django_capture_on_commit_callbacks(execute=True):
        second = lifecycle.referral_transfer(
            actor=setup.actor("receiving_referral_staff"), referral=first, to_partner=world.outsider, text="Better fit"
        )

    first.refresh_from_db()
    assert first.status == Status.TRANSFERRED and first.closed_at is not None
    assert second.transferred_from == first and first.transferred_to == second
    assert second.status == Status.SUBMITTED and second.submitted_at and second.acknowledge_by
    assert (second.person, second.sending_partner, second.receiving_partner) == (
        setup.person,
        world.sending,
        world.outsider,
    )
    assert (second.priority, str(second.due_date)) == ("asap", "2026-12-31")
    assert set(second.needs.all()) == set(setup.needs)
    assert second.reference != first.reference
    assert first.transitions.last().reason_text == "Better fit"
    assert second.transitions.get().actor_partner == world.receiving
    notified = {m.to[0] for m in mailoutbox}
    assert "sending.referral_staff@example.org" in notified
    assert "outsider.referral_staff@example.org" in notified


def test_transfer_checks_consent_for_the_new_partner(setup):
    person = PersonFactory(task_force=setup.world.tf, given_name="Lee", family_name="Park")
    usao = setup.world.user("coordinator").memberships.get().partner
    referral = setup.submitted(person=person, receiving_partner=usao)
    admin = setup.world.user("receiving_partner_admin")
    MembershipFactory(user=admin, partner=usao, role="referral_staff")
    with pytest.raises(ValidationError, match="Lee Park has no recorded consent to share with Faith Coalition"):
        lifecycle.referral_transfer(
            actor=setup.actor("receiving_partner_admin"), referral=referral, to_partner=setup.world.outsider
        )
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED
    assert Referral.objects.count() == 1


def test_transfer_refuses_the_same_or_the_sending_partner(setup):
    referral = setup.accepted()
    actor = setup.actor("receiving_referral_staff")
    for partner in (setup.world.receiving, setup.world.sending):
        with pytest.raises(ValidationError):
            lifecycle.referral_transfer(actor=actor, referral=referral, to_partner=partner)
    assert Referral.objects.count() == 1


# --- Audit, notifications, email -------------------------------------------------------------------------------


def test_each_move_is_audited_with_from_and_to(setup):
    referral = setup.accepted()
    events = AuditEvent.objects.filter(object_type="cases.referral", object_id=str(referral.pk)).order_by("at", "pk")
    assert [e.changes["status"] for e in events] == [
        [None, "draft"],
        ["draft", "submitted"],
        ["submitted", "accepted"],
    ]
    assert events.last().action == "changed"


def test_the_other_side_is_notified_in_app_and_by_email_without_personal_data(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    referral = setup.draft()
    with django_capture_on_commit_callbacks(execute=True):
        referral = lifecycle.referral_submit(actor=setup.actor("sending_referral_staff"), referral=referral)

    receivers = {"receiving.referral_staff@example.org", "receiving.partner_admin@example.org"}
    assert {m.to[0] for m in mailoutbox} == receivers  # not members, not the deactivated account, not the sender
    assert set(Notification.objects.values_list("user__email", flat=True)) == receivers
    for message in mailoutbox:
        html = message.alternatives[0][0]
        for part in (message.subject, message.body, html):
            assert PERSON_GIVEN not in part and PERSON_FAMILY not in part
        assert referral.reference in message.subject
        assert f"/referrals/{referral.pk}/" in message.body and f"/referrals/{referral.pk}/" in html
        assert "City Police" in message.body and "Workforce Center" in message.body

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.referral_accept(actor=setup.actor("receiving_referral_staff"), referral=referral)
    assert {m.to[0] for m in mailoutbox} == {"sending.referral_staff@example.org", "sending.partner_admin@example.org"}
    assert Notification.objects.filter(kind="accepted").count() == 2


def test_a_refused_move_sends_nothing(setup, mailoutbox, django_capture_on_commit_callbacks):
    referral = setup.submitted()
    mailoutbox.clear()
    notifications_before = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        lifecycle.referral_start(actor=setup.actor("receiving_referral_staff"), referral=referral)
    assert mailoutbox == [] and Notification.objects.count() == notifications_before


def test_accepting_twice_says_already_accepted(setup):
    referral = setup.accepted()
    with pytest.raises(ValidationError, match="already accepted"):
        lifecycle.referral_accept(actor=setup.actor("receiving_partner_admin"), referral=referral)


# --- Races -----------------------------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_of_two_concurrent_accepts_exactly_one_wins():
    setup = build_setup(build_world())
    referral = setup.submitted()
    start = threading.Barrier(2)
    outcomes = []

    def accept(key):
        try:
            actor = setup.actor(key)
            start.wait()
            lifecycle.referral_accept(actor=actor, referral=referral)
            outcomes.append("accepted")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=accept, args=(k,)) for k in ("receiving_referral_staff", "receiving_partner_admin")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 2 and outcomes.count("accepted") == 1
    [refusal] = [outcome for outcome in outcomes if outcome != "accepted"]
    assert refusal == f"Referral {referral.reference} is already accepted."
    assert referral.transitions.filter(to_status=Status.ACCEPTED).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_get_distinct_references():
    setup = build_setup(build_world())
    start = threading.Barrier(3)
    references, errors = [], []

    def file():
        try:
            start.wait()
            references.append(setup.draft().reference)
        except Exception as error:  # the assertion below shows it
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=file) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(references)) == 3


def test_a_coordinator_who_is_also_receiving_staff_acts_for_that_side(setup):
    MembershipFactory(user=setup.world.user("coordinator"), partner=setup.world.receiving, role="referral_staff")
    referral = lifecycle.referral_accept(actor=setup.actor("coordinator"), referral=setup.submitted())
    assert referral.transitions.last().actor_partner == setup.world.receiving


def test_contact_cannot_be_recorded_in_the_future_or_before_submission(setup):
    referral = setup.accepted()
    actor = setup.actor("receiving_referral_staff")
    for at in (timezone.now() + datetime.timedelta(hours=1), referral.submitted_at - datetime.timedelta(hours=1)):
        with pytest.raises(ValidationError):
            lifecycle.referral_record_contact(actor=actor, referral=referral, at=at)
    referral.refresh_from_db()
    assert referral.first_contact_at is None


def test_a_transfer_keeps_a_need_deactivated_since_filing(setup):
    referral = setup.accepted()
    TaxonomyTerm.objects.filter(pk=setup.needs[0].pk).update(active=False)

    second = lifecycle.referral_transfer(
        actor=setup.actor("receiving_referral_staff"), referral=referral, to_partner=setup.world.outsider
    )

    assert set(second.needs.all()) == set(setup.needs)
