"""Access rows: the referral pages (list, detail, the lifecycle's POST views, adding a note).

Columns "own" are the receiving partner's members, "other" the sending partner's. Both partners' members read a
submitted referral; a draft is the sender's alone (404 for the receiver). Coordinators and site admins read every
referral's metadata but neither move it nor write notes (403, audited). Only referral staff and partner admins of
the side an action belongs to move a referral; plain members get a 403. Another task force's referral is a 404."""

from __future__ import annotations

import re

from django.utils import timezone

from cases.models import Note, Referral, Status, Transition
from partners.models import TaxonomyTerm
from tests.factories import ConsentFactory, PartnerFactory, PersonFactory, ReferralFactory

from . import GET, LOGIN, PICK, POST, Redirect, Target, pk_of


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
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody
    GET("cases:referral_list"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK),
    GET("cases:referral_detail", "matrix_referral"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    404,    200,    LOGIN,  PICK),
    GET("cases:referral_detail", "matrix_draft"):
        (LOGIN,  404,    404,    404,    200,    200,    200,    200,    404,    200,    LOGIN,  PICK),
    GET("cases:referral_detail", "matrix_foreign_referral"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK),
    POST("cases:referral_act", "matrix_referral_accept"):
        (LOGIN,  403,    DETAIL, DETAIL, 403,    403,    403,    403,    404,    403,    LOGIN,  PICK),
    POST("cases:referral_act", "matrix_referral_withdraw"):  # no reason given: a form error after the right
        (LOGIN,  403,    403,    403,    403,    400,    400,    403,    404,    403,    LOGIN,  PICK),
    POST("cases:referral_act", "matrix_draft_submit"):
        (LOGIN,  404,    404,    404,    403,    DETAIL, DETAIL, 403,    404,    403,    LOGIN,  PICK),
    POST("cases:referral_act", "matrix_foreign_referral_accept"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    403,    404,    LOGIN,  PICK),
    POST("cases:note_add", "matrix_referral", data=NOTE):
        (LOGIN,  DETAIL, DETAIL, DETAIL, DETAIL, DETAIL, DETAIL, 403,    404,    403,    LOGIN,  PICK),
    POST("cases:note_add", "matrix_draft", data=NOTE):
        (LOGIN,  404,    404,    404,    DETAIL, DETAIL, DETAIL, 403,    404,    403,    LOGIN,  PICK),
    POST("cases:note_add", "matrix_foreign_referral", data=NOTE):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    403,    404,    LOGIN,  PICK),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "matrix_referral": Target(pk_of("matrix_referral"), "wdt"),
    "matrix_draft": Target(pk_of("matrix_draft"), "wdt"),
    "matrix_foreign_referral": Target(pk_of("matrix_foreign_referral"), "edt"),
    "matrix_referral_accept": Target(_act("matrix_referral", "accept"), "wdt"),
    "matrix_referral_withdraw": Target(_act("matrix_referral", "withdraw"), "wdt"),
    "matrix_draft_submit": Target(_act("matrix_draft", "submit"), "wdt"),
    "matrix_foreign_referral_accept": Target(_act("matrix_foreign_referral", "accept"), "edt"),
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


def build_objects(world) -> dict:
    need = TaxonomyTerm.objects.create(task_force=world.tf, code="matrix-need", name="Matrix need")
    foreign_need = TaxonomyTerm.objects.create(task_force=world.other_tf, code="matrix-need", name="Matrix need")
    # Two partners of the other task force that its coordinator is not a member of: metadata only for them.
    foreign_sending = PartnerFactory(task_force=world.other_tf, name="Matrix Foreign Sender")
    foreign_receiving = PartnerFactory(task_force=world.other_tf, name="Matrix Foreign Receiver")
    return {
        "matrix_referral": _referral(world.tf, world.sending, world.receiving, need, Status.SUBMITTED),
        "matrix_draft": _referral(world.tf, world.sending, world.receiving, need, Status.DRAFT),
        "matrix_foreign_referral": _referral(
            world.other_tf, foreign_sending, foreign_receiving, foreign_need, Status.SUBMITTED
        ),
    }


COUNTS = {
    "referrals": lambda: Referral.objects.count(),
    "referral statuses": lambda: Referral.objects.filter(status=Status.SUBMITTED).count(),
    "transitions": lambda: Transition.objects.count(),
    "notes": lambda: Note.objects.count(),
}
