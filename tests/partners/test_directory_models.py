"""Directory models: every task force gets the taxonomy, and rows carry their task force and HSDS id."""

import pytest
from django.core.management import call_command

from partners.models import Language, Service, TaskForce, TaxonomyTerm
from partners.services import taxonomy_seed
from partners.taxonomy import DEFAULT_TAXONOMY, LANGUAGES

from ..factories import PartnerFactory, TaskForceFactory


@pytest.mark.django_db
def test_a_new_task_force_starts_with_the_default_taxonomy():
    call_command("create_task_force", "--slug", "ndtx", "--name", "Northern District of Texas")
    task_force = TaskForce.objects.get(slug="ndtx")
    codes = set(TaxonomyTerm.objects.filter(task_force=task_force).values_list("code", flat=True))
    assert codes == {code for code, _, _ in DEFAULT_TAXONOMY}
    assert {"PSN-TAT", "PSN-REL", "PSN-VS"} <= codes  # tattoo removal, relocation, victim services


@pytest.mark.django_db
def test_seeding_the_taxonomy_again_adds_nothing_and_keeps_edited_names():
    task_force = TaskForceFactory()
    taxonomy_seed(task_force=task_force)
    TaxonomyTerm.objects.filter(task_force=task_force, code="PSN-EMP").update(name="Jobs")
    assert taxonomy_seed(task_force=task_force) == 0
    assert TaxonomyTerm.objects.filter(task_force=task_force).count() == len(DEFAULT_TAXONOMY)
    assert TaxonomyTerm.objects.get(task_force=task_force, code="PSN-EMP").name == "Jobs"


@pytest.mark.django_db
def test_languages_are_reference_data_shared_by_every_task_force():
    assert set(Language.objects.values_list("code", flat=True)) >= {code for code, _ in LANGUAGES}


@pytest.mark.django_db
def test_a_service_takes_its_task_force_from_its_partner():
    partner = PartnerFactory()
    service = Service(partner=partner, name="Welding course")
    service.full_clean()
    service.save()
    assert service.task_force_id == partner.task_force_id


@pytest.mark.django_db
def test_every_partner_gets_its_own_hsds_id():
    task_force = TaskForceFactory()
    first, second = PartnerFactory(task_force=task_force), PartnerFactory(task_force=task_force)
    assert first.hsds_id and second.hsds_id and first.hsds_id != second.hsds_id


@pytest.mark.django_db
def test_seed_demo_gives_both_demo_districts_the_taxonomy(monkeypatch):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    for slug in ("wdmo", "edmo"):
        assert TaxonomyTerm.objects.filter(task_force__slug=slug).count() == len(DEFAULT_TAXONOMY)
