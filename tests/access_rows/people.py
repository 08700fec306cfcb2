"""Access rows: the people pages and the people and consents API.

The target person has a referral submitted by the sending partner ("other") to the receiving one ("own"): both
partners' members read the person, their consents and the signed form. Entering, correcting and recording or
revoking consent is for referral staff, partner admins and coordinators (plain members: 403). A coordinator
outside the person's referrals does not read them (404, as for the site admin: a person is no referral
metadata), but merges any record of the task force (others: 403). Another task force's person is a 404.
Bodies naming no such record are the 400 after the right."""

from __future__ import annotations

import re

from django.core.files.base import ContentFile
from django.utils import timezone

from cases.models import Consent, Person, Referral, Status
from tests.factories import ConsentFactory, PartnerFactory, PersonFactory, ReferralFactory

from . import GET, LOGIN, PATCH, PICK, POST, Redirect, Target, pk_of

NOWHERE = 2**62
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class _PersonPage(str):
    """A person's record, whose id is only known once the row ran (a new person)."""

    PATTERN = re.compile(r"/people/\d+/")

    def __eq__(self, other) -> bool:
        return isinstance(other, str) and self.PATTERN.fullmatch(other) is not None

    __hash__ = str.__hash__


RECORD = Redirect(_PersonPage("/people/<id>/"))
NEW_PERSON = {"given_name": "Matrix", "family_name": "Newcomer", "confirm_new": "1"}
EDIT = {"given_name": "Matrix", "family_name": "Person", "neighborhood": "Matrix Heights"}
CONSENT = {"scope": "task_force", "shares": ["contact"], "method": "verbal", "given_on": "2024-01-01"}
API_PERSON = {"given_name": "Matrix", "family_name": "Api", "confirm_new": True}
API_CONSENT = CONSENT | {"person": NOWHERE}

# fmt: off
ROWS: dict = {
    # request:
    #            own partner (receiving)  other partner (sending)                 site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("people:person_list"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK,   200),
    GET("people:person_create"):
        (LOGIN,  403,    200,    200,    403,    200,    200,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("people:person_create", data=NEW_PERSON):
        (LOGIN,  403,    RECORD, RECORD, 403,    RECORD, RECORD, RECORD, RECORD, RECORD, LOGIN,  PICK,   403),
    GET("people:person_detail", "people_person"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    404,    404,    404,    LOGIN,  PICK,   404),
    GET("people:person_detail", "people_foreign_person"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("people:person_edit", "people_person"):
        (LOGIN,  403,    200,    200,    403,    200,    200,    404,    404,    404,    LOGIN,  PICK,   404),
    POST("people:person_edit", "people_person", data=EDIT):
        (LOGIN,  403,    RECORD, RECORD, 403,    RECORD, RECORD, 404,    404,    404,    LOGIN,  PICK,   404),
    GET("people:person_edit", "people_foreign_person"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("people:person_merge", "people_person"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("people:person_merge", "people_person", data={"merge": str(NOWHERE)}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    404,    400,    LOGIN,  PICK,   403),
    GET("people:consent_create", "people_person"):
        (LOGIN,  403,    200,    200,    403,    200,    200,    404,    404,    404,    LOGIN,  PICK,   404),
    POST("people:consent_create", "people_person", data=CONSENT):
        (LOGIN,  403,    RECORD, RECORD, 403,    RECORD, RECORD, 404,    404,    404,    LOGIN,  PICK,   404),
    GET("people:consent_revoke", "people_consent"):
        (LOGIN,  403,    200,    200,    403,    200,    200,    404,    404,    404,    LOGIN,  PICK,   404),
    POST("people:consent_revoke", "people_consent", data={"reason": "Matrix"}):
        (LOGIN,  403,    RECORD, RECORD, 403,    RECORD, RECORD, 404,    404,    404,    LOGIN,  PICK,   404),
    GET("people:consent_file", "people_consent"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    404,    404,    404,    LOGIN,  PICK,   404),
    GET("people:consent_file", "people_foreign_consent"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    # API
    GET("person-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    POST("person-list", data=API_PERSON):
        (401,    403,    201,    201,    403,    201,    201,    201,    201,    201,    401,    403,    403),
    GET("person-detail", "people_person"):
        (401,    200,    200,    200,    200,    200,    200,    404,    404,    404,    401,    403,    404),
    GET("person-detail", "people_foreign_person"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    PATCH("person-detail", "people_person", data={"neighborhood": "Matrix Heights"}):
        (401,    403,    200,    200,    403,    200,    200,    404,    404,    404,    401,    403,    404),
    POST("person-merge", "people_person", data={"merge": NOWHERE}):
        (401,    403,    403,    403,    403,    403,    403,    400,    404,    400,    401,    403,    403),
    GET("person-consents", "people_person"):
        (401,    200,    200,    200,    200,    200,    200,    404,    404,    404,    401,    403,    404),
    GET("consent-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    POST("consent-list", data=API_CONSENT):
        (401,    403,    400,    400,    403,    400,    400,    400,    400,    400,    401,    403,    403),
    GET("consent-detail", "people_consent"):
        (401,    200,    200,    200,    200,    200,    200,    404,    404,    404,    401,    403,    404),
    GET("consent-detail", "people_foreign_consent"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("consent-revoke", "people_consent", data={"reason": "Matrix"}):
        (401,    403,    200,    200,    403,    200,    200,    404,    404,    404,    401,    403,    404),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "people_person": Target(pk_of("people_person"), "wdt"),
    "people_foreign_person": Target(pk_of("people_foreign_person"), "edt"),
    "people_consent": Target(pk_of("people_consent"), "wdt"),
    "people_foreign_consent": Target(pk_of("people_foreign_consent"), "edt"),
}


def _referred(task_force, sending, receiving) -> tuple[Person, Consent]:
    """A person with a submitted referral between the two partners and a consent with its signed form."""
    person = PersonFactory(task_force=task_force, given_name="Matrix", family_name="Person")
    consent = ConsentFactory(person=person, method="upload")
    consent.file.save(f"{task_force.pk}/matrix-people", ContentFile(PDF), save=True)
    ReferralFactory(
        sending_partner=sending,
        receiving_partner=receiving,
        person=person,
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    return person, consent


def build_objects(world) -> dict:
    person, consent = _referred(world.tf, world.sending, world.receiving)
    foreign_receiving = PartnerFactory(task_force=world.other_tf, name="Matrix People Clinic")
    foreign_person, foreign_consent = _referred(world.other_tf, world.foreign, foreign_receiving)
    return {
        "people_person": person,
        "people_foreign_person": foreign_person,
        "people_consent": consent,
        "people_foreign_consent": foreign_consent,
    }


COUNTS = {
    "people": lambda: Person.objects.count(),
    "merged people": lambda: Person.objects.exclude(merged_into=None).count(),
    "people's neighborhoods": lambda: Person.objects.exclude(neighborhood="").count(),
    "consents": lambda: Consent.objects.count(),
    "revoked consents": lambda: Consent.objects.exclude(revoked_at=None).count(),
    "referrals of people": lambda: Referral.objects.values("person_id").distinct().count(),
}
