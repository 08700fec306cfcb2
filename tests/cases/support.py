"""Shared set-up of the referral tests (the ``setup`` fixture is in conftest.py): the ``world`` of
tests/conftest.py plus what a referral needs (the default reason codes, two needs, a person with consent
covering the task force) and helpers to act as a user."""

from dataclasses import dataclass

from cases import lifecycle
from cases.models import ReasonCode, Status
from cases.reasons import reason_codes_seed
from partners.models import TaxonomyTerm
from psn.access import Actor, TaskForceChoiceError, actor_for
from tests.factories import ConsentFactory, PersonFactory, ReferralFactory

PERSON_GIVEN, PERSON_FAMILY = "Jonah", "Quintero-Bright"


@dataclass
class Setup:
    world: object
    person: object
    needs: list

    def actor(self, key: str):
        tf = self.world.other_tf if key.startswith("foreign") else self.world.tf
        try:
            return actor_for(self.world.user(key), requested_slug=tf.slug)
        except TaskForceChoiceError:  # no membership there ("nobody"): an actor without rights
            return Actor(user=self.world.user(key), task_force=tf)

    def code(self, kind: str, code: str, task_force=None) -> ReasonCode:
        return ReasonCode.objects.get(task_force=task_force or self.world.tf, kind=kind, code=code)

    def draft(self, key: str = "sending_referral_staff", **kwargs):
        kwargs.setdefault("person", self.person)
        kwargs.setdefault("sending_partner", self.world.sending)
        kwargs.setdefault("receiving_partner", self.world.receiving)
        kwargs.setdefault("needs", self.needs)
        return lifecycle.referral_create(actor=self.actor(key), **kwargs)

    def submitted(self, **kwargs):
        return lifecycle.referral_submit(actor=self.actor("sending_referral_staff"), referral=self.draft(**kwargs))

    def accepted(self, **kwargs):
        return lifecycle.referral_accept(
            actor=self.actor("receiving_referral_staff"), referral=self.submitted(**kwargs)
        )

    def in_progress(self, **kwargs):
        return lifecycle.referral_start(actor=self.actor("receiving_referral_staff"), referral=self.accepted(**kwargs))

    def at_status(self, status: str):
        """A referral put straight into ``status`` (for the table tests: the path there is tested elsewhere)."""
        referral = ReferralFactory(
            sending_partner=self.world.sending,
            receiving_partner=self.world.receiving,
            person=self.person,
            status=status,
            needs=self.needs,
        )
        if status != Status.DRAFT:
            referral.submitted_at = referral.created_at
            referral.save()
        return referral


def build_setup(world) -> Setup:
    reason_codes_seed(task_force=world.tf)
    reason_codes_seed(task_force=world.other_tf)
    needs = [
        TaxonomyTerm.objects.create(task_force=world.tf, code="employment", name="Employment"),
        TaxonomyTerm.objects.create(task_force=world.tf, code="housing", name="Housing"),
    ]
    person = PersonFactory(task_force=world.tf, given_name=PERSON_GIVEN, family_name=PERSON_FAMILY)
    ConsentFactory(person=person)
    return Setup(world=world, person=person, needs=needs)
