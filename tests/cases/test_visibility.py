"""Who sees what of a referral (psn/access.py "Referral visibility"): every role of the sending partner, the
receiving partner, an outsider partner, the coordinator, the site admin and the other task force, against the
referral list, the detail, the person's details, each kind of note and each kind of attachment."""

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from cases import attachments, notes, selectors
from cases.models import NoteVisibility, Status
from psn import access
from tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db

SHARED, INTERNAL = NoteVisibility.SHARED, NoteVisibility.INTERNAL
SENDER = {"s-shared", "s-internal", "r-shared"}  # what the sending partner's members read
RECEIVER = {"s-shared", "r-shared", "r-internal"}
NONE: set = set()

# actor -> (in the list, opens the detail, sees the details, notes read, attachments read)
MATRIX = {
    "sending_member": (True, True, True, SENDER, SENDER),
    "sending_referral_staff": (True, True, True, SENDER, SENDER),
    "sending_partner_admin": (True, True, True, SENDER, SENDER),
    "receiving_member": (True, True, True, RECEIVER, RECEIVER),
    "receiving_referral_staff": (True, True, True, RECEIVER, RECEIVER),
    "receiving_partner_admin": (True, True, True, RECEIVER, RECEIVER),
    "outsider_member": (False, False, False, NONE, NONE),
    "outsider_partner_admin": (False, False, False, NONE, NONE),
    "coordinator": (True, True, False, NONE, NONE),
    "site_admin": (True, True, False, NONE, NONE),
    "foreign_partner_admin": (False, False, False, NONE, NONE),
    "foreign_coordinator": (False, False, False, NONE, NONE),
    "nobody": (False, False, False, NONE, NONE),
}
TXT = b"Met at the centre on Tuesday.\n"


@pytest.fixture
def scene(setup, settings, tmp_path):
    """A submitted referral with a shared and an internal note and attachment from each side."""
    settings.MEDIA_ROOT = tmp_path
    referral = setup.at_status(Status.SUBMITTED)
    labels = {}
    for side, key in (("s", "sending_member"), ("r", "receiving_member")):
        actor = setup.actor(key)
        for visibility in (SHARED, INTERNAL):
            label = f"{side}-{visibility}"
            note = notes.note_add(actor=actor, referral=referral, body=label, visibility=visibility)
            upload = SimpleUploadedFile(f"{label}.txt", TXT, content_type="text/plain")
            attachment = attachments.attachment_add(
                actor=actor, referral=referral, uploaded_file=upload, visibility=visibility
            )
            labels[label] = (note, attachment)
    return setup, referral, labels


@pytest.mark.parametrize("key", list(MATRIX))
def test_visibility_matrix(scene, key):
    stage, referral, labels = scene
    in_list, opens, details, notes_read, attachments_read = MATRIX[key]
    actor = stage.actor(key)

    assert (referral in access.referrals_visible_to(actor)) is in_list
    assert (referral in selectors.referral_list_for(actor=actor)) is in_list
    assert access.can_view_referral(actor, referral) is opens
    assert access.can_view_referral_details(actor, referral) is details
    if opens:
        detail = selectors.referral_get_for(actor=actor, pk=referral.pk)
        assert detail.details_visible is details
        assert {n.body for n in detail.visible_notes} == notes_read
        assert {a.original_name.removesuffix(".txt") for a in detail.visible_attachments} == attachments_read
    else:
        with pytest.raises(Http404):
            selectors.referral_get_for(actor=actor, pk=referral.pk)
    assert {n.body for n in access.notes_visible_to(actor, referral)} == notes_read
    assert {a.original_name.removesuffix(".txt") for a in access.attachments_visible_to(actor, referral)} == (
        attachments_read
    )
    for label, (note, attachment) in labels.items():
        assert access.can_view_note(actor, note) is (label in notes_read)
        assert access.can_view_attachment(actor, attachment) is (label in attachments_read)
        if label in attachments_read:
            _found, handle = attachments.attachment_open_for(actor=actor, pk=attachment.pk)
            with handle:
                assert handle.read() == TXT
        else:
            with pytest.raises(Http404):
                attachments.attachment_open_for(actor=actor, pk=attachment.pk)


