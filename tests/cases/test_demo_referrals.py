"""The demo history of seed_demo (issue 5, item 10): people with near-duplicates, consents, and referrals in every
state whose transition chains are legal per ``lifecycle.TRANSITIONS`` with consistent clock fields; idempotent,
deterministic, written in bulk (the ``--scale full`` path, exercised at a tiny scale)."""

import datetime
import io
import itertools
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases import demo_referrals, lifecycle, sla
from cases.consent import needs_consent
from cases.demo_referrals import Scale, build_history, build_people, seed_referrals
from cases.models import (
    CLOSED_STATUSES,
    Consent,
    ConsentScope,
    Note,
    Notification,
    Person,
    ReasonKind,
    Referral,
    Status,
    Transition,
)
from cases.people import person_duplicates, search_text_of
from partners.demo_directory import Scale as DirectoryScale
from partners.demo_directory import seed_directory
from partners.models import Membership, Partner, Role, TaskForce
from partners.services import taxonomy_seed
from psn.access import actor_for
from psn.middleware import SESSION_KEY

pytestmark = pytest.mark.django_db

# The kind of coded reason each closing status carries (completed: an outcome).
REASON_KINDS = {
    Status.DECLINED: ReasonKind.DECLINE,
    Status.CLOSED_UNSUCCESSFUL: ReasonKind.UNSUCCESSFUL,
    Status.COMPLETED: ReasonKind.OUTCOME,
    Status.WITHDRAWN: ReasonKind.WITHDRAW,
}
LEGAL = {(status, rule.to_status) for (status, _action), rule in lifecycle.TRANSITIONS.items()}
FIXED_NOW = datetime.datetime(2026, 10, 7, 15, 30, tzinfo=datetime.UTC)


def _counts(task_force) -> dict:
    return {
        model.__name__: model.objects.filter(task_force=task_force).count()
        for model in (Person, Consent, Referral, Transition, Note, Notification)
    }


