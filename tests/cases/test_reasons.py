"""The default coded reasons: seeded for every task force, once, and the lists the issue names."""

from importlib import import_module

import pytest
from django.apps import apps

from cases.models import ReasonCode, ReasonKind
from cases.reasons import DEFAULT_REASON_CODES, reason_codes_seed
from partners.services import task_force_create
from tests.factories import TaskForceFactory

pytestmark = pytest.mark.django_db


def test_every_kind_has_defaults_and_other_asks_for_text():
    assert set(DEFAULT_REASON_CODES) == set(ReasonKind.values)
    for kind, codes in DEFAULT_REASON_CODES.items():
        assert len({code for code, _, _ in codes}) == len(codes)
        for code, _label, needs_text in codes:
            assert needs_text == (code == "other"), (kind, code)
    assert "other" not in {code for code, _, _ in DEFAULT_REASON_CODES[ReasonKind.OUTCOME]}


def test_seeding_adds_the_missing_codes_once_and_keeps_edits():
    task_force = TaskForceFactory()
    total = sum(len(codes) for codes in DEFAULT_REASON_CODES.values())
    assert reason_codes_seed(task_force=task_force) == total
    code = ReasonCode.objects.get(task_force=task_force, kind=ReasonKind.DECLINE, code="no_capacity")
    code.label, code.active = "Waiting list full", False
    code.save()
    ReasonCode.objects.filter(task_force=task_force, kind=ReasonKind.WITHDRAW, code="sent_in_error").delete()

    assert reason_codes_seed(task_force=task_force) == 1

    code.refresh_from_db()
    assert (code.label, code.active) == ("Waiting list full", False)
    assert ReasonCode.objects.filter(task_force=task_force).count() == total


def test_a_new_task_force_gets_the_reason_codes():
    task_force = task_force_create(actor_user=None, name="Northern District", slug="ndt")
    assert ReasonCode.objects.filter(task_force=task_force, kind=ReasonKind.OUTCOME).count() == len(
        DEFAULT_REASON_CODES[ReasonKind.OUTCOME]
    )


def test_the_data_migration_seeds_existing_task_forces_with_the_same_codes():
    migration = import_module("cases.migrations.0002_seed_reason_codes")
    task_forces = [TaskForceFactory(), TaskForceFactory()]
    reason_codes_seed(task_force=task_forces[0])

    migration.seed(apps, None)
    migration.seed(apps, None)

    for task_force in task_forces:
        seeded = set(ReasonCode.objects.filter(task_force=task_force).values_list("kind", "code", "needs_text"))
        expected = {(kind, code, text) for kind, codes in DEFAULT_REASON_CODES.items() for code, _, text in codes}
        assert seeded == expected
