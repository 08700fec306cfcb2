"""Duplicate detection: typos and nicknames, aliases, date of birth (also day/month swapped), phone formats;
never another task force's people nor merged-away records; one query whatever the number of people."""

import datetime

import pytest
from django.db import connection

from cases.models import Person
from cases.people import Candidate, person_duplicates, phone_digits, search_text_of
from tests.factories import PersonFactory
from tests.partners.members_support import actor_of

pytestmark = pytest.mark.django_db

DOB = datetime.date(1998, 3, 7)


def person(tf, given, family, aliases="", dob=None, phone="", **kwargs) -> Person:
    return PersonFactory(
        task_force=tf,
        given_name=given,
        family_name=family,
        aliases=aliases,
        date_of_birth=dob,
        phone=phone,
        phone_digits=phone_digits(phone),
        search_text=search_text_of(given_name=given, family_name=family, aliases=aliases),
        **kwargs,
    )


def find(world, key="receiving_referral_staff", **entered) -> list[Candidate]:
    return person_duplicates(actor=actor_of(world, key), **entered)


@pytest.mark.parametrize(
    ("given", "family"), [("Jon", "Smith"), ("John", "Smyth"), ("Smith", "John"), ("JOHN", "smith")]
)
def test_typos_nicknames_and_swapped_names_match(world, given, family):
    john = person(world.tf, "John", "Smith")
    person(world.tf, "Maria", "Garcia")
    found = find(world, given_name=given, family_name=family)
    assert [c.person_id for c in found] == [john.pk]
    assert any(r.startswith("similar name") or r == "same name" for r in found[0].reasons)


def test_accents_do_not_hide_a_match(world):
    jose = person(world.tf, "José", "Núñez")
    assert [c.person_id for c in find(world, given_name="Jose", family_name="Nunez")] == [jose.pk]


def test_an_alias_matches(world):
    marcus = person(world.tf, "Marcus", "Reed", aliases="Marcus Bell\nMarky B")
    found = find(world, given_name="Markus", family_name="Bell")
    assert [c.person_id for c in found] == [marcus.pk]
    assert "similar name: Marcus Bell" in found[0].reasons
    # An alias entered with the new person matches the known name too.
    assert [c.person_id for c in find(world, given_name="Big", family_name="Mo", aliases="Marcus Reed")] == [marcus.pk]


def test_the_same_date_of_birth_is_strong_evidence(world):
    same_dob = person(world.tf, "Tanya", "Brooks", dob=DOB)
    other_dob = person(world.tf, "Tania", "Brookes", dob=datetime.date(1970, 1, 1))
    found = find(world, given_name="Tania", family_name="Brooks", date_of_birth=DOB)
    assert [c.person_id for c in found] == [same_dob.pk, other_dob.pk]
    assert "same date of birth" in found[0].reasons
    assert found[0].score > found[1].score


def test_a_date_of_birth_alone_is_no_candidate(world):
    person(world.tf, "Tanya", "Brooks", dob=DOB)
    assert find(world, given_name="Kevin", family_name="Omar", date_of_birth=DOB) == []


def test_day_and_month_swapped_is_weak_evidence(world):
    swapped = person(world.tf, "Devon", "Carter", dob=datetime.date(1998, 7, 3))
    exact = person(world.tf, "Devon", "Karter", dob=DOB)
    found = find(world, given_name="Devon", family_name="Carter", date_of_birth=DOB)
    assert {c.person_id for c in found} == {swapped.pk, exact.pk}
    by_id = {c.person_id: c for c in found}
    assert "date of birth with day and month swapped" in by_id[swapped.pk].reasons
    # A swapped date with a quite different spelling still surfaces (the SQL narrowing keeps it).
    other = person(world.tf, "Devontae", "Kartier", dob=datetime.date(1998, 7, 3))
    assert other.pk in {c.person_id for c in find(world, given_name="Devon", family_name="Carter", date_of_birth=DOB)}


