"""Access rows: the referrals API (list, detail, filing, the lifecycle moves, notes).

``own`` is the receiving partner, ``other`` the sending one: the target referral was submitted by the sending
partner to the receiving one, so each move answers by side. The sending side's staff and admins file,
submit and withdraw; the receiving side's accept, decline, start, complete, close, transfer and record contact;
plain members and coordinators move nothing (403). A move the referral's status does not allow is a 409 after
the right. The coordinator (of neither partner) and the site admin read the metadata but no notes (403 on the
list, 404 for a note, which does not exist for them). The target's shared and internal notes were written by
the receiving side's referral staff over an hour ago: their author gets the 400 of the closed edit window;
the other partner does not see the internal one (404). Bodies naming no such object are the 400 after the
right (the ids are not known when the table is read). Attachments follow the notes: the two partners' members list
and upload (the table's JSON body is refused with a 415 after the right: uploads are multipart) and download what
they may read; coordinators outside the two partners get a 403 on the list and the upload and a 404 on a
download."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import attachments, lifecycle, notes
from cases.models import Attachment, Note, NoteVisibility, Referral, Status, Transition
from cases.reasons import reason_codes_seed
from partners.models import TaxonomyTerm
from psn.access import actor_for

from ..factories import ConsentFactory, PartnerFactory, PersonFactory, ReferralFactory
from . import GET, PATCH, POST, Target, pk_of

NOWHERE = 2**62
FILING = {"person": NOWHERE, "receiving_partner": NOWHERE, "needs": ["matrix-api-need"]}
NOTE = {"body": "Matrix note", "visibility": "shared"}

# fmt: off
ROWS: dict = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("referral-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    POST("referral-list", data=FILING):
        (401,    403,    400,    400,    403,    400,    400,    403,    403,    403,    401,    403,    403),
    GET("referral-detail", "api_referral"):
        (401,    200,    200,    200,    200,    200,    200,    200,    404,    200,    401,    403,    404),
    GET("referral-detail", "api_foreign_referral"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("referral-submit", "api_referral"):
        (401,    403,    403,    403,    403,    409,    409,    403,    404,    403,    401,    403,    404),
    POST("referral-accept", "api_referral"):
        (401,    403,    200,    200,    403,    403,    403,    403,    404,    403,    401,    403,    404),
    POST("referral-accept", "api_foreign_referral"):
        (401,    404,    404,    404,    404,    404,    404,    404,    403,    404,    401,    403,    404),
    POST("referral-decline", "api_referral", data={"reason": "no_capacity"}):
        (401,    403,    200,    200,    403,    403,    403,    403,    404,    403,    401,    403,    404),
    POST("referral-start", "api_referral"):
        (401,    403,    409,    409,    403,    403,    403,    403,    404,    403,    401,    403,    404),
    POST("referral-complete", "api_referral", data={"reason": "goals_met"}):
        (401,    403,    409,    409,    403,    403,    403,    403,    404,    403,    401,    403,    404),
    POST("referral-close-unsuccessful", "api_referral", data={"reason": "moved_away"}):
        (401,    403,    409,    409,    403,    403,    403,    403,    404,    403,    401,    403,    404),
    POST("referral-withdraw", "api_referral", data={"reason": "sent_in_error"}):
        (401,    403,    403,    403,    403,    200,    200,    403,    404,    403,    401,    403,    404),
    POST("referral-transfer", "api_referral", data={"to_partner": NOWHERE}):
        (401,    403,    400,    400,    403,    403,    403,    403,    404,    403,    401,    403,    404),
    POST("referral-record-contact", "api_referral"):
        (401,    403,    409,    409,    403,    403,    403,    403,    404,    403,    401,    403,    404),
    GET("referral-notes", "api_referral"):
        (401,    200,    200,    200,    200,    200,    200,    403,    404,    403,    401,    403,    404),
    POST("referral-notes", "api_referral", data=NOTE):
        (401,    201,    201,    201,    201,    201,    201,    403,    404,    403,    401,    403,    404),
    PATCH("note-detail", "api_shared_note", data={"body": "Matrix edit"}):
        (401,    403,    400,    403,    403,    403,    403,    404,    404,    404,    401,    403,    404),
    PATCH("note-detail", "api_internal_note", data={"body": "Matrix edit"}):
        (401,    403,    400,    403,    404,    404,    404,    404,    404,    404,    401,    403,    404),
    POST("note-annotate", "api_shared_note", data={"body": "Matrix annotation"}):
        (401,    201,    201,    201,    201,    201,    201,    404,    404,    404,    401,    403,    404),
    POST("note-annotate", "api_internal_note", data={"body": "Matrix annotation"}):
        (401,    201,    201,    201,    404,    404,    404,    404,    404,    404,    401,    403,    404),
    GET("referral-attachments", "api_referral"):
        (401,    200,    200,    200,    200,    200,    200,    403,    404,    403,    401,    403,    404),
    POST("referral-attachments", "api_referral", data={"visibility": "shared"}):
        (401,    415,    415,    415,    415,    415,    415,    403,    404,    403,    401,    403,    404),
    GET("attachment-download", "api_attachment"):
        (401,    200,    200,    200,    200,    200,    200,    404,    404,    404,    401,    403,    404),
    GET("attachment-download", "api_internal_attachment"):
        (401,    200,    200,    200,    404,    404,    404,    404,    404,    404,    401,    403,    404),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "api_referral": Target(pk_of("api_referral"), "wdt"),
    "api_foreign_referral": Target(pk_of("api_foreign_referral"), "edt"),
    "api_shared_note": Target(pk_of("api_shared_note"), "wdt"),
    "api_internal_note": Target(pk_of("api_internal_note"), "wdt"),
    "api_attachment": Target(pk_of("api_attachment"), "wdt"),
    "api_internal_attachment": Target(pk_of("api_internal_attachment"), "wdt"),
}


def build_objects(world) -> dict:
    reason_codes_seed(task_force=world.tf)
    need = TaxonomyTerm.objects.create(task_force=world.tf, code="matrix-api-need", name="Matrix API need")
    person = PersonFactory(task_force=world.tf, given_name="Matrix", family_name="Person")
    ConsentFactory(person=person)
    sender = actor_for(world.user("sending_referral_staff"), requested_slug=world.tf.slug)
    receiver = actor_for(world.user("receiving_referral_staff"), requested_slug=world.tf.slug)
    referral = lifecycle.referral_create(
        actor=sender,
        person=person,
        sending_partner=world.sending,
        receiving_partner=world.receiving,
        needs=[need],
    )
    referral = lifecycle.referral_submit(actor=sender, referral=referral)
    shared = notes.note_add(actor=receiver, referral=referral, body="Shared matrix note", visibility="shared")
    internal = notes.note_add(
        actor=receiver, referral=referral, body="Internal matrix note", visibility=NoteVisibility.INTERNAL
    )
    # Written over an hour ago: the edit window is closed whenever the table runs.
    Note.objects.filter(pk__in=[shared.pk, internal.pk]).update(created_at=timezone.now() - timedelta(hours=1))
    foreign_receiver = PartnerFactory(task_force=world.other_tf, name="Other Clinic")
    foreign = ReferralFactory(
        sending_partner=world.foreign,
        receiving_partner=foreign_receiver,
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    files = {
        f"api_{name}attachment": attachments.attachment_add(
            actor=receiver,
            referral=referral,
            uploaded_file=SimpleUploadedFile("matrix.pdf", b"%PDF-1.4\n%%EOF\n"),
            visibility=visibility,
        )
        for name, visibility in (("", NoteVisibility.SHARED), ("internal_", NoteVisibility.INTERNAL))
    }
    return {
        "api_referral": referral,
        "api_foreign_referral": foreign,
        "api_shared_note": shared,
        "api_internal_note": internal,
        **files,
    }


COUNTS = {
    "referrals": lambda: Referral.objects.count(),
    "open referrals": lambda: Referral.objects.filter(status=Status.SUBMITTED).count(),
    "transitions": lambda: Transition.objects.count(),
    "notes": lambda: Note.objects.count(),
    "edited notes": lambda: Note.objects.exclude(edited_at=None).count(),
    "attachments (API rows)": lambda: Attachment.objects.count(),
}
