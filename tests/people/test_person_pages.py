"""The people search and a person's record: who finds whom (the partners of a referral, the partner that recorded
a consent, whoever entered the person; never an outsider or another task force), the fuzzy name search, the
filters and their bad values, the record's consents and referrals, the audit of each reading, correcting a
person, and pinned query counts."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import Person
from psn.models import AuditEvent
from tests.cases.support import PERSON_FAMILY, PERSON_GIVEN
from tests.factories import ConsentFactory

from .support import make_person, text, today

pytestmark = pytest.mark.django_db

LIST = "/people/"


def detail(person) -> str:
    return reverse("people:person_detail", args=[person.pk])


# --- The search ---------------------------------------------------------------------------------------------


def test_the_partners_of_a_referral_find_its_person_and_outsiders_do_not(setup, client_for):
    setup.submitted()
    for key in ("receiving_member", "sending_member"):
        assert PERSON_FAMILY in text(client_for(key).get(LIST)), key
    for key in ("outsider_partner_admin", "coordinator", "foreign_coordinator"):
        response = client_for(key).get(LIST)
        assert response.status_code == 200
        assert PERSON_FAMILY not in text(response), key


def test_whoever_entered_a_person_finds_them_before_any_referral(world, client_for):
    make_person(world.tf, "Maribel", "Ostrowski", created_by=world.user("outsider_referral_staff"))
    assert "Ostrowski" in text(client_for("outsider_referral_staff").get(LIST))
    assert "Ostrowski" not in text(client_for("outsider_member").get(LIST))


def test_search_by_name_alias_date_of_birth_and_phone(world, client_for):
    staff = world.user("receiving_referral_staff")
    make_person(
        world.tf,
        "José",
        "Núñez",
        aliases="Chepe",
        date_of_birth=datetime.date(1999, 4, 5),
        phone="(816) 555-0101",
        created_by=staff,
    )
    make_person(
        world.tf, "Ana", "Lopez", date_of_birth=datetime.date(2001, 1, 2), phone="913 555 0199", created_by=staff
    )
    client = client_for("receiving_referral_staff")
    searches = {
        "q=nunez": "Núñez",  # accents folded
        "q=chepe": "Núñez",  # an alias
        "q=jose+nunez": "Núñez",
        "date_of_birth=1999-04-05": "Núñez",
        "phone=%2B1+816.555.0101": "Núñez",  # any format of the same number
        "q=lopez": "Lopez",
    }
    for query, name in searches.items():
        body = text(client.get(f"{LIST}?{query}"))
        other = "Lopez" if name == "Núñez" else "Núñez"
        assert name in body and other not in body, query


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
def test_a_misspelt_name_is_found_on_postgresql(world, client_for):
    make_person(world.tf, "Jonathan", "Whitfield", created_by=world.user("receiving_referral_staff"))
    body = text(client_for("receiving_referral_staff").get(f"{LIST}?q=whitfeild"))
    assert "Whitfield" in body


@pytest.mark.parametrize(
    "query",
    ["date_of_birth=1999-13-45", "date_of_birth=yesterday", "phone=12", "q=" + "x" * 201],
)
def test_bad_search_values_are_a_400_with_the_message_next_to_the_field(world, client_for, query):
    make_person(world.tf, "Ana", "Lopez", created_by=world.user("receiving_referral_staff"))
    response = client_for("receiving_referral_staff").get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert 'class="field-errors"' in text(response)
    assert "Lopez" not in text(response)


def test_a_bad_page_number_is_the_first_page(world, client_for):
    make_person(world.tf, "Ana", "Lopez", created_by=world.user("receiving_referral_staff"))
    response = client_for("receiving_referral_staff").get(f"{LIST}?page=abc")
    assert response.status_code == 200 and "Lopez" in text(response)


def _many(world, n: int, key: str = "receiving_referral_staff"):
    user = world.user(key)
    Person.objects.bulk_create(
        Person(
            task_force=world.tf,
            given_name=f"Given{i}",
            family_name=f"Family{i:03d}",
            search_text=f"given{i} family{i:03d}",
            created_by=user,
            preferred_language=None,
        )
        for i in range(n)
    )


def test_the_list_is_paginated_by_25_in_a_constant_number_of_queries(world, client_for, django_assert_num_queries):
    _many(world, 60)
    client = client_for("receiving_referral_staff")
    client.get(LIST)  # warm the session and the caches
    # session, user, memberships (the actor), [savepoint, set threshold, release on PostgreSQL], count, rows, the
    # audit event naming the rows shown
    expected = 9 if connection.vendor == "postgresql" else 6
    with django_assert_num_queries(expected):
        response = client.get(LIST)
    assert response.context["page"].paginator.count == 60
    assert len(response.context["page"].object_list) == 25
    with django_assert_num_queries(expected):
        response = client.get(f"{LIST}?q=family&page=3")
    assert len(response.context["page"].object_list) == 10


# --- A person's record --------------------------------------------------------------------------------------


def test_the_record_shows_details_consents_and_referrals_and_is_audited(setup, client_for):
    world = setup.world
    referral = setup.submitted()
    person = setup.person
    person.aliases, person.phone = "JQ\nBright", "816-555-0101"
    person.save()
    ConsentFactory(
        person=person,
        scope="partners",
        partners=[world.receiving],
        given_on=today(world.tf) - datetime.timedelta(400),
        expires_on=today(world.tf) - datetime.timedelta(35),
    )
    ConsentFactory(person=person, revoked_at=timezone.now(), revoke_reason="Changed their mind")
    response = client_for("receiving_member").get(detail(person))
    assert response.status_code == 200
    body = text(response)
    assert f"{PERSON_GIVEN} {PERSON_FAMILY}" in body
    assert "JQ, Bright" in body and "816-555-0101" in body
    states = sorted(c.state for c in response.context["person"].consent_list)
    assert states == ["expired", "revoked", "valid"]
    assert "Changed their mind" in body and "Workforce Center" in body
    assert referral.reference in body
    assert AuditEvent.objects.filter(
        action="viewed", object_type="cases.person", object_id=str(person.pk), actor=world.user("receiving_member")
    ).exists()


def test_buttons_follow_the_rights(setup, client_for):
    setup.submitted()
    member = text(client_for("receiving_member").get(detail(setup.person)))
    staff = text(client_for("receiving_referral_staff").get(detail(setup.person)))
    edit, consent = (
        reverse("people:person_edit", args=[setup.person.pk]),
        reverse("people:consent_create", args=[setup.person.pk]),
    )
    assert edit not in member and consent not in member
    assert edit in staff and consent in staff
    assert f"?person={setup.person.pk}" in staff  # file a referral for this person
    assert reverse("people:person_merge", args=[setup.person.pk]) not in staff


def test_the_record_lists_only_referrals_whose_details_the_actor_sees(setup, client_for):
    world = setup.world
    ours = setup.submitted()
    # A referral of the same person between two other partners: the receiving side must not learn of it.
    from tests.factories import PartnerFactory, ReferralFactory

    elsewhere = PartnerFactory(task_force=world.tf, name="Elsewhere Clinic")
    theirs = ReferralFactory(
        sending_partner=world.outsider, receiving_partner=elsewhere, person=setup.person, status="submitted"
    )
    theirs.submitted_at = timezone.now()
    theirs.save()
    body = text(client_for("receiving_member").get(detail(setup.person)))
    assert ours.reference in body and theirs.reference not in body


@pytest.mark.parametrize("key", ["outsider_partner_admin", "coordinator", "foreign_coordinator"])
def test_those_who_may_not_read_the_person_get_a_404(setup, client_for, key):
    setup.submitted()
    assert client_for(key).get(detail(setup.person)).status_code == 404
    assert not AuditEvent.objects.filter(action="viewed", object_type="cases.person").exists()


def test_a_merged_away_record_is_a_404(setup, client_for):
    setup.submitted()
    keep = make_person(setup.world.tf, "Keep", "Me", created_by=setup.world.user("receiving_member"))
    Person.objects.filter(pk=setup.person.pk).update(merged_into=keep)
    assert client_for("receiving_member").get(detail(setup.person)).status_code == 404


def test_the_record_takes_a_constant_number_of_queries(setup, client_for, django_assert_num_queries):
    world = setup.world
    for _ in range(3):
        setup.submitted()
    for _ in range(4):
        ConsentFactory(person=setup.person, scope="partners", partners=[world.receiving, world.outsider])
    client = client_for("receiving_member")
    client.get(detail(setup.person))

    def count() -> int:
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail(setup.person)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(5):
        setup.submitted()
        ConsentFactory(person=setup.person, scope="partners", partners=[world.receiving])
    # session, user, memberships, person, consents, their partners, referrals, their needs, audit insert
    with django_assert_num_queries(few):
        client.get(detail(setup.person))
    assert few == 9


# --- Correcting ---------------------------------------------------------------------------------------------


def test_staff_correct_a_person_and_the_change_is_audited(setup, client_for):
    setup.submitted()
    edit = reverse("people:person_edit", args=[setup.person.pk])
    client = client_for("receiving_referral_staff")
    form = client.get(edit)
    assert form.status_code == 200 and PERSON_FAMILY in text(form)
    data = {"given_name": PERSON_GIVEN, "family_name": PERSON_FAMILY, "neighborhood": "  Ivanhoe ", "aliases": ""}
    response = client.post(edit, data)
    assert response.status_code == 302 and response["Location"] == detail(setup.person)
    setup.person.refresh_from_db()
    assert setup.person.neighborhood == "Ivanhoe"
    event = AuditEvent.objects.get(action="changed", object_type="cases.person", object_id=str(setup.person.pk))
    assert event.changes["neighborhood"] == ["", "Ivanhoe"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", "2999-01-01"),
        ("date_of_birth", "1999-02-30"),
        ("date_of_birth", "1850-01-01"),
        ("given_name", "   "),
        ("family_name", "x" * 101),
        ("preferred_language", "999999"),
    ],
)
def test_bad_corrections_are_form_errors_and_change_nothing(setup, client_for, field, value):
    setup.submitted()
    edit = reverse("people:person_edit", args=[setup.person.pk])
    data = {"given_name": PERSON_GIVEN, "family_name": PERSON_FAMILY, field: value}
    response = client_for("receiving_referral_staff").post(edit, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    setup.person.refresh_from_db()
    assert (setup.person.given_name, setup.person.family_name, setup.person.date_of_birth) == (
        PERSON_GIVEN,
        PERSON_FAMILY,
        None,
    )


def test_members_may_not_correct(setup, client_for):
    setup.submitted()
    edit = reverse("people:person_edit", args=[setup.person.pk])
    client = client_for("receiving_member")
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"given_name": "X", "family_name": "Y"}).status_code == 403
    setup.person.refresh_from_db()
    assert setup.person.given_name == PERSON_GIVEN
