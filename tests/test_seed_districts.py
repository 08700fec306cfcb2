"""``seed_demo --task-forces N`` (issue 8, item 1): N-1 generated districts beside the demo district, each row in
its own task force, each district in a transaction of its own (a failure keeps the finished ones and a rerun
adds the rest), idempotent; the demo accounts still sign in and see only their districts. Small scale, seeded
once for the module."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone

from cases import demo_referrals
from cases.models import Consent, Note, Notification, Person, Referral, Transition
from meetings.models import ActionItem, Invitee, Meeting, MeetingPartner, Reminder
from partners.management.commands.seed_demo import DEMO_ACCOUNTS, DEMO_DOMAIN
from partners.models import Contact, Location, Membership, Partner, Service, TaskForce
from reports import services as report_services
from reports.models import CrimeCountUpload, ReportSnapshot, ReportStatus
from reports.tasks import build_report

from .accounts.signin import is_signed_in, sign_in

PASSWORD = "demo-password-for-tests"
GENERATED = ["district-02", "district-03"]
MODELS = (Partner, Service, Membership, Person, Consent, Referral, Transition, Note, Notification, Meeting)


def _counts() -> dict:
    counts = {model.__name__: model.objects.count() for model in (TaskForce, *MODELS, ActionItem, Reminder)}
    counts["users"] = get_user_model().objects.count()
    return counts


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Three districts: the first run fails in the third one (after the second is done), the second run adds it,
    the third adds nothing. The counts after each run, for the tests."""
    with django_db_blocker.unblock(), transaction.atomic(), pytest.MonkeyPatch.context() as patch:
        patch.setenv("PSN_DEMO_PASSWORD", PASSWORD)
        real = demo_referrals.seed_referrals

        def fails_in_the_third(task_force, *args, **kwargs):
            if task_force.slug == "district-03":
                raise RuntimeError("the database went away")
            return real(task_force, *args, **kwargs)

        with pytest.MonkeyPatch.context() as failing:
            failing.setattr(demo_referrals, "seed_referrals", fails_in_the_third)
            with pytest.raises(RuntimeError, match="went away"):
                call_command("seed_demo", task_forces=3, stdout=io.StringIO())
        runs = {"failed": (set(TaskForce.objects.values_list("slug", flat=True)), _counts())}
        call_command("seed_demo", task_forces=3, stdout=io.StringIO())
        runs["second"] = _counts()
        out = io.StringIO()
        call_command("seed_demo", task_forces=3, stdout=out)
        runs["third"] = _counts()
        runs["out"] = out.getvalue()
        yield runs
        transaction.set_rollback(True)


def test_a_failed_district_keeps_the_finished_ones_and_a_rerun_adds_it(db, seeded):
    slugs, counts = seeded["failed"]
    assert slugs == {"wdmo", "edmo", "district-02"}  # district-03 rolled back whole, its task force too
    assert counts["Referral"] > 2 * 1300
    assert seeded["second"]["TaskForce"] == 4
    district_03 = TaskForce.objects.get(slug="district-03")
    assert Referral.objects.filter(task_force=district_03).count() > 1300
    assert seeded["second"]["Referral"] - counts["Referral"] == Referral.objects.filter(task_force=district_03).count()


def test_a_second_run_changes_nothing_and_says_so(db, seeded):
    assert seeded["third"] == seeded["second"]
    out = seeded["out"]
    for slug in GENERATED:
        assert f"{slug} (Demo District {slug[-2:]}" in out
    # The third run's progress: every district found complete.
    assert out.count("(0 created now)") == 3


def test_every_generated_district_is_a_whole_district_of_its_own(db, seeded):
    wdmo = TaskForce.objects.get(slug="wdmo")
    zones = set()
    for slug in GENERATED:
        task_force = TaskForce.objects.get(slug=slug)
        zones.add(task_force.timezone)
        for model in MODELS:
            mine = model.objects.filter(task_force=task_force).count()
            # Notifications go to the acting accounts: a generated district has more of them, the demo fewer moves.
            share = 0.5 if model is Notification else 0.8
            assert mine >= share * model.objects.filter(task_force=wdmo).count() > 0, (slug, model.__name__)
        # Its accounts: its own domain, no demo account, no usable password.
        users = get_user_model().objects.filter(memberships__task_force=task_force).distinct()
        assert users.count() > 20
        assert {user.email.split("@")[1] for user in users} == {f"{slug}.example.org"}
        assert not any(user.has_usable_password() for user in users)
        assert users.filter(memberships__role="coordinator").count() == 1
        assert CrimeCountUpload.objects.filter(task_force=task_force).exists()
    assert len(zones) == len(GENERATED)