@pytest.fixture
def seeded(monkeypatch):
    monkeypatch.setenv("PSN_DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    return TaskForce.objects.get(slug="wdmo")


def _directory_only(slug: str, partners: int = 60, services: int = 400) -> TaskForce:
    """A task force with a generated directory and no accounts (moves without a demo account have no actor)."""
    task_force = TaskForce.objects.create(slug=slug, name=f"Demo {slug}")
    taxonomy_seed(task_force=task_force)
    seed_directory(task_force, DirectoryScale(partners=partners, services=services))
    return task_force


def _valid_consent_on(consents, referral, at) -> bool:
    """Valid for ``referral``'s receiving partner at ``at`` (revoked only after it: history, not today)."""
    day = timezone.localdate(at, timezone=referral.task_force.tzinfo)
    for consent in consents:
        if consent.given_on > day or (consent.expires_on and consent.expires_on < day):
            continue
        if consent.revoked_at and consent.revoked_at <= at:
            continue
        if consent.scope == ConsentScope.TASK_FORCE or referral.receiving_partner_id in consent.partner_ids:
            return True
    return False


def test_the_small_demo_has_every_state_and_every_history_is_legal(seeded):
    now = timezone.now()
    referrals = list(
        Referral.objects.filter(task_force=seeded)
        .select_related("task_force", "close_reason", "receiving_partner", "transferred_from")
        .prefetch_related("transitions__reason", "notes")
    )
    assert 1300 <= len(referrals) <= 1700
    assert {r.status for r in referrals} == set(Status.values)
    assert any(r.status == Status.SUBMITTED and r.overdue_at for r in referrals)
    assert any(r.status == Status.SUBMITTED and not r.overdue_at for r in referrals)

    consents = defaultdict(list)
    for consent in Consent.objects.filter(task_force=seeded).prefetch_related("partners"):
        consent.partner_ids = {p.pk for p in consent.partners.all()}
        consents[consent.person_id].append(consent)
    acting = {
        (m.user_id, m.partner_id)
        for m in Membership.objects.filter(task_force=seeded, role__in=[Role.REFERRAL_STAFF, Role.PARTNER_ADMIN])
    }
    for referral in referrals:
        moves = list(referral.transitions.all())
        first = Status.SUBMITTED if referral.transferred_from_id else Status.DRAFT
        assert (moves[0].from_status, moves[0].to_status) == ("", first), referral
        for before, after in itertools.pairwise(moves):
            assert after.from_status == before.to_status and (after.from_status, after.to_status) in LEGAL, referral
            assert before.at <= after.at <= now, referral
        assert moves[-1].to_status == referral.status, referral
        for move in moves:
            assert move.actor_id is None or (move.actor_id, move.actor_partner_id) in acting, move
        submitted = [m.at for m in moves if m.to_status == Status.SUBMITTED]
        assert referral.submitted_at == (submitted[0] if submitted else None), referral
        if referral.submitted_at:
            assert referral.acknowledge_by == sla.acknowledge_deadline(seeded, referral.submitted_at)
            if needs_consent(referral.receiving_partner):
                assert _valid_consent_on(consents[referral.person_id], referral, referral.submitted_at), referral
        answered = [m.at for m in moves if m.to_status in (Status.ACCEPTED, Status.DECLINED)]
        assert referral.acknowledged_at == (answered[0] if answered else None), referral
        if referral.overdue_at:  # marked by the sweep after the deadline, before any answer
            assert referral.acknowledge_by < referral.overdue_at <= now
            assert referral.acknowledged_at is None or referral.overdue_at < referral.acknowledged_at
        elif referral.status == Status.SUBMITTED:
            assert referral.acknowledge_by + datetime.timedelta(minutes=15) > now, referral
        if referral.status in CLOSED_STATUSES:
            assert referral.closed_at == moves[-1].at, referral
            kind = REASON_KINDS.get(referral.status)
            assert (referral.close_reason.kind if referral.close_reason else None) == kind, referral
            if referral.close_reason and referral.close_reason.needs_text:
                assert moves[-1].reason_text, referral
        else:
            assert referral.closed_at is None and referral.close_reason is None, referral
        contact_notes = [n for n in referral.notes.all() if n.is_contact]
        if referral.first_contact_at:
            assert Status.ACCEPTED in {m.to_status for m in moves}, referral
            assert [n.created_at for n in contact_notes] == [referral.first_contact_at]
            assert contact_notes[0].author_partner_id == referral.receiving_partner_id
        else:
            assert not contact_notes
        last_change = max([moves[-1].at] + ([referral.first_contact_at] if referral.first_contact_at else []))
        assert referral.updated_at == last_change, referral
        match = lifecycle.REFERENCE_PATTERN.match(referral.reference)
        assert match and int(match.group(1)) == timezone.localtime(referral.created_at, seeded.tzinfo).year

    successors = [r for r in referrals if r.transferred_from_id]
    assert successors and len(successors) == sum(r.status == Status.TRANSFERRED for r in referrals)
    for successor in successors:
        original = successor.transferred_from
        assert original.status == Status.TRANSFERRED and successor.created_at == original.closed_at
        assert successor.person_id == original.person_id and successor.sending_partner_id == original.sending_partner_id
        assert successor.receiving_partner_id not in (original.receiving_partner_id, original.sending_partner_id)

    # Roughly two and a half notes a referral, shared and internal, each by a member of its partner.
    notes = Note.objects.filter(task_force=seeded)
    assert 2 * len(referrals) <= notes.count() <= 4 * len(referrals)
    assert notes.filter(visibility="internal").exists() and notes.filter(visibility="shared").exists()
    strangers = notes.exclude(author_partner=F("referral__sending_partner")).exclude(
        author_partner=F("referral__receiving_partner")
    )
    assert not strangers.exists()
    # Every move and note of the small demo has a person behind it (a demo account or a partner's caseworker).
    assert not Transition.objects.filter(task_force=seeded, actor__isnull=True).exists()
    assert not notes.filter(author__isnull=True).exists()
    # The demo accounts act and are told: the staff of the demo partners have unread notifications.
    staff = get_user_model().objects.get(email="staff@wdmo.example.org")
    assert Transition.objects.filter(task_force=seeded, actor=staff).exists()
    assert Notification.objects.filter(user=staff, read_at__isnull=True).exists()


def test_people_have_aliases_languages_consents_and_near_duplicates_the_check_finds(seeded):
    people = Person.objects.filter(task_force=seeded)
    assert people.count() == 400
    assert people.exclude(aliases="").count() > 40
    assert people.filter(preferred_language__code="es").count() > 40
    assert people.exclude(neighborhood="").count() > 300
    # Derived fields as person_create writes them.
    for sample in people.exclude(aliases="").exclude(phone="")[:20]:
        assert sample.phone_digits == "".join(c for c in sample.phone if c.isdigit())
        assert sample.search_text == search_text_of(
            given_name=sample.given_name, family_name=sample.family_name, aliases=sample.aliases
        )
    consents = Consent.objects.filter(task_force=seeded)
    today = timezone.localdate(timezone=seeded.tzinfo)
    assert consents.filter(expires_on__lt=today).exists() and consents.filter(revoked_at__isnull=False).exists()
    assert consents.filter(scope=ConsentScope.PARTNERS, partners__isnull=False).exists()
    # Entered before their consent was recorded and before anything was filed for them.
    assert not consents.filter(recorded_at__lt=F("person__created_at")).exists()
    assert not Referral.objects.filter(task_force=seeded, created_at__lt=F("person__created_at")).exists()
    assert not consents.filter(revoked_at__isnull=False, revoked_by__isnull=True, recorded_by__isnull=False).exists()

    specs = build_people(400)
    duplicates = [(i, spec) for i, spec in enumerate(specs) if spec.duplicate_of is not None]
    assert len(duplicates) >= 10
    coordinator = actor_for(get_user_model().objects.get(email="coordinator@wdmo.example.org"), requested_slug="wdmo")
    found = 0
    for _index, spec in duplicates[:8]:
        original = specs[spec.duplicate_of]
        record = people.get(given_name=spec.given_name, family_name=spec.family_name, date_of_birth=spec.date_of_birth)
        candidates = person_duplicates(
            actor=coordinator,
            given_name=spec.given_name,
            family_name=spec.family_name,
            date_of_birth=spec.date_of_birth,
            phone=spec.phone,
            exclude_id=record.pk,
        )
        earlier = people.get(
            given_name=original.given_name, family_name=original.family_name, date_of_birth=original.date_of_birth
        )
        found += earlier.pk in {c.person_id for c in candidates}
    assert found >= 7  # the check finds (nearly) every one


def test_seed_demo_twice_adds_nothing_and_filing_continues_the_reference_numbers(seeded):
    before = _counts(seeded)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert _counts(seeded) == before
    assert "created now: 0 people, 0 consents, 0 referrals" in out.getvalue()

    staff = get_user_model().objects.get(email="staff@wdmo.example.org")
    actor = actor_for(staff, requested_slug="wdmo")
    sender = Partner.objects.get(task_force=seeded, name="Second Chance Workforce Center")
    person = Person.objects.filter(task_force=seeded, consents__scope=ConsentScope.TASK_FORCE).first()
    Consent.objects.create(task_force=seeded, person=person, scope=ConsentScope.TASK_FORCE, shares=["contact"],
                           method="verbal", given_on=timezone.localdate(timezone=seeded.tzinfo))  # fmt: skip
    receiver = Partner.objects.get(task_force=seeded, name="Safe Harbor Housing")
    year = timezone.localtime(timezone.now(), seeded.tzinfo).year
    highest = Referral.objects.filter(task_force=seeded, reference__startswith=f"R-{year}-").order_by("-reference")
    last = int(highest.first().reference.rsplit("-", 1)[1])
    filed = lifecycle.referral_create(
        actor=actor,
        person=person,
        sending_partner=sender,
        receiving_partner=receiver,
        needs=list(seeded.taxonomy_terms.filter(code="PSN-HOU")),
    )
    assert filed.reference == f"R-{year}-{last + 1:06d}"


def test_the_people_and_the_history_are_deterministic():
    people = build_people(300)
    assert people == build_people(300)
    assert build_people(100) == people[:100]  # the small demo's people are the first of the full one's
    assert len({p.key for p in build_people(3000)}) == 3000


def test_the_same_directory_and_clock_give_the_same_history():
    first, second = _directory_only("demo-a"), _directory_only("demo-b")
    scale = Scale(people=60, referrals=200, months=18)
    seed_referrals(first, scale, now=FIXED_NOW)
    seed_referrals(second, scale, now=FIXED_NOW)

    def history(task_force):
        return list(
            Referral.objects.filter(task_force=task_force)
            .order_by("reference")
            .values_list("reference", "status", "created_at", "closed_at", "sending_partner__name", "person__phone")
        )

    assert history(first) == history(second) != []
    assert _counts(first) == _counts(second)
    # No demo accounts in these task forces: the moves have no actor, only the partner that made them.
    assert not Transition.objects.filter(task_force=first, actor__isnull=False).exists()
    assert not Transition.objects.filter(task_force=first, actor_partner__isnull=True).exists()
    assert not Referral.objects.filter(task_force=first, created_at__gt=FIXED_NOW).exists()


def test_the_full_path_writes_in_bulk_chunks_and_full_after_small_adds_only_the_new_people(monkeypatch):
    """The --scale full code at a tiny scale: chunks of 100 referrals, batches of 50 rows."""
    monkeypatch.setattr(demo_referrals, "CHUNK", 100)
    monkeypatch.setattr(demo_referrals, "BATCH", 50)
    task_force = _directory_only("demo-bulk")
    small = Scale(people=50, referrals=150, months=18)
    seed_referrals(task_force, small, now=FIXED_NOW)
    small_counts = _counts(task_force)
    kept = set(Referral.objects.filter(task_force=task_force).values_list("reference", "person_id"))

    big = Scale(people=150, referrals=500, months=120)
    with CaptureQueriesContext(connection) as writing:
        created = seed_referrals(task_force, big, now=FIXED_NOW)
    assert created["people"] == 100 and Person.objects.filter(task_force=task_force).count() == 150
    assert kept <= set(Referral.objects.filter(task_force=task_force).values_list("reference", "person_id"))
    assert _counts(task_force)["Referral"] == small_counts["Referral"] + created["referrals"]
    assert created["referrals"] >= 300 and created["transitions"] >= 3 * created["referrals"]
    rows = sum(created.values())
    assert len(writing) <= 60 + rows // 20, "not bulk: about one statement per row"
    # Numbers are unique and dense per year: the second run continued after the first run's.
    references = Referral.objects.filter(task_force=task_force).values_list("reference", flat=True)
    assert len(set(references)) == len(references)
    by_year = defaultdict(list)
    for reference in references:
        by_year[reference[2:6]].append(int(reference[7:]))
    for numbers in by_year.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    # Ten years back: the full history's first filings are from a decade ago.
    oldest = Referral.objects.filter(task_force=task_force).order_by("created_at").first().created_at
    assert (FIXED_NOW - oldest).days > 9 * 365
    assert seed_referrals(task_force, big, now=FIXED_NOW) == dict.fromkeys(created, 0)


def test_without_services_or_people_nothing_is_invented():
    task_force = TaskForce.objects.create(slug="empty", name="Empty")
    assert sum(seed_referrals(task_force, Scale(people=5, referrals=10, months=18)).values()) == 5  # people only
    assert not Referral.objects.filter(task_force=task_force).exists()
    assert build_history(demo_referrals._cast(task_force), [], Scale(0, 0, 18), FIXED_NOW) == []


def test_a_referral_of_every_state_opens_for_the_coordinator_and_the_receiving_staff(seeded, client):
    coordinator = get_user_model().objects.get(email="coordinator@wdmo.example.org")
    client.force_login(coordinator)
    session = client.session
    session[SESSION_KEY] = seeded.pk  # the coordinator also serves edmo: act in wdmo
    session.save()
    for status in Status.values:
        referral = Referral.objects.filter(task_force=seeded, status=status).order_by("pk").first()
        response = client.get(reverse("cases:referral_detail", args=[referral.pk]))
        assert response.status_code == 200, status
        assert referral.reference in response.content.decode()
    staff = get_user_model().objects.get(email="staff@wdmo.example.org")
    client.force_login(staff)
    received = Referral.objects.filter(task_force=seeded, receiving_partner__memberships__user=staff)
    referral = received.filter(notes__visibility="shared", status=Status.COMPLETED).order_by("pk").first()
    response = client.get(reverse("cases:referral_detail", args=[referral.pk]))
    assert response.status_code == 200
    assert escape(referral.notes.filter(visibility="shared").first().body) in response.content.decode()
