"""The referrals API: list (filters, privacy, constant queries), detail in two shapes, filing, the lifecycle
moves with their refusals (400, 403, 404, 409) and the notes (privacy between the two partners, edit window,
annotations)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import lifecycle, notes
from cases.models import Consent, Note, NoteVisibility, Referral, Status
from psn.models import AuditEvent

from .support import PERSON_FAMILY, PERSON_GIVEN

LIST = "/api/v1/referrals/"


def detail(referral) -> str:
    return f"/api/v1/referrals/{referral.pk}/"


def post(client, url: str, data: dict | None = None):
    return client.post(url, data or {}, content_type="application/json")


def body(response) -> str:
    return response.content.decode()


@pytest.fixture(autouse=True)
def _person_known_to_the_sender(setup):
    """The sending partner recorded the person's consent: the person is one its staff may refer
    (``access.people_fileable_by``; tests/cases/test_filing_picks.py covers a person they may not see)."""
    Consent.objects.filter(person=setup.person).update(recorded_by_partner=setup.world.sending)


def create_payload(setup, **overrides) -> dict:
    payload = {
        "person": setup.person.pk,
        "receiving_partner": setup.world.receiving.pk,
        "needs": ["employment"],
        "priority": "urgent",
        "reason": "Looking for steady work after release.",
    }
    return payload | overrides


# --- Filing ----------------------------------------------------------------------------------------------------


def test_sending_staff_file_a_draft(setup, client_for):
    response = post(client_for("sending_referral_staff"), LIST, create_payload(setup))

    assert response.status_code == 201, body(response)
    data = response.json()
    assert data["status"] == Status.DRAFT
    assert data["details_visible"] is True
    assert data["person"]["full_name"] == f"{PERSON_GIVEN} {PERSON_FAMILY}"
    assert data["sending_partner"]["id"] == setup.world.sending.pk
    assert [need["code"] for need in data["needs"]] == ["employment"]
    assert data["priority"] == "urgent"
    assert Referral.objects.get(pk=data["id"]).created_by == setup.world.user("sending_referral_staff")


@pytest.mark.parametrize("key", ["sending_member", "coordinator", "site_admin"])
def test_who_cannot_file_gets_403(setup, client_for, key):
    response = post(client_for(key), LIST, create_payload(setup))

    assert response.status_code == 403, body(response)
    assert not Referral.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"person": 2**62}, "person"),
        ({"receiving_partner": 2**62}, "receiving_partner"),
        ({"needs": ["no-such-need"]}, "needs"),
        ({"needs": []}, "needs"),
        ({"priority": "whenever"}, "priority"),
        ({"due_date": "tomorrow"}, "due_date"),
        ({"person": "abc"}, "person"),
        ({"sending_partner": 2**62}, "sending_partner"),
    ],
)
def test_a_bad_filing_is_a_400_naming_the_field(setup, client_for, overrides, field):
    response = post(client_for("sending_referral_staff"), LIST, create_payload(setup, **overrides))

    assert response.status_code == 400, body(response)
    assert field in response.json()["errors"]
    assert not Referral.objects.exists()


def test_filing_to_ones_own_partner_is_refused_by_the_service(setup, client_for):
    response = post(
        client_for("sending_referral_staff"), LIST, create_payload(setup, receiving_partner=setup.world.sending.pk)
    )

    assert response.status_code == 400
    assert "receiving_partner" in response.json()["errors"]


# --- The lifecycle through the API ---------------------------------------------------------------------------


def test_a_full_lifecycle(setup, client_for):
    sender = client_for("sending_referral_staff")
    receiver = client_for("receiving_referral_staff")
    referral_id = post(sender, LIST, create_payload(setup)).json()["id"]
    url = f"{LIST}{referral_id}/"

    assert post(sender, f"{url}submit/").json()["status"] == Status.SUBMITTED
    assert post(receiver, f"{url}accept/").json()["status"] == Status.ACCEPTED
    contact = post(receiver, f"{url}record-contact/")
    assert contact.status_code == 200, body(contact)
    assert contact.json()["first_contact_at"] is not None
    assert post(receiver, f"{url}start/").json()["status"] == Status.IN_PROGRESS
    done = post(receiver, f"{url}complete/", {"reason": "goals_met"})

    assert done.status_code == 200, body(done)
    data = done.json()
    assert data["status"] == Status.COMPLETED
    assert data["close_reason"] == "goals_met"
    assert [t["to_status"] for t in data["transitions"]] == [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.ACCEPTED,
        Status.IN_PROGRESS,
        Status.COMPLETED,
    ]


def test_decline_needs_a_reason_and_the_text_an_other_asks_for(setup, client_for):
    referral = setup.submitted()
    receiver = client_for("receiving_referral_staff")

    assert post(receiver, f"{detail(referral)}decline/").status_code == 400
    assert post(receiver, f"{detail(referral)}decline/", {"reason": "no-such-code"}).status_code == 400
    other = post(receiver, f"{detail(referral)}decline/", {"reason": "other"})
    assert other.status_code == 400
    assert "reason_text" in other.json()["errors"]
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED

    response = post(receiver, f"{detail(referral)}decline/", {"reason": "other", "text": "Outside our county."})
    assert response.status_code == 200, body(response)
    assert response.json()["status"] == Status.DECLINED
    assert response.json()["transitions"][-1]["reason_text"] == "Outside our county."


def test_withdraw_by_the_sender_and_close_unsuccessful_by_the_receiver(setup, client_for):
    first, second = setup.submitted(), setup.accepted()

    withdrawn = post(client_for("sending_partner_admin"), f"{detail(first)}withdraw/", {"reason": "sent_in_error"})
    closed = post(
        client_for("receiving_partner_admin"), f"{detail(second)}close-unsuccessful/", {"reason": "moved_away"}
    )

    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, Status.WITHDRAWN)
    assert (closed.status_code, closed.json()["status"]) == (200, Status.CLOSED_UNSUCCESSFUL)


def test_transfer_closes_the_referral_and_links_the_new_one(setup, client_for):
    referral = setup.submitted()  # the setup's consent covers every partner of the task force
    response = post(
        client_for("receiving_referral_staff"), f"{detail(referral)}transfer/", {"to_partner": setup.world.outsider.pk}
    )

    assert response.status_code == 200, body(response)
    data = response.json()
    assert (data["id"], data["status"]) == (referral.pk, Status.TRANSFERRED)
    successor = Referral.objects.get(transferred_from=referral)
    assert data["transferred_to"] == {"id": successor.pk, "reference": successor.reference}
    assert (successor.receiving_partner, successor.status) == (setup.world.outsider, Status.SUBMITTED)
    # The sender follows the referral to its new receiver.
    followed = client_for("sending_member").get(detail(successor)).json()
    assert followed["transferred_from"] == {"id": referral.pk, "reference": referral.reference}


def test_transfer_refusals(setup, client_for):
    referral = setup.submitted()
    receiver = client_for("receiving_referral_staff")

    assert post(receiver, f"{detail(referral)}transfer/", {"to_partner": 2**62}).status_code == 400
    assert post(receiver, f"{detail(referral)}transfer/", {}).status_code == 400
    back = post(receiver, f"{detail(referral)}transfer/", {"to_partner": setup.world.sending.pk})
    assert back.status_code == 400
    assert "to_partner" in back.json()["errors"]
    # The right before the body: the sender learns nothing about partners.
    assert (
        post(client_for("sending_referral_staff"), f"{detail(referral)}transfer/", {"to_partner": 2**62}).status_code
        == 403
    )
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED


@pytest.mark.parametrize(
    ("status", "move", "data"),
    [
        (Status.SUBMITTED, "start", {}),
        (Status.SUBMITTED, "complete", {"reason": "goals_met"}),
        (Status.SUBMITTED, "record-contact", {}),
        (Status.ACCEPTED, "accept", {}),
        (Status.ACCEPTED, "decline", {"reason": "no_capacity"}),
        (Status.COMPLETED, "close-unsuccessful", {"reason": "moved_away"}),
        (Status.DECLINED, "transfer", {"to_partner": 2**62}),
        (Status.DECLINED, "close-unsuccessful", {"reason": "no-such-code"}),
    ],
)
def test_an_illegal_move_is_a_409_that_changes_nothing(setup, client_for, status, move, data):
    referral = setup.at_status(status)
    transitions = referral.transitions.count()

    response = post(client_for("receiving_referral_staff"), f"{detail(referral)}{move}/", data)

    assert response.status_code == 409, body(response)
    assert response.json()["code"] == "conflict"
    assert referral.reference in response.json()["detail"]
    referral.refresh_from_db()
    assert referral.status == status
    assert referral.transitions.count() == transitions


def test_submitting_twice_is_a_409(setup, client_for):
    referral = setup.submitted()

    response = post(client_for("sending_referral_staff"), f"{detail(referral)}submit/")

    assert response.status_code == 409
    assert "already submitted" in response.json()["detail"]


@pytest.mark.parametrize(
    ("key", "move"),
    [
        ("receiving_member", "accept"),
        ("sending_referral_staff", "accept"),
        ("coordinator", "accept"),
        ("site_admin", "accept"),
        ("receiving_referral_staff", "withdraw"),
        ("sending_member", "withdraw"),
        ("coordinator", "decline"),
    ],
)
def test_the_wrong_side_or_role_gets_403(setup, client_for, key, move):
    referral = setup.submitted()

    response = post(client_for(key), f"{detail(referral)}{move}/", {"reason": "no_capacity"})

    assert response.status_code == 403, body(response)
    referral.refresh_from_db()
    assert referral.status == Status.SUBMITTED


def test_moves_on_what_one_cannot_see_are_404(setup, client_for):
    draft = setup.draft()
    submitted = setup.submitted()

    # A draft is the sender's unfinished work: the receiving partner does not see it.
    assert post(client_for("receiving_referral_staff"), f"{detail(draft)}accept/").status_code == 404
    assert post(client_for("outsider_referral_staff"), f"{detail(submitted)}accept/").status_code == 404
    assert post(client_for("foreign_coordinator"), f"{detail(submitted)}accept/").status_code == 404
    assert post(client_for("receiving_referral_staff"), f"{LIST}not-a-number/accept/").status_code == 404


# --- Reading ---------------------------------------------------------------------------------------------------


def test_a_coordinator_outside_the_partners_reads_metadata_only(setup, client_for):
    referral = setup.accepted(reason="Secret reason text")
    notes.note_add(
        actor=setup.actor("receiving_referral_staff"), referral=referral, body="Shared words", visibility="shared"
    )
    coordinator = client_for("coordinator")

    listed = coordinator.get(LIST)
    shown = coordinator.get(detail(referral))

    assert listed.status_code == shown.status_code == 200
    for response in (listed, shown):
        text = body(response)
        assert PERSON_GIVEN not in text and PERSON_FAMILY not in text
        assert "Secret reason text" not in text and "Shared words" not in text
    data = shown.json()
    assert data["details_visible"] is False
    assert not {"person", "reason", "notes"} & set(data)
    assert all("reason_text" not in t for t in data["transitions"])
    assert listed.json()["results"][0]["person_name"] is None
    # Metadata reads are not the "viewed" of a person's details.
    assert not AuditEvent.objects.filter(action="viewed").exists()


def test_a_party_reads_the_details_and_the_read_is_audited(setup, client_for):
    referral = setup.submitted(reason="Needs a job")

    response = client_for("receiving_member").get(detail(referral))

    assert response.status_code == 200
    data = response.json()
    assert data["person"]["full_name"] == f"{PERSON_GIVEN} {PERSON_FAMILY}"
    assert data["reason"] == "Needs a job"
    event = AuditEvent.objects.get(action="viewed")
    assert event.object_id == str(referral.pk)
    assert event.actor == setup.world.user("receiving_member")


def test_the_list_scopes_and_names_rows(setup, client_for):
    draft, submitted = setup.draft(), setup.submitted()

    mine = client_for("sending_member").get(LIST).json()
    theirs = client_for("receiving_member").get(LIST).json()
    outsider = client_for("outsider_member").get(LIST).json()
    foreign = client_for("foreign_coordinator").get(LIST).json()

    assert {row["id"] for row in mine["results"]} == {draft.pk, submitted.pk}
    assert [row["id"] for row in theirs["results"]] == [submitted.pk]
    assert theirs["results"][0]["person_name"] == f"{PERSON_GIVEN} {PERSON_FAMILY}"
    assert outsider["results"] == [] and foreign["results"] == []


def test_the_list_filters(setup, client_for):
    routine = setup.submitted(needs=setup.needs[:1])
    urgent = setup.draft(priority="urgent", needs=setup.needs[1:])
    client = client_for("sending_member")

    def ids(query: str) -> list[int]:
        response = client.get(f"{LIST}?{query}")
        assert response.status_code == 200, body(response)
        return sorted(row["id"] for row in response.json()["results"])

    assert ids("status=submitted") == [routine.pk]
    assert ids("status=submitted&status=draft") == sorted([routine.pk, urgent.pk])
    assert ids("priority=urgent") == [urgent.pk]
    assert ids("need=housing") == [urgent.pk]
    assert ids("need=employment") == [routine.pk]
    assert ids(f"partner={setup.world.receiving.pk}") == sorted([routine.pk, urgent.pk])
    assert ids(f"partner={setup.world.outsider.pk}") == []
    assert ids(f"q={PERSON_FAMILY.split('-')[0]}") == sorted([routine.pk, urgent.pk])
    assert ids(f"q={routine.reference}") == [routine.pk]
    assert ids("overdue=true") == []
    assert ids("overdue=false") == sorted([routine.pk, urgent.pk])
    today = timezone.localdate(timezone=setup.world.tf.tzinfo)
    assert ids(f"created_from={today}&created_to={today}") == sorted([routine.pk, urgent.pk])
    assert ids(f"created_to={today - timedelta(days=1)}") == []
    ordered = client.get(f"{LIST}?ordering=priority").json()["results"]  # the most pressing first
    assert [row["id"] for row in ordered] == [urgent.pk, routine.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("priority=whenever", "priority"),
        ("need=no-such-need", "need"),
        ("partner=abc", "partner"),
        ("created_from=yesterday", "created_from"),
        ("created_from=2026-05-02&created_to=2026-05-01", "created_to"),
        ("overdue=perhaps", "overdue"),
        ("ordering=person", "ordering"),
    ],
)
def test_bad_filters_are_a_400_with_the_reason(setup, client_for, query, field):
    response = client_for("sending_member").get(f"{LIST}?{query}")

    assert response.status_code == 400, body(response)
    assert field in response.json()["errors"]


def test_the_list_costs_the_same_queries_however_many_rows(setup, client_for):
    client = client_for("receiving_member")
    setup.submitted()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    one = count()
    for _ in range(4):
        setup.submitted(needs=setup.needs)
    assert count() == one


# --- Notes -----------------------------------------------------------------------------------------------------


@pytest.fixture
def noted(setup):
    """A submitted referral with a shared and an internal note of each partner."""
    referral = setup.submitted()
    written = {}
    for key in ("sending_referral_staff", "receiving_referral_staff"):
        for visibility in NoteVisibility.values:
            written[(key, visibility)] = notes.note_add(
                actor=setup.actor(key), referral=referral, body=f"{key} {visibility} words", visibility=visibility
            )
    return referral, written


def test_internal_notes_never_reach_the_other_partner(setup, client_for, noted):
    referral, _written = noted

    for key, other in (("receiving_member", "sending_referral_staff"), ("sending_member", "receiving_referral_staff")):
        listed = client_for(key).get(f"{detail(referral)}notes/")
        shown = client_for(key).get(detail(referral))
        assert listed.status_code == 200
        assert f"{other} internal words" not in body(listed) + body(shown)
        assert f"{other} shared words" in body(listed)
        own = "receiving_referral_staff" if key.startswith("receiving") else "sending_referral_staff"
        assert f"{own} internal words" in body(listed)
        assert len(listed.json()) == 3
        assert len(shown.json()["notes"]) == 3


def test_a_coordinator_outside_reads_no_notes_and_writes_none(setup, client_for, noted):
    referral, written = noted
    coordinator = client_for("coordinator")

    assert coordinator.get(f"{detail(referral)}notes/").status_code == 403
    assert post(coordinator, f"{detail(referral)}notes/", {"body": "hi", "visibility": "shared"}).status_code == 403
    note = written[("receiving_referral_staff", "shared")]
    assert (
        coordinator.patch(f"/api/v1/notes/{note.pk}/", {"body": "x"}, content_type="application/json").status_code
        == 404
    )
    assert post(coordinator, f"/api/v1/notes/{note.pk}/annotate/", {"body": "x"}).status_code == 404


def test_a_member_adds_a_note(setup, client_for):
    referral = setup.submitted()

    response = post(
        client_for("receiving_member"),
        f"{detail(referral)}notes/",
        {"body": "Called, no answer.", "visibility": "internal"},
    )

    assert response.status_code == 201, body(response)
    note = Note.objects.get(pk=response.json()["id"])
    assert (note.author_partner, note.visibility) == (setup.world.receiving, NoteVisibility.INTERNAL)
    assert (
        post(
            client_for("receiving_member"), f"{detail(referral)}notes/", {"body": " ", "visibility": "shared"}
        ).status_code
        == 400
    )
    assert (
        post(
            client_for("receiving_member"), f"{detail(referral)}notes/", {"body": "x", "visibility": "public"}
        ).status_code
        == 400
    )


def test_a_contact_note_records_contact_or_is_refused_with_nothing_saved(setup, client_for):
    submitted, accepted = setup.submitted(), setup.accepted()
    staff = client_for("receiving_referral_staff")
    data = {"body": "Reached by phone.", "visibility": "shared", "is_contact": True}

    refused = post(staff, f"{detail(submitted)}notes/", data)
    accepted_response = post(staff, f"{detail(accepted)}notes/", data)

    assert refused.status_code == 400
    assert not Note.objects.filter(referral=submitted).exists()
    assert accepted_response.status_code == 201
    accepted.refresh_from_db()
    assert accepted.first_contact_at is not None


def test_the_author_edits_within_the_window_only(setup, client_for, noted):
    _referral, written = noted
    note = written[("receiving_referral_staff", "shared")]
    url = f"/api/v1/notes/{note.pk}/"

    def patch(key, data):
        return client_for(key).patch(url, data, content_type="application/json")

    assert patch("receiving_member", {"body": "Not mine"}).status_code == 403
    assert patch("sending_referral_staff", {"body": "Not mine"}).status_code == 403
    assert patch("receiving_referral_staff", {}).status_code == 400
    edited = patch("receiving_referral_staff", {"body": "Corrected words"})
    assert edited.status_code == 200, body(edited)
    assert edited.json()["body"] == "Corrected words" and edited.json()["edited_at"]

    Note.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(hours=1))
    late = patch("receiving_referral_staff", {"body": "Too late"})
    assert late.status_code == 400
    assert Note.objects.get(pk=note.pk).body == "Corrected words"
    # Another partner's internal note does not exist for them.
    internal = written[("sending_referral_staff", "internal")]
    response = client_for("receiving_referral_staff").patch(
        f"/api/v1/notes/{internal.pk}/", {"body": "x"}, content_type="application/json"
    )
    assert response.status_code == 404


def test_annotations(setup, client_for, noted):
    _referral, written = noted
    shared = written[("sending_referral_staff", "shared")]
    internal = written[("receiving_referral_staff", "internal")]
    receiver = client_for("receiving_member")

    on_shared = post(receiver, f"/api/v1/notes/{shared.pk}/annotate/", {"body": "Thanks"})
    on_internal = post(receiver, f"/api/v1/notes/{internal.pk}/annotate/", {"body": "Follow up"})
    opened = post(receiver, f"/api/v1/notes/{internal.pk}/annotate/", {"body": "x", "visibility": "shared"})
    hidden = post(client_for("sending_member"), f"/api/v1/notes/{internal.pk}/annotate/", {"body": "x"})

    assert on_shared.status_code == 201, body(on_shared)
    assert on_shared.json()["annotates"] == shared.pk
    assert on_shared.json()["visibility"] == NoteVisibility.SHARED
    assert (on_internal.status_code, on_internal.json()["visibility"]) == (201, NoteVisibility.INTERNAL)
    assert opened.status_code == 400
    assert hidden.status_code == 404
    assert post(receiver, "/api/v1/notes/999999999/annotate/", {"body": "x"}).status_code == 404


def test_responses_are_json_without_the_person_for_metadata_readers_anywhere(setup, client_for):
    """Every read of a coordinator outside the partners, serialised: the name never appears."""
    referral = setup.accepted()
    coordinator = client_for("site_admin")
    texts = [body(coordinator.get(url)) for url in (LIST, detail(referral), f"{LIST}?q={PERSON_GIVEN}")]

    assert all(PERSON_GIVEN not in text for text in texts)
    assert json.loads(texts[2])["results"] == []


def test_the_detail_costs_the_same_queries_however_many_notes_and_moves(setup, client_for):
    referral = setup.submitted()
    client = client_for("receiving_member")
    staff = setup.actor("receiving_referral_staff")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail(referral)).status_code == 200
        return len(queries)

    notes.note_add(actor=staff, referral=referral, body="first", visibility="shared")
    one = count()
    for n in range(4):
        notes.note_add(actor=staff, referral=referral, body=f"more {n}", visibility="internal")
    lifecycle.referral_accept(actor=staff, referral=referral)
    assert count() == one
