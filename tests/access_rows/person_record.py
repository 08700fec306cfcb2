"""Access rows: a person's record for a records request (the page /people/<id>/record/, its POST download, and
``GET /api/v1/people/{id}/record/``).

Only the coordinators of the person's task force (and the site admin, who acts as one) export it, for any person of
the task force: the target person's referral runs between the sending and receiving partners, so no referral shows
the coordinator this person, yet the record is theirs to export. Everyone else in the task force: 403. A person of
another task force does not exist (404), except for that task force's own coordinator. A refused request writes no
"exported" event."""

from __future__ import annotations

from django.utils import timezone

from cases.models import Status
from psn.models import AuditEvent
from tests.factories import ConsentFactory, PartnerFactory, PersonFactory, ReferralFactory

from . import GET, LOGIN, PICK, POST, Target, pk_of

# fmt: off
ROWS: dict = {
    # request:
    #            own partner (receiving)  other partner (sending)                 site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody
    GET("people:person_record", "person_record_person"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK),
    POST("people:person_record", "person_record_person", data={}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK),
    GET("people:person_record", "person_record_foreign_person"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK),
    POST("people:person_record", "person_record_foreign_person", data={}):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK),
    # API
    GET("person-record", "person_record_person"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403),
    GET("person-record", "person_record_foreign_person"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "person_record_person": Target(pk_of("person_record_person"), "wdt"),
    "person_record_foreign_person": Target(pk_of("person_record_foreign_person"), "edt"),
}


def _referred(task_force, sending, receiving):
    person = PersonFactory(task_force=task_force, given_name="Matrix", family_name="Record")
    ConsentFactory(person=person)
    ReferralFactory(
        sending_partner=sending,
        receiving_partner=receiving,
        person=person,
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    return person


def build_objects(world) -> dict:
    foreign_receiving = PartnerFactory(task_force=world.other_tf, name="Matrix Record Clinic")
    return {
        "person_record_person": _referred(world.tf, world.sending, world.receiving),
        "person_record_foreign_person": _referred(world.other_tf, world.foreign, foreign_receiving),
    }


COUNTS = {
    "person record exports": lambda: AuditEvent.objects.filter(action="exported", object_type="cases.person").count(),
}
