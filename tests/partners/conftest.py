"""A small directory in both task forces: services of several partners, categories, languages, an inactive
service and an inactive partner, and look-alikes in the other task force that must never show."""

from dataclasses import dataclass

import pytest

from partners.models import Language, PartnerKind, TaxonomyTerm
from partners.services import taxonomy_seed

from ..factories import PartnerFactory, ServiceFactory


@dataclass
class Directory:
    mentoring: object  # receiving partner, name "Mentoring Circle", Spanish, accepting
    welding: object  # receiving partner, "mentoring" only in its description, English, not accepting
    rental: object  # outsider partner, housing, English and Spanish
    retired: object  # inactive service of the receiving partner
    closed_partner: object  # inactive partner
    closed_service: object  # active service of the inactive partner
    foreign_service: object  # other task force, would match every search


def term(task_force, code: str) -> TaxonomyTerm:
    return TaxonomyTerm.objects.get(task_force=task_force, code=code)


def language(code: str) -> Language:
    return Language.objects.get(code=code)


def build_directory(world) -> Directory:
    taxonomy_seed(task_force=world.tf)
    taxonomy_seed(task_force=world.other_tf)
    tf = world.tf
    world.receiving.description = "Jobs, training and coaching for young adults."
    world.receiving.save()
    world.receiving.languages.set([language("en"), language("es")])
    world.outsider.languages.set([language("en")])
    closed_partner = PartnerFactory(
        task_force=tf, name="Closed Clinic", kind=PartnerKind.SERVICE_PROVIDER, active=False
    )
    return Directory(
        mentoring=ServiceFactory(
            partner=world.receiving,
            name="Mentoring Circle",
            description="Weekly group sessions with credible messengers.",
            categories=[term(tf, "PSN-MEN")],
            languages=[language("es")],
            capacity=12,
            hours="Mon-Fri 9-5",
            eligibility="Ages 16 to 24.",
        ),
        welding=ServiceFactory(
            partner=world.receiving,
            name="Welding course",
            description="Twelve weeks of welding, with mentoring afterwards.",
            categories=[term(tf, "PSN-EMP")],
            languages=[language("en")],
            accepting_referrals=False,
        ),
        rental=ServiceFactory(
            partner=world.outsider,
            name="Rental help",
            description="Deposits and back rent.",
            categories=[term(tf, "PSN-HOU")],
            languages=[language("en"), language("es")],
        ),
        retired=ServiceFactory(partner=world.receiving, name="Retired mentoring desk", active=False),
        closed_partner=closed_partner,
        closed_service=ServiceFactory(
            partner=closed_partner, name="Clinic mentoring", categories=[term(tf, "PSN-MEN")]
        ),
        foreign_service=ServiceFactory(
            partner=world.foreign,
            name="Mentoring elsewhere",
            description="Mentoring, welding, rental help, housing.",
            categories=[term(world.other_tf, "PSN-MEN")],
            languages=[language("en"), language("es")],
        ),
    )


@pytest.fixture
def directory(world) -> Directory:
    return build_directory(world)


def many_services(world, count: int) -> None:
    """``count`` services of several partners, each with two categories and two languages: an N+1 shows.
    Every one has Spanish and the second category code (``common_category``)."""
    tf = world.tf
    taxonomy_seed(task_force=tf)
    terms = list(TaxonomyTerm.objects.filter(task_force=tf).order_by("code")[:3])
    languages = [language("en"), language("es"), language("vi")]
    partners = [PartnerFactory(task_force=tf, name=f"Bulk partner {n}") for n in range(4)]
    for partner in partners:
        partner.languages.set(languages[:2])
    for n in range(count):
        ServiceFactory(
            partner=partners[n % len(partners)],
            name=f"Bulk service {n:03d}",
            categories=terms[n % 2 : n % 2 + 2],
            languages=languages[n % 2 : n % 2 + 2],
        )


def common_category(world) -> str:
    """The category every service of ``many_services`` has."""
    return TaxonomyTerm.objects.filter(task_force=world.tf).order_by("code")[1].code
