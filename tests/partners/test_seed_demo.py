"""seed_demo fills the demo district's directory (issue 4, item 9): partners of every kind, services in every
category, locations and contacts; deterministic and idempotent."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from partners.demo_directory import build_directory, seed_directory
from partners.models import (
    Contact,
    Language,
    Location,
    Membership,
    Partner,
    PartnerKind,
    Service,
    TaskForce,
    TaxonomyTerm,
)
from partners.services import taxonomy_seed
from partners.taxonomy import DEFAULT_TAXONOMY

MODELS = [TaskForce, Partner, Service, Location, Contact, TaxonomyTerm, Language, Membership]


def _counts() -> dict:
    counts = {model.__name__: model.objects.count() for model in MODELS}
    counts["users"] = get_user_model().objects.count()
    counts["service categories"] = Service.categories.through.objects.count()
    counts["service languages"] = Service.languages.through.objects.count()
    counts["partner languages"] = Partner.languages.through.objects.count()
    counts["service locations"] = Location.services.through.objects.count()
    return counts


@pytest.fixture
def seeded(db, monkeypatch):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    return TaskForce.objects.get(slug="wdmo")


def test_the_demo_district_has_forty_partners_of_every_kind(seeded):
    partners = Partner.objects.filter(task_force=seeded, active=True)
    assert partners.count() >= 40
    assert set(partners.values_list("kind", flat=True)) == set(PartnerKind.values)
    for partner in partners:
        assert partner.address_1 and partner.city and partner.postal_code[:3] in {"640", "641"}, partner
        assert partner.phone.startswith("(816) 555-01"), partner
        assert partner.email.endswith(".example.org") and ".example.org/" in partner.website, partner
        assert partner.description and partner.service_area, partner
    with_languages = Partner.languages.through.objects.filter(partner__task_force=seeded).values("partner")
    assert with_languages.distinct().count() == partners.count()


def test_the_demo_district_has_150_services_in_every_category(seeded):
    services = Service.objects.filter(task_force=seeded)
    assert services.count() >= 150
    used = set(TaxonomyTerm.objects.filter(task_force=seeded, services__isnull=False).values_list("code", flat=True))
    assert used == {code for code, _, _ in DEFAULT_TAXONOMY}
    assert services.filter(accepting_referrals=True).count() > services.count() // 2
    assert not services.filter(categories__isnull=True).exists()
    assert not services.filter(languages__isnull=True).exists()
    assert not services.filter(eligibility="").exists() and not services.filter(hours="").exists()
    assert not services.filter(contact_name="").exists()
    assert services.exclude(partner__task_force=seeded).count() == 0


def test_every_service_provider_has_a_location_with_its_services(seeded):
    providers = Partner.objects.filter(task_force=seeded, kind=PartnerKind.SERVICE_PROVIDER)
    assert providers.exists()
    for partner in providers:
        location = Location.objects.get(partner=partner)
        assert set(location.services.all()) == set(partner.services.all()) != set()
    # Every service is somewhere.
    assert not Service.objects.filter(task_force=seeded, locations__isnull=True).exists()
    assert Location.objects.filter(task_force=seeded).exclude(partner__task_force=seeded).count() == 0


def test_every_partner_has_a_couple_of_contacts(seeded):
    for partner in Partner.objects.filter(task_force=seeded):
        assert Contact.objects.filter(partner=partner, task_force=seeded).count() >= 2, partner


def test_seed_demo_twice_changes_no_counts_and_still_prints_the_accounts(seeded, capsys):
    before = _counts()
    capsys.readouterr()
    call_command("seed_demo")
    assert _counts() == before
    out = capsys.readouterr().out
    for local in ["coordinator", "partneradmin", "staff", "officer", "member", "research", "admin"]:
        assert f"{local}@wdmo.example.org" in out
    assert "demo-password-for-tests" in out
    assert f"{before['Partner'] - 1} partners" in out  # wdmo's; the other one is edmo's USAO


def test_seed_demo_fills_in_a_directory_seeded_by_an_earlier_version(db, monkeypatch):
    """Databases seeded before the directory existed have bare partners: they are filled in, not duplicated."""
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    wdmo = TaskForce.objects.create(slug="wdmo", name="Western District of Missouri")
    bare = Partner.objects.create(task_force=wdmo, name="Second Chance Workforce Center", kind=PartnerKind.OTHER)
    Partner.objects.filter(pk=bare.pk).update(phone="(816) 555-0199")  # an edit of the demo is kept
    call_command("seed_demo")
    bare.refresh_from_db()
    assert Partner.objects.filter(task_force=wdmo, name=bare.name).count() == 1
    assert bare.kind == PartnerKind.OTHER and bare.phone == "(816) 555-0199"
    assert bare.address_1 and bare.email and bare.languages.exists()
    assert bare.services.count() >= 5


def test_the_directory_is_deterministic():
    assert build_directory() == build_directory()


def test_the_directory_is_written_in_a_constant_number_of_queries(db, django_assert_max_num_queries):
    """Bulk writes: the query count does not grow with the number of partners and services."""
    task_force = TaskForce.objects.create(slug="wdmo", name="Western District of Missouri")
    taxonomy_seed(task_force=task_force)
    with django_assert_max_num_queries(30):
        seed_directory(task_force)
    with django_assert_max_num_queries(30):
        assert seed_directory(task_force) == {"partners": 0, "services": 0, "locations": 0, "contacts": 0}
