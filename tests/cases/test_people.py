"""Entering and correcting people: who may, the derived fields, the duplicate check before a second record."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from cases.models import Person
from cases.people import DuplicateCandidates, person_create, person_update, phone_digits
from psn.models import AuditEvent
from tests.factories import PersonFactory
from tests.partners.members_support import actor_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "key",
    ["sending_referral_staff", "receiving_referral_staff", "receiving_partner_admin", "coordinator", "site_admin"],
)
def test_referral_staff_partner_admins_and_coordinators_enter_people(world, key):
    actor = actor_of(world, key) if key != "site_admin" else _site_admin(world)
    person = person_create(actor=actor, given_name="Ana", family_name="Lopez")
    assert person.task_force == world.tf
    assert person.created_by == world.user(key)
    assert AuditEvent.objects.filter(action="created", object_type="cases.person", object_id=str(person.pk)).exists()


@pytest.mark.parametrize("key", ["sending_member", "receiving_member", "nobody"])
def test_members_and_strangers_may_not_enter_people(world, key):
    with pytest.raises(PermissionDenied):
        person_create(actor=actor_of(world, key), given_name="Ana", family_name="Lopez")
    assert not Person.objects.exists()


def test_names_are_normalised_and_search_fields_derived(world):
    person = person_create(
        actor=actor_of(world, "receiving_referral_staff"),
        given_name="  José   María ",
        family_name=" Núñez ",
        aliases="  Chepe \n\n chepe\nJ.M.  Nunez ",
        phone="+1 (816) 555-0101",
        neighborhood="  Ivanhoe  ",
    )
    assert (person.given_name, person.family_name, person.neighborhood) == ("José María", "Núñez", "Ivanhoe")
    assert person.aliases == "Chepe\nJ.M. Nunez"
    assert person.phone_digits == "8165550101"
    assert person.search_text == "jose maria nunez\nchepe\nj.m. nunez"


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("(816) 555-0101", "8165550101"),
        ("816.555.0101", "8165550101"),
        ("+1 816 555 0101", "8165550101"),
        ("+52 55 1234 5678", "525512345678"),
        ("", ""),
    ],
)
def test_phone_digits(raw, digits):
    assert phone_digits(raw) == digits


def test_blank_names_and_a_future_birth_date_are_refused(world):
    actor = actor_of(world, "receiving_referral_staff")
    with pytest.raises(ValidationError) as error:
        person_create(actor=actor, given_name="  ", family_name="")
    assert set(error.value.message_dict) == {"given_name", "family_name"}
    with pytest.raises(ValidationError) as error:
        person_create(actor=actor, given_name="A", family_name="B", date_of_birth=datetime.date(2999, 1, 1))
    assert "date_of_birth" in error.value.message_dict
    assert not Person.objects.exists()


def test_a_possible_duplicate_is_offered_before_a_second_record_is_made(world):
    actor = actor_of(world, "receiving_referral_staff")
    existing = PersonFactory(task_force=world.tf, given_name="John", family_name="Smith", search_text="john smith")
    with pytest.raises(DuplicateCandidates) as error:
        person_create(actor=actor, given_name="Jon", family_name="Smith")
    assert isinstance(error.value, ValidationError)
    assert [c.person_id for c in error.value.candidates] == [existing.pk]
    assert Person.objects.count() == 1
    person = person_create(actor=actor, given_name="Jon", family_name="Smith", confirm_new=True)
    assert Person.objects.count() == 2
    assert AuditEvent.objects.get(object_id=str(person.pk), object_type="cases.person").changes["confirmed_new"]


def test_update_refills_derived_fields_and_audits_the_changes(world):
    actor = actor_of(world, "sending_referral_staff")
    person = person_create(actor=actor, given_name="Ana", family_name="Lopez", phone="816 555 0101")
    person = person_update(actor=actor, person=person, family_name=" López ", phone="(913) 555-0199", aliases="Annie")
    assert person.family_name == "López"
    assert person.phone_digits == "9135550199"
    assert person.search_text == "ana lopez\nannie"
    event = AuditEvent.objects.get(action="changed", object_id=str(person.pk))
    assert set(event.changes) == {"family_name", "phone", "aliases"}
    # Nothing changed: no event.
    person_update(actor=actor, person=person, family_name="López")
    assert AuditEvent.objects.filter(action="changed", object_id=str(person.pk)).count() == 1


def test_update_rights_and_scope(world):
    person = PersonFactory(task_force=world.tf)
    with pytest.raises(PermissionDenied):
        person_update(actor=actor_of(world, "receiving_member"), person=person, given_name="X")
    with pytest.raises(Http404):
        person_update(actor=actor_of(world, "foreign_partner_admin"), person=person, given_name="X")
    with pytest.raises(Http404):  # someone no partner of theirs works with
        person_update(actor=actor_of(world, "outsider_referral_staff"), person=person, given_name="X")
    merged = PersonFactory(task_force=world.tf, merged_into=person)
    with pytest.raises(ValidationError):
        person_update(actor=actor_of(world, "coordinator"), person=merged, given_name="X")
    person.refresh_from_db()
    assert person.given_name != "X"


def _site_admin(world):
    from psn import access

    return access.actor_for(world.user("site_admin"), remembered_id=world.tf.pk)
