"""Access rows: a person's record for a records request (the page /people/<id>/record/, whose POST queues an export,
the export's page, progress and POST download, and the same through the API), and the lookup that finds the person
(/people/records-request/ and ``POST /api/v1/people/records-request/``: coordinators only, a refused lookup writes no
lookup event). ``person_record_job`` and ``person_record_foreign_job`` are built exports.

Only the coordinators of the person's task force (and the site admin, who acts as one) export it, for any person of
the task force: the target person's referral runs between the sending and receiving partners, so no referral shows
the coordinator this person, yet the record is theirs to export. Everyone else in the task force: 403. A person of
another task force does not exist (404), except for that task force's own coordinator. A refused request writes no
"exported" event."""

from __future__ import annotations

import datetime

from django.utils import timezone

from cases import person_record
from cases.models import PersonRecordJob, Status
from cases.records_request import LOOKUP_LABEL
from psn.access import actor_for
from psn.models import AuditEvent
from tests.factories import ConsentFactory, PartnerFactory, PersonFactory, ReferralFactory

from . import GET, LOGIN, PICK, POST, Redirect, Target, pk_of

EXPORT = Redirect("/people/record-exports/", under=True)  # the new export's page

DATE_OF_BIRTH = datetime.date(1990, 5, 4)
LOOKUP = {"given_name": "matrix", "family_name": "RECORD", "date_of_birth": DATE_OF_BIRTH.isoformat()}

# fmt: off
ROWS: dict = {
    # request:
    #            own partner (receiving)  other partner (sending)                 site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("people:person_record", "person_record_person"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("people:person_record", "person_record_person", data={}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    EXPORT, 404,    EXPORT, LOGIN,  PICK,   403),
    GET("people:person_record", "person_record_foreign_person"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    POST("people:person_record", "person_record_foreign_person", data={}):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    EXPORT, 404,    LOGIN,  PICK,   404),
    # An export (built): its page, its progress, its download
    GET("people:record_job", "person_record_job"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("people:record_job_progress", "person_record_job"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("people:record_job_download", "person_record_job", data={}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("people:record_job", "person_record_foreign_job"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    POST("people:record_job_download", "person_record_foreign_job", data={}):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    # API
    POST("person-record", "person_record_person"):
        (401,    403,    403,    403,    403,    403,    403,    202,    404,    202,    401,    403,    403),
    POST("person-record", "person_record_foreign_person"):
        (401,    404,    404,    404,    404,    404,    404,    404,    202,    404,    401,    403,    404),
    GET("person-record-export-detail", "person_record_job"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("person-record-export-download", "person_record_job"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("person-record-export-download", "person_record_foreign_job"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    # The lookup (another task force's coordinator finds no one of this one: 200, an empty answer)
    GET("people:records_request"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("people:records_request", data=LOOKUP):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("person-records-request", data=LOOKUP):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "person_record_person": Target(pk_of("person_record_person"), "wdt"),
    "person_record_foreign_person": Target(pk_of("person_record_foreign_person"), "edt"),
    "person_record_job": Target(pk_of("person_record_job"), "wdt"),
    "person_record_foreign_job": Target(pk_of("person_record_foreign_job"), "edt"),
}


def _referred(task_force, sending, receiving):
    person = PersonFactory(
        task_force=task_force, given_name="Matrix", family_name="Record", date_of_birth=DATE_OF_BIRTH
    )
    ConsentFactory(person=person)
    ReferralFactory(
        sending_partner=sending,
        receiving_partner=receiving,
        person=person,
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    return person


def _built_export(person, coordinator) -> PersonRecordJob:
    """An export requested by the coordinator and built (its task waits for a commit that never comes: built here)."""
    actor = actor_for(coordinator, requested_slug=person.task_force.slug)
    job = person_record.person_record_request(actor=actor, person=person)
    return person_record.person_record_build(job_id=job.pk)


def build_objects(world) -> dict:
    foreign_receiving = PartnerFactory(task_force=world.other_tf, name="Matrix Record Clinic")
    person = _referred(world.tf, world.sending, world.receiving)
    foreign_person = _referred(world.other_tf, world.foreign, foreign_receiving)
    return {
        "person_record_person": person,
        "person_record_foreign_person": foreign_person,
        "person_record_job": _built_export(person, world.user("coordinator")),
        "person_record_foreign_job": _built_export(foreign_person, world.user("foreign_coordinator")),
    }


COUNTS = {
    "person record exports": lambda: AuditEvent.objects.filter(action="exported", object_type="cases.person").count(),
    "records request lookups": lambda: AuditEvent.objects.filter(object_repr=LOOKUP_LABEL).count(),
    "person record export jobs": lambda: PersonRecordJob.objects.count(),
}
