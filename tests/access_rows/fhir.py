"""Access rows: a referral as a FHIR R4 Bundle (``/api/v1/referrals/{id}/fhir/``), which answers exactly as the
referral's detail does: both partners' members read it, the coordinator and the site admin too (with the
Patient reduced to its id: tests/cases/test_fhir.py), another task force's referral does not exist (404)."""

from __future__ import annotations

from django.utils import timezone

from cases import lifecycle
from cases.models import Status
from partners.models import TaxonomyTerm
from psn.access import actor_for

from ..factories import ConsentFactory, PartnerFactory, PersonFactory, ReferralFactory
from . import GET, Target, pk_of

# fmt: off
ROWS: dict = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("referral-fhir", "fhir_referral"):
        (401,    200,    200,    200,    200,    200,    200,    200,    404,    200,    401,    403,    404),
    GET("referral-fhir", "fhir_foreign_referral"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "fhir_referral": Target(pk_of("fhir_referral"), "wdt"),
    "fhir_foreign_referral": Target(pk_of("fhir_foreign_referral"), "edt"),
}


def build_objects(world) -> dict:
    need = TaxonomyTerm.objects.create(task_force=world.tf, code="matrix-fhir-need", name="Matrix FHIR need")
    person = PersonFactory(task_force=world.tf, given_name="Matrix", family_name="Fhir")
    ConsentFactory(person=person)
    sender = actor_for(world.user("sending_referral_staff"), requested_slug=world.tf.slug)
    referral = lifecycle.referral_create(
        actor=sender, person=person, sending_partner=world.sending, receiving_partner=world.receiving, needs=[need]
    )
    referral = lifecycle.referral_submit(actor=sender, referral=referral)
    foreign = ReferralFactory(
        sending_partner=world.foreign,
        receiving_partner=PartnerFactory(task_force=world.other_tf, name="Other FHIR Clinic"),
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    return {"fhir_referral": referral, "fhir_foreign_referral": foreign}
