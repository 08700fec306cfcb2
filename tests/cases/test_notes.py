"""Notes: writing, the 15-minute edit window, annotations, contact notes and the audit trail (no note text in
it)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from cases import notes
from cases.models import NOTE_EDIT_WINDOW_SECONDS, Note, NoteVisibility, Referral, Status
from psn.models import AuditEvent

pytestmark = pytest.mark.django_db

SHARED, INTERNAL = NoteVisibility.SHARED, NoteVisibility.INTERNAL
SECRET = "Lives with his aunt on Prospect Ave; prefers calls after 6pm."


def _age(note, seconds: int) -> None:
    """Pretend the note was written ``seconds`` ago."""
    Note.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))


def _events(obj):
    return AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("pk")


# --- Adding ------------------------------------------------------------------------------------------------------


def test_note_add_writes_for_the_actors_side_and_audits_without_the_text(setup):
    referral = setup.at_status(Status.ACCEPTED)
    note = notes.note_add(
        actor=setup.actor("receiving_member"), referral=referral, body=f"  {SECRET}\n", visibility=SHARED
    )
    assert note.body == SECRET
    assert note.author == setup.world.user("receiving_member")
    assert note.author_partner == setup.world.receiving
    assert note.task_force == setup.world.tf
    (event,) = _events(note)
    assert event.action == "created"
    assert event.changes["length"] == len(SECRET)
    assert event.changes["visibility"] == SHARED
    assert SECRET not in str(event.changes) and "Prospect" not in event.object_repr


@pytest.mark.parametrize(
    ("body", "visibility", "field"),
    [("   ", SHARED, "body"), ("", SHARED, "body"), ("fine", "public", "visibility"), ("x" * 10001, SHARED, "body")],
)
def test_note_add_refuses_bad_input(setup, body, visibility, field):
    referral = setup.at_status(Status.ACCEPTED)
    with pytest.raises(ValidationError) as refused:
        notes.note_add(actor=setup.actor("sending_member"), referral=referral, body=body, visibility=visibility)
    assert field in refused.value.message_dict
    assert not Note.objects.exists()


def test_note_add_to_another_task_forces_referral_is_a_404(setup):
    referral = setup.at_status(Status.ACCEPTED)
    with pytest.raises(Http404):
        notes.note_add(actor=setup.actor("foreign_partner_admin"), referral=referral, body="x", visibility=SHARED)
    with pytest.raises(Http404):
        notes.note_add(actor=setup.actor("outsider_partner_admin"), referral=referral, body="x", visibility=SHARED)
    with pytest.raises(PermissionDenied):
        notes.note_add(actor=setup.actor("coordinator"), referral=referral, body="x", visibility=SHARED)
    assert not Note.objects.exists()


# --- Editing -----------------------------------------------------------------------------------------------------


def test_the_author_edits_within_the_window_and_the_audit_keeps_lengths_only(setup):
    actor = setup.actor("sending_member")
    note = notes.note_add(actor=actor, referral=setup.at_status(Status.ACCEPTED), body="short", visibility=SHARED)
    _age(note, NOTE_EDIT_WINDOW_SECONDS - 30)
    edited = notes.note_edit(actor=actor, note=note, body=SECRET)
    note.refresh_from_db()
    assert note.body == SECRET and note.edited_at is not None and edited.edited_at == note.edited_at
    event = _events(note).last()
    assert event.action == "changed"
    assert event.changes == {"length": ["5", str(len(SECRET))]}


def test_after_the_window_a_note_is_annotated_not_edited(setup):
    actor = setup.actor("sending_member")
    note = notes.note_add(actor=actor, referral=setup.at_status(Status.ACCEPTED), body="original", visibility=SHARED)
    _age(note, NOTE_EDIT_WINDOW_SECONDS + 1)
    with pytest.raises(ValidationError, match="annotated, not edited, after 15 minutes"):
        notes.note_edit(actor=actor, note=note, body="rewritten")
    note.refresh_from_db()
    assert note.body == "original" and note.edited_at is None
    annotation = notes.note_annotate(actor=actor, note=note, body="Correction: Thursday, not Tuesday.")
    assert annotation.annotates == note
    assert annotation.visibility == SHARED
    assert annotation.author_partner == setup.world.sending
    assert list(note.annotations.all()) == [annotation]


def test_only_the_author_edits(setup):
    referral = setup.at_status(Status.ACCEPTED)
    note = notes.note_add(actor=setup.actor("sending_member"), referral=referral, body="mine", visibility=SHARED)
    for key in ("sending_partner_admin", "receiving_referral_staff"):
        with pytest.raises(PermissionDenied):
            notes.note_edit(actor=setup.actor(key), note=note, body="theirs")
    with pytest.raises(Http404):  # they cannot even see it
        notes.note_edit(actor=setup.actor("coordinator"), note=note, body="theirs")
    note.refresh_from_db()
    assert note.body == "mine"


def test_an_internal_note_is_invisible_to_the_other_side_for_edit_and_annotate(setup):
    referral = setup.at_status(Status.ACCEPTED)
    note = notes.note_add(actor=setup.actor("sending_member"), referral=referral, body="ours", visibility=INTERNAL)
    with pytest.raises(Http404):
        notes.note_annotate(actor=setup.actor("receiving_member"), note=note, body="?")
    with pytest.raises(ValidationError, match="internally"):
        notes.note_annotate(actor=setup.actor("sending_member"), note=note, body="!", visibility=SHARED)
    annotation = notes.note_annotate(actor=setup.actor("sending_partner_admin"), note=note, body="seen")
    assert annotation.visibility == INTERNAL


# --- Contact -----------------------------------------------------------------------------------------------------


def test_a_contact_note_by_the_receiving_side_sets_first_contact_once(setup):
    referral = setup.at_status(Status.ACCEPTED)
    staff = setup.actor("receiving_referral_staff")
    first = notes.note_add(
        actor=staff, referral=referral, body="Called, met Tuesday", visibility=SHARED, is_contact=True
    )
    referral.refresh_from_db()
    assert referral.first_contact_at == first.created_at
    assert first.is_contact
    notes.note_add(actor=staff, referral=referral, body="Called again", visibility=INTERNAL, is_contact=True)
    referral.refresh_from_db()
    assert referral.first_contact_at == first.created_at
    assert _events(referral).filter(changes__has_key="first_contact_at").count() == 1


@pytest.mark.parametrize(
    ("key", "status", "error"),
    [
        ("sending_referral_staff", Status.ACCEPTED, PermissionDenied),  # the sender does not record contact
        ("receiving_member", Status.ACCEPTED, PermissionDenied),  # a lifecycle move: referral staff and admins
        ("receiving_referral_staff", Status.SUBMITTED, ValidationError),  # not accepted yet
        ("receiving_referral_staff", Status.COMPLETED, ValidationError),  # closed
    ],
)
def test_a_refused_contact_note_leaves_no_note(setup, key, status, error):
    referral = setup.at_status(status)
    with pytest.raises(error):
        notes.note_add(actor=setup.actor(key), referral=referral, body="Called", visibility=SHARED, is_contact=True)
    assert not Note.objects.exists()
    assert Referral.objects.get(pk=referral.pk).first_contact_at is None
