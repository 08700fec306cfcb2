"""A shared note tells the other partner's referral staff and admins (in-app and by email, once committed); an
internal note tells nobody; the writer is never told; the email names the referral, never the note's text or
the person."""

import pytest
from django.core.exceptions import ValidationError

from cases import notes
from cases.models import Note, NoteVisibility, Notification
from partners.models import Role
from tests.factories import MembershipFactory

from .support import PERSON_FAMILY, PERSON_GIVEN

SENDING_STAFF = {"sending.referral_staff@example.org", "sending.partner_admin@example.org"}
RECEIVING_STAFF = {"receiving.referral_staff@example.org", "receiving.partner_admin@example.org"}
SECRET = "He asked us not to call before noon"


def note_notifications():
    return Notification.objects.filter(kind="note")


def add(setup, key: str, visibility: str, referral, **kwargs):
    return notes.note_add(actor=setup.actor(key), referral=referral, body=SECRET, visibility=visibility, **kwargs)


@pytest.mark.parametrize(
    ("writer", "told"),
    [
        ("receiving_member", SENDING_STAFF),
        ("receiving_referral_staff", SENDING_STAFF),
        ("sending_member", RECEIVING_STAFF),
        ("sending_partner_admin", RECEIVING_STAFF),
    ],
)
def test_a_shared_note_tells_the_other_partners_staff_in_app_and_by_email(
    setup, mailoutbox, django_capture_on_commit_callbacks, writer, told
):
    referral = setup.accepted()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        add(setup, writer, NoteVisibility.SHARED, referral)

    assert set(note_notifications().values_list("user__email", flat=True)) == told
    assert all(n.referral_id == referral.pk for n in note_notifications())
    assert {m.to[0] for m in mailoutbox} == told and len(mailoutbox) == len(told)
    for message in mailoutbox:
        assert referral.reference in message.subject and "note" in message.subject.lower()
        html = message.alternatives[0][0]
        for text in (message.subject, message.body, html):
            assert SECRET not in text
            assert PERSON_GIVEN not in text and PERSON_FAMILY not in text
            assert setup.world.user(writer).full_name not in text
        assert f"/referrals/{referral.pk}/" in message.body


def test_an_internal_note_tells_nobody(setup, mailoutbox, django_capture_on_commit_callbacks):
    referral = setup.accepted()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        add(setup, "receiving_referral_staff", NoteVisibility.INTERNAL, referral)
        add(setup, "sending_member", NoteVisibility.INTERNAL, referral)

    assert not note_notifications().exists()
    assert mailoutbox == []


def test_the_writer_is_never_told_even_as_staff_of_both_partners(setup, mailoutbox, django_capture_on_commit_callbacks):
    both = setup.world.user("receiving_referral_staff")
    MembershipFactory(user=both, partner=setup.world.sending, role=Role.REFERRAL_STAFF)
    referral = setup.accepted()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        note = add(setup, "receiving_referral_staff", NoteVisibility.SHARED, referral)

    # They wrote for the receiving partner (the side they act for): the sending partner's staff are told, not them.
    assert note.author_partner_id == setup.world.receiving.pk
    told = set(note_notifications().values_list("user__email", flat=True))
    assert told == SENDING_STAFF - {both.email}
    assert both.email not in {m.to[0] for m in mailoutbox}


def test_a_shared_annotation_tells_the_other_side_too(setup, mailoutbox, django_capture_on_commit_callbacks):
    referral = setup.accepted()
    original = add(setup, "sending_member", NoteVisibility.SHARED, referral)
    Notification.objects.all().delete()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        notes.note_annotate(actor=setup.actor("receiving_member"), note=original, body="Seen, thanks")

    assert set(note_notifications().values_list("user__email", flat=True)) == SENDING_STAFF
    assert len(mailoutbox) == 2


def test_a_note_on_a_draft_tells_the_receiving_partner_nothing(setup, mailoutbox, django_capture_on_commit_callbacks):
    draft = setup.draft()

    with django_capture_on_commit_callbacks(execute=True):
        add(setup, "sending_referral_staff", NoteVisibility.SHARED, draft)

    assert not note_notifications().exists()
    assert mailoutbox == []


def test_a_refused_note_tells_nobody(setup, mailoutbox, django_capture_on_commit_callbacks):
    referral = setup.submitted()  # contact can only be recorded once accepted: the note is refused whole

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError, match="submitted"):
        add(setup, "receiving_referral_staff", NoteVisibility.SHARED, referral, is_contact=True)

    assert not Note.objects.exists()
    assert not note_notifications().exists()
    assert mailoutbox == []


def test_inactive_staff_are_not_told(setup, mailoutbox, django_capture_on_commit_callbacks):
    admin = setup.world.user("sending_partner_admin")
    admin.is_active = False
    admin.save()
    referral = setup.accepted()
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        add(setup, "receiving_member", NoteVisibility.SHARED, referral)

    assert set(note_notifications().values_list("user__email", flat=True)) == SENDING_STAFF - {admin.email}
    assert len(mailoutbox) == 1
