"""create_task_force and seed_demo (DESIGN.md "Fixed interfaces")."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cases.models import Note, Person, Referral, Transition
from partners.models import Membership, Partner, PartnerKind, Role, TaskForce
from psn.models import AuditEvent


@pytest.mark.django_db
def test_create_task_force_creates_the_tenant_and_audits_it(capsys):
    call_command(
        "create_task_force", "--slug", "ndtx", "--name", "Northern District of Texas", "--timezone", "America/Chicago"
    )
    task_force = TaskForce.objects.get(slug="ndtx")
    assert task_force.name == "Northern District of Texas"
    assert task_force.sla_business_days == 2
    assert (
        AuditEvent.objects.filter(
            action="created", object_type="partners.taskforce", object_id=str(task_force.pk)
        ).count()
        == 1
    )
    assert "Created task force" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug", "Bad Slug!", "--name", "X"], "slug"),
        (["--slug", "ok", "--name", "X", "--timezone", "Mars/Olympus"], "timezone"),
        (["--slug", "ok", "--name", "X", "--sla-business-days", "0"], "sla_business_days"),
    ],
)
def test_create_task_force_refuses_bad_input_with_a_message(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_task_force", *args)
    assert TaskForce.objects.count() == 0


@pytest.mark.django_db
def test_create_task_force_refuses_a_duplicate_slug():
    call_command("create_task_force", "--slug", "wdmo", "--name", "Western District of Missouri")
    with pytest.raises(CommandError, match="slug"):
        call_command("create_task_force", "--slug", "wdmo", "--name", "Another name")
    assert TaskForce.objects.count() == 1


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_makes_every_role(capsys, monkeypatch):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    counts = (
        TaskForce.objects.count(),
        Partner.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
        Person.objects.count(),
        Referral.objects.count(),
        Transition.objects.count(),
        Note.objects.count(),
    )
    call_command("seed_demo")
    assert (
        TaskForce.objects.count(),
        Partner.objects.count(),
        Membership.objects.count(),
        get_user_model().objects.count(),
        Person.objects.count(),
        Referral.objects.count(),
        Transition.objects.count(),
        Note.objects.count(),
    ) == counts
    people, referrals, transitions, notes = counts[4:]  # the demo history
    assert people == 400 and referrals > 1300 and transitions > 3 * referrals and notes > 2 * referrals

    wdmo = TaskForce.objects.get(slug="wdmo")
    assert wdmo.name == "Western District of Missouri"
    kinds = set(Partner.objects.filter(task_force=wdmo).values_list("kind", flat=True))
    assert kinds == set(PartnerKind.values)
    roles = set(Membership.objects.filter(task_force=wdmo).values_list("role", flat=True))
    assert roles == set(Role.values)
    admin = get_user_model().objects.get(email="admin@wdmo.example.org")
    assert admin.is_superuser
    assert admin.check_password("demo-password-for-tests")
    out = capsys.readouterr().out
    assert "coordinator@wdmo.example.org" in out
    assert "demo-password-for-tests" in out
    # Both runs print the history's counts; the second one created none of it.
    assert f"{counts[5]:,} referrals, {counts[6]:,} transitions" in out
    assert "created now: 0 people, 0 consents, 0 referrals, 0 transitions, 0 notes" in out


@pytest.mark.django_db
def test_seed_demo_reactivates_a_demo_account_disabled_as_dormant(monkeypatch):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo")
    get_user_model().objects.filter(email="member@wdmo.example.org").update(is_active=False)
    call_command("seed_demo")
    assert get_user_model().objects.get(email="member@wdmo.example.org").is_active
