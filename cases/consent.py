"""Consent: who agreed to what sharing, until when. The rule of DESIGN.md: a referral to a non-government
partner needs recorded, unexpired, unrevoked consent that covers that partner."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from partners.models import Partner, PartnerKind

from .models import Consent, ConsentScope, Person

# Partners of these kinds are government agencies: a referral to them needs no recorded consent.
GOVERNMENT_KINDS = frozenset({PartnerKind.LAW_ENFORCEMENT, PartnerKind.PROSECUTION, PartnerKind.GOVERNMENT})


def needs_consent(partner: Partner) -> bool:
    return partner.kind not in GOVERNMENT_KINDS


def consents_valid_for(*, person: Person, partner: Partner, on: datetime.date | None = None) -> QuerySet[Consent]:
    """The person's consents in force on ``on`` (today in the task force's zone by default) that cover
    ``partner``: given by then, not expired, not revoked, for the whole task force or naming the partner."""
    on = on or timezone.localdate(timezone=partner.task_force.tzinfo)
    return (
        Consent.objects.filter(task_force_id=person.task_force_id, person=person, revoked_at__isnull=True)
        .filter(given_on__lte=on)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .filter(Q(scope=ConsentScope.TASK_FORCE) | Q(scope=ConsentScope.PARTNERS, partners=partner))
        .distinct()
    )


def has_valid_consent(*, person: Person, partner: Partner, on: datetime.date | None = None) -> bool:
    """Whether a referral of ``person`` to ``partner`` may go ahead as far as consent is concerned."""
    return not needs_consent(partner) or consents_valid_for(person=person, partner=partner, on=on).exists()
