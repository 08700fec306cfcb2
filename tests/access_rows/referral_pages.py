"""Access rows: the referral pages (list, filing, detail, the lifecycle's POST views, adding a note, attachments).

Columns "own" are the receiving partner's members, "other" the sending partner's. Both partners' members read a
submitted referral; a draft is the sender's alone (404 for the receiver). Coordinators and site admins read every
referral's metadata but neither move it nor write notes (403, audited). Only referral staff and partner admins of
the side an action belongs to move a referral; plain members get a 403. Another task force's referral is a 404.
Filing is for referral staff and partner admins (an empty form is their 400); everyone else gets a 403. Attachments
follow the notes: the two partners' members upload (no file: their 400) and download what they may read (internal
ones only at the uploader's partner); coordinators outside the two partners get a 403 on upload and a 404 on
download (the file does not exist for them)."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import attachments
from cases.models import Attachment, Note, NoteVisibility, Referral, Status, Transition
from partners.models import Role, TaxonomyTerm
from psn.access import actor_for
from tests.factories import (
    ConsentFactory,
    MembershipFactory,
    PartnerFactory,
    PersonFactory,
    ReferralFactory,
    UserFactory,
)

from . import GET, HOME, LOGIN, PICK, POST, Redirect, Target, pk_of


class _ReferralPage(str):
    """The detail page of a referral whose id is only known once the world is built."""

    PATTERN = re.compile(r"/referrals/\d+/")

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and self.PATTERN.fullmatch(other) is not None

    __hash__ = str.__hash__


DETAIL = Redirect(_ReferralPage("/referrals/<id>/"))
NOTE = {"body": "A matrix note", "visibility": "shared"}


def _act(key: str, action: str):
    return lambda mw, user: {"pk": mw.objects[key].pk, "action": action}


# fmt: off
ROWS: dict = {
    # request:
    #            own partner (receiving)  other partner (sending)                 site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    # Marking one's own notifications read: anyone acting in a task force (nobody else's change).
    POST("cases:notifications_read"):
        (LOGIN,  HOME,   HOME,   HOME,   HOME,   HOME,   HOME,   HOME,   HOME,   HOME,   LOGIN,  PICK,   HOME),
    GET("cases:referral_list"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK,   200),
    GET("cases:referral_detail", "matrix_referral"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("cases:referral_detail", "matrix_draft"):
        (LOGIN,  404,    404,    404,    200,    200,    200,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("cases:referral_detail", "matrix_foreign_referral"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_referral_accept"):
        (LOGIN,  403,    DETAIL, DETAIL, 403,    403,    403,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_referral_withdraw"):  # no reason given: a form error after the right
        (LOGIN,  403,    403,    403,    403,    400,    400,    403,    404,    403,    LOGIN,  PICK,   404),
    # The receiving side's other moves on the submitted referral, posted without their fields: the receiving
    # staff and admins get past the right to the form's or the state's refusal (400); everyone else a 403.
    POST("cases:referral_act", "matrix_referral_decline"):
        (LOGIN,  403,    400,    400,    403,    403,    403,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_referral_start"):
        (LOGIN,  403,    400,    400,    403,    403,    403,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_referral_complete"):
        (LOGIN,  403,    400,    400,    403,    403,    403,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_referral_close_unsuccessful"):
        (LOGIN,  403,    400,    400,    403,    403,    403,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_referral_transfer"):
        (LOGIN,  403,    400,    400,    403,    403,    403,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_referral_record_contact"):
        (LOGIN,  403,    400,    400,    403,    403,    403,    403,    404,    403,    LOGIN,  PICK,   404),
    # The sending side's submit of a referral already submitted: past the right, the state's refusal.
    POST("cases:referral_act", "matrix_referral_submit"):
        (LOGIN,  403,    403,    403,    403,    400,    400,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_referral_unknown_move"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    404,    404,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_draft_submit"):
        (LOGIN,  404,    404,    404,    403,    DETAIL, DETAIL, 403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:referral_act", "matrix_foreign_referral_accept"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    403,    404,    LOGIN,  PICK,   404),
    POST("cases:note_add", "matrix_referral", data=NOTE):
        (LOGIN,  DETAIL, DETAIL, DETAIL, DETAIL, DETAIL, DETAIL, 403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:note_add", "matrix_draft", data=NOTE):
        (LOGIN,  404,    404,    404,    DETAIL, DETAIL, DETAIL, 403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:note_add", "matrix_foreign_referral", data=NOTE):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    403,    404,    LOGIN,  PICK,   404),
    GET("cases:referral_create"):
        (LOGIN,  403,    200,    200,    403,    200,    200,    403,    403,    403,    LOGIN,  PICK,   403),
    POST("cases:referral_create", data={}):
        (LOGIN,  403,    400,    400,    403,    400,    400,    403,    403,    403,    LOGIN,  PICK,   403),
    POST("cases:attachment_add", "matrix_referral", data={"visibility": "shared"}):
        (LOGIN,  400,    400,    400,    400,    400,    400,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:attachment_add", "matrix_draft", data={"visibility": "shared"}):
        (LOGIN,  404,    404,    404,    400,    400,    400,    403,    404,    403,    LOGIN,  PICK,   404),
    POST("cases:attachment_add", "matrix_foreign_referral", data={"visibility": "shared"}):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    403,    404,    LOGIN,  PICK,   404),
    GET("cases:attachment_download", "matrix_attachment"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    404,    404,    404,    LOGIN,  PICK,   404),
    GET("cases:attachment_download", "matrix_internal_attachment"):
        (LOGIN,  200,    200,    200,    404,    404,    404,    404,    404,    404,    LOGIN,  PICK,   404),
    GET("cases:attachment_download", "matrix_foreign_attachment"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    404,    404,    LOGIN,  PICK,   404),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "matrix_referral": Target(pk_of("matrix_referral"), "wdt"),
    "matrix_draft": Target(pk_of("matrix_draft"), "wdt"),
    "matrix_foreign_referral": Target(pk_of("matrix_foreign_referral"), "edt"),
    "matrix_referral_accept": Target(_act("matrix_referral", "accept"), "wdt"),
    "matrix_referral_withdraw": Target(_act("matrix_referral", "withdraw"), "wdt"),
    "matrix_draft_submit": Target(_act("matrix_draft", "submit"), "wdt"),
    **{
        f"matrix_referral_{action}": Target(_act("matrix_referral", action), "wdt")
        for action in ("decline", "start", "complete", "close_unsuccessful", "transfer", "record_contact", "submit")
    },
    "matrix_referral_unknown_move": Target(_act("matrix_referral", "reopen"), "wdt"),
    "matrix_foreign_referral_accept": Target(_act("matrix_foreign_referral", "accept"), "edt"),
    "matrix_attachment": Target(pk_of("matrix_attachment"), "wdt"),
    "matrix_internal_attachment": Target(pk_of("matrix_internal_attachment"), "wdt"),
    "matrix_foreign_attachment": Target(pk_of("matrix_foreign_attachment"), "edt"),
}


def _referral(task_force, sending, receiving, need, status: str) -> Referral:
    person = PersonFactory(task_force=task_force, given_name="Matrix", family_name="Person")
    ConsentFactory(person=person)
    referral = ReferralFactory(
        sending_partner=sending, receiving_partner=receiving, person=person, status=status, needs=[need]
    )
    if status != Status.DRAFT:
        referral.submitted_at = timezone.now()
        referral.save()
    return referral


def _attachment(user, referral: Referral, visibility: str) -> Attachment:
    return attachments.attachment_add(
        actor=actor_for(user, requested_slug=referral.task_force.slug),
        referral=referral,
        uploaded_file=SimpleUploadedFile("matrix.txt", b"A matrix attachment.\n"),
        visibility=visibility,
    )


def build_objects(world) -> dict:
    need = TaxonomyTerm.objects.create(task_force=world.tf, code="matrix-need", name="Matrix need")
    foreign_need = TaxonomyTerm.objects.create(task_force=world.other_tf, code="matrix-need", name="Matrix need")
    # Two partners of the other task force that its coordinator is not a member of: metadata only for them.
    foreign_sending = PartnerFactory(task_force=world.other_tf, name="Matrix Foreign Sender")
    foreign_receiving = PartnerFactory(task_force=world.other_tf, name="Matrix Foreign Receiver")
    referral = _referral(world.tf, world.sending, world.receiving, need, Status.SUBMITTED)
    foreign_referral = _referral(world.other_tf, foreign_sending, foreign_receiving, foreign_need, Status.SUBMITTED)
    # Uploaded by a member of the foreign referral's sending partner (made here: the world has none).
    foreign_member = UserFactory(email="matrix.foreign.sender@example.org")
    MembershipFactory(user=foreign_member, partner=foreign_sending, role=Role.MEMBER)
    return {
        "matrix_referral": referral,
        "matrix_draft": _referral(world.tf, world.sending, world.receiving, need, Status.DRAFT),
        "matrix_foreign_referral": foreign_referral,
        "matrix_attachment": _attachment(world.user("receiving_member"), referral, NoteVisibility.SHARED),
        "matrix_internal_attachment": _attachment(world.user("receiving_member"), referral, NoteVisibility.INTERNAL),
        "matrix_foreign_attachment": _attachment(foreign_member, foreign_referral, NoteVisibility.SHARED),
    }


COUNTS = {
    "referrals": lambda: Referral.objects.count(),
    "referral statuses": lambda: Referral.objects.filter(status=Status.SUBMITTED).count(),
    "transitions": lambda: Transition.objects.count(),
    "notes": lambda: Note.objects.count(),
    "attachments": lambda: Attachment.objects.count(),
}