@pytest.mark.parametrize("entered", ["(816) 555-0101", "816.555.0101", "+1 816 555 0101", "18165550101"])
def test_the_same_phone_in_any_format_matches(world, entered):
    known = person(world.tf, "Keisha", "Ward", phone="816-555-0101")
    found = find(world, given_name="K", family_name="Williams", phone=entered)
    assert [c.person_id for c in found] == [known.pk]
    assert "same phone number" in found[0].reasons


def test_another_task_force_is_never_shown(world):
    person(world.other_tf, "John", "Smith", dob=DOB, phone="8165550101")
    assert find(world, given_name="John", family_name="Smith", date_of_birth=DOB, phone="8165550101") == []
    # ...and the other task force sees only its own.
    assert len(find(world, "foreign_referral_staff", given_name="John", family_name="Smith")) == 1


def test_merged_records_are_never_shown(world):
    keep = person(world.tf, "John", "Smith")
    person(world.tf, "John", "Smith", merged_into=keep)
    assert [c.person_id for c in find(world, given_name="John", family_name="Smith")] == [keep.pk]


def test_a_candidate_shows_enough_to_recognise_and_no_more(world):
    known = person(world.tf, "John", "Smith", aliases="JJ", dob=DOB, neighborhood="Ivanhoe", phone="8165550101")
    (candidate,) = find(world, given_name="John", family_name="Smith")
    assert candidate == Candidate(
        person_id=known.pk,
        full_name="John Smith",
        aliases=["JJ"],
        birth_year=1998,
        neighborhood="Ivanhoe",
        score=candidate.score,
        reasons=["same name"],
    )


def test_at_most_ten_best_first(world):
    for n in range(15):
        person(world.tf, "John", "Smith", dob=datetime.date(1980, 1, n + 1))
    best = person(world.tf, "John", "Smith", dob=DOB)
    found = find(world, given_name="John", family_name="Smith", date_of_birth=DOB)
    assert len(found) == 10
    assert found[0].person_id == best.pk
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)


def test_one_query_whatever_the_number_of_people(world, django_assert_num_queries):
    actor = actor_of(world, "receiving_referral_staff")
    Person.objects.bulk_create(
        [
            Person(
                task_force=world.tf,
                given_name=f"Given{n}",
                family_name=("Smith", "Smyth", "Jones", "Sanchez")[n % 4] + str(n % 7),
                date_of_birth=DOB if n % 50 == 0 else None,
                phone_digits="8165550101" if n % 60 == 0 else "",
                search_text=f"given{n} smith{n % 7}",
            )
            for n in range(400)
        ]
    )
    entered = {"given_name": "John", "family_name": "Smith", "date_of_birth": DOB, "phone": "816 555 0101"}
    # The narrowed people of the task force, read once; the scoring is Python. PostgreSQL: the read runs in a
    # savepoint that lowers the word-similarity threshold for it (SAVEPOINT, set_config, SELECT, RELEASE).
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 1):
        found = person_duplicates(actor=actor, **entered)
    assert 0 < len(found) <= 10


def test_members_may_look_but_strangers_see_nothing(world):
    person(world.tf, "John", "Smith")
    assert len(find(world, "receiving_member", given_name="John", family_name="Smith")) == 1
    assert find(world, "nobody", given_name="John", family_name="Smith") == []


def test_a_shared_phone_survives_the_cap_on_narrowed_rows(world, monkeypatch):
    from cases import people

    monkeypatch.setattr(people, "MAX_NARROWED", 5)
    for n in range(8):
        person(world.tf, f"Alex{n}", "Smith")
    known = person(world.tf, "Zed", "Smith", phone="816-555-0101")
    found = find(world, given_name="John", family_name="Smith", phone="8165550101")
    assert known.pk in {c.person_id for c in found}


def test_the_name_narrowing_is_answered_by_the_trigram_index(world):
    if connection.vendor != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's (SQLite narrows by first letter and length)")
    from cases.people import _narrowing

    rows = _narrowing(keys=["smith"], digits="", dob=None, swapped=None)
    with connection.cursor() as cursor:
        # A few test rows: forbid the scans that would win on them, to see which index answers the condition.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = rows.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "person_tf_search_trgm" in plan, plan
