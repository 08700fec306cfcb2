"""seed_demo fills the demo district's directory (issue 4, item 9): partners of every kind, services in every
category, locations and contacts; deterministic and idempotent; ``--scale full`` makes 150 partners and 3,000
services in bulk."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import demo_referrals
from partners.demo_directory import FULL, SMALL, Scale, build_directory, seed_directory
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


# --- --scale full: 150 partners and 3,000 services, in bulk ------------------------------------------------


@pytest.fixture
def small_history(monkeypatch):
    """The directory at full scale, the referral history at the small one: 120,000 referrals take minutes
    (tests/cases/test_demo_referrals.py runs the full-scale code path on a tiny scale)."""
    monkeypatch.setitem(demo_referrals.SCALES, "full", demo_referrals.SMALL)


@pytest.fixture
def seeded_full(db, monkeypatch, small_history):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", scale="full")
    return TaskForce.objects.get(slug="wdmo")


def test_the_full_scale_directory_has_150_partners_and_3000_services(seeded_full):
    partners = Partner.objects.filter(task_force=seeded_full)
    services = Service.objects.filter(task_force=seeded_full)
    assert partners.count() == FULL.partners == 150
    assert services.count() == FULL.services == 3000
    assert set(partners.values_list("kind", flat=True)) == set(PartnerKind.values)
    used = set(
        TaxonomyTerm.objects.filter(task_force=seeded_full, services__isnull=False).values_list("code", flat=True)
    )
    assert used == {code for code, _, _ in DEFAULT_TAXONOMY}
    # Every service has what the directory's filters and pages show, and is somewhere.
    assert not services.filter(categories__isnull=True).exists()
    assert not services.filter(languages__isnull=True).exists()
    assert not services.filter(locations__isnull=True).exists()
    assert not services.filter(contact_name="").exists() and not services.filter(hours="").exists()
    assert services.filter(languages__code="es").count() > 500  # the language filter has something to find
    assert services.filter(accepting_referrals=True).count() > services.count() // 2
    # Names are unique where the seed matches rows by name.
    assert partners.values("name").distinct().count() == 150
    assert services.values("partner", "name").distinct().count() == 3000
    assert Location.objects.filter(task_force=seeded_full).values("partner", "name").distinct().count() == (
        Location.objects.filter(task_force=seeded_full).count()
    )
    assert Contact.objects.filter(task_force=seeded_full).count() >= 2 * 150
    for model in (Service, Location, Contact):
        assert model.objects.filter(task_force=seeded_full).exclude(partner__task_force=seeded_full).count() == 0


def test_the_generated_partners_look_like_kansas_city(seeded_full):
    generated = Partner.objects.filter(task_force=seeded_full).exclude(
        name__in=[spec.name for spec in build_directory()]
    )
    assert generated.count() == 150 - SMALL.partners
    for partner in generated:
        assert partner.address_1 and partner.city and partner.postal_code[:2] in {"64", "65"}, partner
        assert partner.phone.startswith("(816) 555-01") and partner.email.endswith(".example.org"), partner
        assert partner.languages.filter(code="en").exists(), partner


def test_seed_demo_full_twice_changes_nothing_and_small_after_it_keeps_the_extra_rows(seeded_full, capsys):
    before = _counts()
    call_command("seed_demo", scale="full")
    assert _counts() == before
    # Documented: the small scale only adds what is missing; it does not take the full directory back.
    call_command("seed_demo", scale="small")
    assert _counts() == before
    assert "150 partners, 3000 services" in capsys.readouterr().out


def test_seed_demo_full_on_top_of_small_adds_only_the_generated_rows(db, monkeypatch, small_history):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    small = _counts()
    call_command("seed_demo", scale="full")
    full = _counts()
    assert full["Partner"] - small["Partner"] == 150 - SMALL.partners
    assert full["Service"] - small["Service"] == 3000 - SMALL.services
    assert full["users"] == small["users"] and full["Membership"] == small["Membership"]


def test_the_full_directory_is_deterministic_and_keeps_the_hand_written_one():
    full = build_directory(FULL)
    assert full == build_directory(FULL)
    assert full[: SMALL.partners] == build_directory()
    assert (len(full), sum(len(spec.services) for spec in full)) == (150, 3000)


@pytest.mark.parametrize("scale", [Scale(partners=60, services=400), FULL], ids=["knob-60-400", "full"])
def test_any_scale_is_written_in_bulk(db, scale):
    """Bulk INSERTs: on PostgreSQL batches of 1,000 rows, so 3,000 services and their links take a few more
    statements than 400 do, not thousands. (SQLite caps the parameters of a statement: there a batch holds about
    fifty services, still far from one statement per row.)"""
    task_force = TaskForce.objects.create(slug="wdmo", name="Western District of Missouri")
    taxonomy_seed(task_force=task_force)
    with CaptureQueriesContext(connection) as writing:
        created = seed_directory(task_force, scale)
    assert created["partners"] == scale.partners and created["services"] == scale.services
    assert Service.objects.filter(task_force=task_force).count() == scale.services
    rows = sum(_counts()[key] for key in ("Service", "service categories", "service languages", "service locations"))
    if connection.vendor == "postgresql":
        assert len(writing) <= 40  # about 20 reads and INSERTs, plus one per 1,000 rows of each table
    assert len(writing) <= 30 + rows // 40, "not bulk: about one statement per row"
    with CaptureQueriesContext(connection) as again:
        assert seed_directory(task_force, scale) == {"partners": 0, "services": 0, "locations": 0, "contacts": 0}
    assert len(again) <= 15  # reads only: nothing is missing


def test_more_services_than_the_hand_written_partners_offer_needs_more_partners():
    with pytest.raises(ValueError, match="more partners"):
        build_directory(Scale(partners=SMALL.partners, services=SMALL.services + 1))


def test_seed_demo_full_leaves_fresh_planner_statistics_on_postgresql(seeded_full):
    """Without them the planner takes 3,000 services for a handful and the search picks nested loops."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [Service._meta.db_table])
        assert cursor.fetchone()[0] >= 3000
