"""Merging two records of one person (coordinators): referrals and consents move, notes follow their referral,
keep's blanks are filled, names become aliases, the merged record stays hidden, both ids are in the audit trail."""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from cases.models import Consent, Note, Person, Referral
from cases.people import person_merge
from psn import access
from psn.models import AuditEvent
from tests.conftest import build_world
from tests.factories import ConsentFactory, PersonFactory, ReferralFactory
from tests.partners.members_support import actor_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(world):
    keep = PersonFactory(task_force=world.tf, given_name="John", family_name="Smith", aliases="JJ")
    merge = PersonFactory(
        task_force=world.tf,
        given_name="Jon",
        family_name="Smith",
        aliases="Johnny\njj",
        date_of_birth=datetime.date(1990, 5, 1),
        phone="816 555 0101",
        neighborhood="Ivanhoe",
    )
    return keep, merge


def test_coordinator_merges_moving_referrals_consents_and_filling_blanks(world, pair):
    keep, merge = pair
    referral = ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, person=merge)
    note = Note.objects.create(
        task_force=world.tf, referral=referral, author_partner=world.sending, body="met at the center"
    )
    consent = ConsentFactory(person=merge)
    kept_referral = ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, person=keep)

    result = person_merge(actor=actor_of(world, "coordinator"), keep=keep, merge=merge)

    assert result.pk == keep.pk
    assert set(Referral.objects.filter(person=keep)) == {referral, kept_referral}
    assert list(Consent.objects.filter(person=keep)) == [consent]
    assert Note.objects.get(pk=note.pk).referral.person_id == keep.pk
    keep.refresh_from_db()
    merge.refresh_from_db()
    assert keep.date_of_birth == datetime.date(1990, 5, 1)
    assert (keep.phone_digits, keep.neighborhood) == ("8165550101", "Ivanhoe")
    assert keep.alias_list == ["JJ", "Johnny", "Jon Smith"]
    assert "jon smith" in keep.search_text
    assert merge.merged_into == keep and merge.merged_at is not None
    assert not Referral.objects.filter(person=merge).exists()


def test_merge_is_audited_on_both_ids(world, pair):
    keep, merge = pair
    ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, person=merge)
    person_merge(actor=actor_of(world, "coordinator"), keep=keep, merge=merge)
    on_keep = AuditEvent.objects.get(object_type="cases.person", object_id=str(keep.pk), action="changed")
    on_merge = AuditEvent.objects.get(object_type="cases.person", object_id=str(merge.pk), action="changed")
    assert on_keep.changes["merged_from"] == [None, str(merge.pk)]
    assert on_keep.changes["referrals_moved"] == [None, "1"]
    assert on_merge.changes["merged_into"] == [None, str(keep.pk)]
    assert on_keep.actor == on_merge.actor == world.user("coordinator")
    assert on_keep.task_force == on_merge.task_force == world.tf


def test_keep_fields_are_not_overwritten(world, pair):
    keep, merge = pair
    keep.neighborhood = "Westport"
    keep.save()
    person_merge(actor=actor_of(world, "coordinator"), keep=keep, merge=merge)
    keep.refresh_from_db()
    assert keep.neighborhood == "Westport"


@pytest.mark.parametrize("key", ["receiving_referral_staff", "receiving_partner_admin", "sending_member"])
def test_only_coordinators_merge(world, pair, key):
    keep, merge = pair
    with pytest.raises(PermissionDenied):
        person_merge(actor=actor_of(world, key), keep=keep, merge=merge)
    merge.refresh_from_db()
    assert merge.merged_into is None


def test_merge_refuses_self_cross_task_force_and_already_merged(world, pair):
    keep, merge = pair
    coordinator = actor_of(world, "coordinator")
    with pytest.raises(ValidationError):
        person_merge(actor=coordinator, keep=keep, merge=keep)
    foreign = PersonFactory(task_force=world.other_tf)
    with pytest.raises(Http404):
        person_merge(actor=coordinator, keep=keep, merge=foreign)
    with pytest.raises(Http404):
        person_merge(actor=actor_of(world, "foreign_coordinator"), keep=foreign, merge=keep)
    person_merge(actor=coordinator, keep=keep, merge=merge)
    third = PersonFactory(task_force=world.tf)
    with pytest.raises(ValidationError):
        person_merge(actor=coordinator, keep=third, merge=merge)
    with pytest.raises(ValidationError):
        person_merge(actor=coordinator, keep=merge, merge=third)
    assert Person.objects.get(pk=third.pk).merged_into is None
    assert Person.objects.get(pk=foreign.pk).merged_into is None


def test_a_failed_merge_changes_nothing(world, pair):
    keep, merge = pair
    merge.aliases = "\n".join(f"Alias number {n}" for n in range(80))  # the union exceeds the aliases limit
    merge.save()
    referral = ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, person=merge)
    with pytest.raises(ValidationError):
        person_merge(actor=actor_of(world, "coordinator"), keep=keep, merge=merge)
    referral.refresh_from_db()
    merge.refresh_from_db()
    assert referral.person_id == merge.pk
    assert merge.merged_into is None
    assert not AuditEvent.objects.filter(object_type="cases.person", action="changed").exists()


def test_records_merged_earlier_follow_to_the_one_that_stands(world, pair):
    keep, merge = pair
    older = PersonFactory(task_force=world.tf, merged_into=merge)
    person_merge(actor=actor_of(world, "coordinator"), keep=keep, merge=merge)
    assert Person.objects.get(pk=older.pk).merged_into_id == keep.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_crossed_concurrent_merges_end_with_one_record_standing():
    world = build_world()
    a = PersonFactory(task_force=world.tf, given_name="John", family_name="Smith")
    b = PersonFactory(task_force=world.tf, given_name="Jon", family_name="Smith")
    ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, person=a)
    ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, person=b)
    start = threading.Barrier(2)
    outcomes = []

    def merge(user_key, keep, other):
        try:
            actor = access.actor_for(world.user(user_key), remembered_id=world.tf.pk)
            start.wait()
            person_merge(actor=actor, keep=keep, merge=other)
            outcomes.append("merged")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()

    threads = [
        threading.Thread(target=merge, args=("coordinator", a, b)),
        threading.Thread(target=merge, args=("site_admin", b, a)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["One of these records was already merged into another one.", "merged"]
    standing = Person.objects.filter(pk__in=[a.pk, b.pk], merged_into__isnull=True)
    assert standing.count() == 1
    assert Referral.objects.filter(person=standing.get()).count() == 2