def _not_a_member(user_field: str, task_force_field: str = "task_force") -> Exists:
    return ~Exists(Membership.objects.filter(user=OuterRef(user_field), task_force=OuterRef(task_force_field)))


def test_no_row_points_at_a_partner_person_or_user_of_another_task_force(db, seeded):
    strays = {
        "membership partner": Membership.objects.exclude(partner__task_force=F("task_force")),
        "service partner": Service.objects.exclude(partner__task_force=F("task_force")),
        "location partner": Location.objects.exclude(partner__task_force=F("task_force")),
        "contact partner": Contact.objects.exclude(partner__task_force=F("task_force")),
        "referral person": Referral.objects.exclude(person__task_force=F("task_force")),
        "referral sender": Referral.objects.exclude(sending_partner__task_force=F("task_force")),
        "referral receiver": Referral.objects.exclude(receiving_partner__task_force=F("task_force")),
        "referral service": Referral.objects.filter(service__isnull=False).exclude(service__task_force=F("task_force")),
        "referral origin": Referral.objects.filter(transferred_from__isnull=False).exclude(
            transferred_from__task_force=F("task_force")
        ),
        "referral need": Referral.needs.through.objects.exclude(taxonomyterm__task_force=F("referral__task_force")),
        "referral filer": Referral.objects.filter(created_by__isnull=False).filter(_not_a_member("created_by")),
        "consent person": Consent.objects.exclude(person__task_force=F("task_force")),
        "consent partner": Consent.partners.through.objects.exclude(partner__task_force=F("consent__task_force")),
        "consent recorder": Consent.objects.filter(recorded_by__isnull=False).filter(_not_a_member("recorded_by")),
        "transition referral": Transition.objects.exclude(referral__task_force=F("task_force")),
        "transition partner": Transition.objects.exclude(actor_partner__task_force=F("task_force")),
        "transition actor": Transition.objects.filter(actor__isnull=False).filter(_not_a_member("actor")),
        "note referral": Note.objects.exclude(referral__task_force=F("task_force")),
        "note partner": Note.objects.exclude(author_partner__task_force=F("task_force")),
        "note author": Note.objects.filter(author__isnull=False).filter(_not_a_member("author")),
        "notification referral": Notification.objects.exclude(referral__task_force=F("task_force")),
        "notification user": Notification.objects.filter(_not_a_member("user")),
        "meeting organiser": Meeting.objects.filter(created_by__isnull=False).filter(_not_a_member("created_by")),
        "meeting partner": MeetingPartner.objects.exclude(partner__task_force=F("meeting__task_force")),
        "invitee": Invitee.objects.filter(_not_a_member("user", "meeting__task_force")),
        "action item meeting": ActionItem.objects.exclude(meeting__task_force=F("task_force")),
        "action item owner": ActionItem.objects.filter(_not_a_member("owner")),
        "reminder user": Reminder.objects.filter(_not_a_member("user")),
        "crime counts uploader": CrimeCountUpload.objects.filter(_not_a_member("uploaded_by")),
    }
    assert {label: rows.count() for label, rows in strays.items()} == dict.fromkeys(strays, 0)


def test_the_demo_accounts_still_sign_in_and_see_only_their_districts(db, seeded, client):
    for local, *_rest in DEMO_ACCOUNTS:
        email = f"{local}@{DEMO_DOMAIN}"
        client.logout()
        sign_in(client, email, PASSWORD)
        assert is_signed_in(client), email
        user = get_user_model().objects.get(email=email)
        slugs = set(Membership.objects.filter(user=user).values_list("task_force__slug", flat=True))
        assert slugs == ({"wdmo", "edmo"} if local == "coordinator" else {"wdmo"}), email
        page = client.get(reverse("home"), follow=True)  # the coordinator chooses a task force first
        assert page.status_code == 200
        assert b"Demo District" not in page.content, email
    # Nobody signs in as a generated district's accounts.
    client.logout()
    sign_in(client, "coordinator@district-02.example.org", PASSWORD)
    assert not is_signed_in(client)


def test_the_monthly_run_builds_a_generated_districts_report(db, seeded):
    """The generated districts get no report from the seed: the monthly run makes theirs like any task force's."""
    made = {s.task_force.slug: s for s in report_services.reports_schedule_monthly(now=timezone.now().replace(day=15))}
    assert set(made) == {"wdmo", "edmo", *GENERATED}
    assert build_report(made["district-02"].pk)
    snapshot = ReportSnapshot.objects.get(pk=made["district-02"].pk)
    assert snapshot.status == ReportStatus.DONE and snapshot.numbers["headline"]["crime_total"] > 0