@pytest.mark.parametrize("key", list(MATRIX))
def test_who_may_add_notes_and_attachments(scene, key):
    stage, referral, _labels = scene
    _in_list, opens, details, *_ = MATRIX[key]
    actor = stage.actor(key)
    assert access.can_add_note(actor, referral) is details
    assert access.can_add_attachment(actor, referral) is details
    upload = SimpleUploadedFile("more.txt", TXT)
    if details:
        note = notes.note_add(actor=actor, referral=referral, body="hello", visibility=SHARED)
        expected_partner = referral.sending_partner_id if key.startswith("sending") else referral.receiving_partner_id
        assert note.author_partner_id == expected_partner
        attachment = attachments.attachment_add(actor=actor, referral=referral, uploaded_file=upload, visibility=SHARED)
        assert attachment.uploaded_by_partner_id == expected_partner
    else:
        # Seen as metadata only (coordinators): a refusal; not seen at all: it does not exist.
        expected = PermissionDenied if opens else Http404
        with pytest.raises(expected):
            notes.note_add(actor=actor, referral=referral, body="hello", visibility=SHARED)
        with pytest.raises(expected):
            attachments.attachment_add(actor=actor, referral=referral, uploaded_file=upload, visibility=SHARED)


@pytest.mark.parametrize(
    ("key", "sees"),
    [
        ("sending_member", True),
        ("receiving_member", False),
        ("receiving_partner_admin", False),
        ("coordinator", True),
        ("outsider_member", False),
    ],
)
def test_a_draft_is_the_senders_until_submitted(setup, key, sees):
    draft = setup.at_status(Status.DRAFT)
    actor = setup.actor(key)
    assert (draft in access.referrals_visible_to(actor)) is sees
    assert access.can_view_referral_details(actor, draft) is key.startswith("sending")


def test_a_draft_withdrawn_unsent_stays_hidden_from_the_receiver(setup):
    withdrawn = setup.at_status(Status.DRAFT)
    withdrawn.status = Status.WITHDRAWN
    withdrawn.save()
    assert withdrawn not in access.referrals_visible_to(setup.actor("receiving_member"))
    sent_then_withdrawn = setup.at_status(Status.WITHDRAWN)  # has submitted_at
    assert sent_then_withdrawn in access.referrals_visible_to(setup.actor("receiving_member"))


def test_a_coordinator_who_is_a_member_of_a_partner_sees_its_details(setup):
    coordinator = setup.actor("coordinator")
    home = coordinator.memberships[0].partner
    own = ReferralFactory(
        sending_partner=home, receiving_partner=setup.world.receiving, person=setup.person, status=Status.SUBMITTED
    )
    other = setup.at_status(Status.SUBMITTED)
    assert access.can_view_referral_details(coordinator, own)
    assert not access.can_view_referral_details(coordinator, other)
    note = notes.note_add(actor=coordinator, referral=own, body="From the USAO", visibility=INTERNAL)
    assert note.author_partner_id == home.pk
    assert list(access.notes_visible_to(setup.actor("receiving_member"), own)) == []


def test_people_visible_to(setup):
    from tests.factories import ConsentFactory, PersonFactory

    referred = setup.at_status(Status.SUBMITTED).person
    draft_person = PersonFactory(task_force=setup.world.tf)
    ReferralFactory(sending_partner=setup.world.sending, receiving_partner=setup.world.receiving, person=draft_person)
    consented = PersonFactory(task_force=setup.world.tf)
    ConsentFactory(person=consented, recorded_by_partner=setup.world.outsider)
    entered = PersonFactory(task_force=setup.world.tf, created_by=setup.world.user("outsider_member"))
    merged = PersonFactory(task_force=setup.world.tf, merged_into=referred)
    ReferralFactory(sending_partner=setup.world.sending, receiving_partner=setup.world.receiving, person=merged)
    foreign = PersonFactory(task_force=setup.world.other_tf, created_by=setup.world.user("outsider_member"))

    def people(key):
        return set(access.people_visible_to(setup.actor(key)))

    assert people("sending_member") == {referred, draft_person}
    assert people("receiving_member") == {referred}
    assert people("outsider_member") == {consented, entered}
    assert people("coordinator") == set()  # metadata only: a person's details are not referral metadata
    assert foreign not in people("foreign_partner_admin")
    assert people("nobody") == set()
