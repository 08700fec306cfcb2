"""The people API: the search (scope, filters, bad parameters, constant queries), a person's record (audited),
entering a person with the duplicate check (409 with the candidates unless ``confirm_new``), correcting,
the coordinators' merge and a person's consents; with a token and a session, as both partners, an outsider,
a coordinator and another task force."""

import datetime

import pytest
from django.db import connection
from django.test import Client

from accounts.services import api_token_create
from cases.models import Consent, Person, Referral
from psn.models import AuditEvent
from tests.cases.support import PERSON_FAMILY
from tests.factories import ConsentFactory

from .support import make_person

pytestmark = pytest.mark.django_db

LIST = "/api/v1/people/"


def detail(person) -> str:
    return f"{LIST}{person.pk}/"


def post(client, url: str, data: dict):
    return client.post(url, data, content_type="application/json")


@pytest.fixture
def referred(setup):
    setup.referral = setup.submitted()
    return setup


# --- Reading ------------------------------------------------------------------------------------------------


def test_the_list_holds_only_the_people_one_may_read(referred, client_for):
    names = {p["family_name"] for p in client_for("receiving_member").get(LIST).json()["results"]}
    assert names == {PERSON_FAMILY}
    for key in ("outsider_partner_admin", "coordinator", "foreign_coordinator"):
        assert client_for(key).get(LIST).json()["results"] == [], key


def test_the_list_searches_and_works_with_a_token(world):
    staff = world.user("receiving_referral_staff")
    make_person(
        world.tf, "José", "Núñez", phone="816-555-0101", date_of_birth=datetime.date(1999, 4, 5), created_by=staff
    )
    make_person(world.tf, "Ana", "Lopez", created_by=staff)
    _, secret = api_token_create(user=staff, name="test", expires_in_days=1)
    client = Client(headers={"Authorization": f"Bearer {secret}", "X-Task-Force": "wdt"})
    for query in ("q=nunez", "phone=8165550101", "date_of_birth=1999-04-05"):
        rows = client.get(f"{LIST}?{query}").json()["results"]
        assert [r["family_name"] for r in rows] == ["Núñez"], query


@pytest.mark.parametrize(
    ("query", "field"),
    [("date_of_birth=1999-02-30", "date_of_birth"), ("q=" + "x" * 201, "q"), ("phone=" + "1" * 41, "phone")],
)
def test_bad_search_parameters_are_a_400(world, client_for, query, field):
    response = client_for("receiving_referral_staff").get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_list_takes_a_constant_number_of_queries(world, client_for, django_assert_num_queries):
    user = world.user("receiving_referral_staff")
    Person.objects.bulk_create(
        Person(
            task_force=world.tf,
            given_name=f"G{i}",
            family_name=f"F{i:03d}",
            search_text=f"g{i} f{i:03d}",
            created_by=user,
        )
        for i in range(80)
    )
    client = client_for("receiving_referral_staff")
    client.get(LIST)
    # session, user, memberships (the actor), [savepoint, threshold, release on PostgreSQL], count, rows, the audit
    # event naming the rows shown
    with django_assert_num_queries(9 if connection.vendor == "postgresql" else 6):
        response = client.get(f"{LIST}?q=f0")
    assert response.json()["count"] == 80 and len(response.json()["results"]) == 50


def test_the_record_has_consents_and_visible_referrals_and_is_audited(referred, client_for):
    world, person = referred.world, referred.person
    response = client_for("sending_member").get(detail(person))
    assert response.status_code == 200
    data = response.json()
    assert data["family_name"] == PERSON_FAMILY
    assert [c["state"] for c in data["consents"]] == ["valid"]
    assert [r["reference"] for r in data["referrals"]] == [referred.referral.reference]
    assert AuditEvent.objects.filter(
        action="viewed", object_type="cases.person", object_id=str(person.pk), actor=world.user("sending_member")
    ).exists()


@pytest.mark.parametrize("key", ["outsider_partner_admin", "coordinator", "foreign_coordinator"])
def test_the_record_is_a_404_for_who_may_not_read_it(referred, client_for, key):
    assert client_for(key).get(detail(referred.person)).status_code == 404
    assert client_for(key).get(f"{detail(referred.person)}consents/").status_code == 404


@pytest.mark.parametrize("pk", ["999999999", "abc", "99999999999999999999"])
def test_unknown_ids_are_a_404(world, client_for, pk):
    assert client_for("receiving_member").get(f"{LIST}{pk}/").status_code == 404


def test_a_persons_consents(referred, client_for):
    ConsentFactory(person=referred.person, scope="partners", partners=[referred.world.receiving])
    rows = client_for("receiving_member").get(f"{detail(referred.person)}consents/").json()
    assert len(rows) == 2 and {r["scope"] for r in rows} == {"partners", "task_force"}


# --- Entering with the duplicate check ----------------------------------------------------------------------


@pytest.fixture
def john(world):
    return make_person(
        world.tf,
        "John",
        "Smith",
        date_of_birth=datetime.date(1998, 3, 4),
        phone="816-555-0101",
        created_by=world.user("outsider_referral_staff"),
    )


def test_a_possible_duplicate_is_a_409_with_the_candidates(world, client_for, john):
    response = post(
        client_for("receiving_referral_staff"),
        LIST,
        {"given_name": "Jon", "family_name": "Smith", "date_of_birth": "1998-03-04"},
    )
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "possible_duplicates"
    (candidate,) = data["candidates"]
    assert candidate["person_id"] == john.pk and candidate["birth_year"] == 1998
    assert candidate["masked_phone"] == "•••0101" and "same date of birth" in candidate["reasons"]
    assert "phone" not in candidate and "date_of_birth" not in candidate
    assert Person.objects.count() == 1


def test_confirm_new_enters_the_person(world, client_for, john):
    payload = {
        "given_name": "Jon",
        "family_name": "Smith",
        "aliases": ["Jonny", " Big J "],
        "preferred_language": "",
        "confirm_new": True,
    }
    response = post(client_for("receiving_referral_staff"), LIST, payload)
    assert response.status_code == 201
    data = response.json()
    assert data["aliases"] == ["Jonny", "Big J"] and data["consents"] == [] and data["referrals"] == []
    assert Person.objects.get(pk=data["id"]).created_by == world.user("receiving_referral_staff")


@pytest.mark.parametrize(
    "payload",
    [
        {"given_name": "A", "family_name": "B", "date_of_birth": "2999-01-01"},
        {"given_name": "A", "family_name": "B", "date_of_birth": "1999-02-30"},
        {"given_name": "", "family_name": "B"},
        {"given_name": "   ", "family_name": "B"},
        {"family_name": "B"},
        {"given_name": "A", "family_name": "B", "preferred_language": "zz"},
        {"given_name": "A", "family_name": "B", "aliases": "not a list"},
        {"given_name": "A", "family_name": "B", "aliases": ["x" * 100] * 11},
        {"given_name": "A", "family_name": "B", "confirm_new": "perhaps"},
        {"given_name": ["A"], "family_name": "B"},
    ],
)
def test_bad_input_is_a_400_and_writes_nothing(world, client_for, payload):
    response = post(client_for("receiving_referral_staff"), LIST, payload)
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert not Person.objects.exists()


def test_a_body_that_is_not_json_is_a_400(world, client_for):
    response = client_for("receiving_referral_staff").post(LIST, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert not Person.objects.exists()


@pytest.mark.parametrize("key", ["receiving_member", "sending_member"])
def test_members_may_not_enter_people(world, client_for, key):
    response = post(client_for(key), LIST, {"given_name": "A", "family_name": "B", "confirm_new": True})
    assert response.status_code == 403
    assert not Person.objects.exists()


# --- Correcting ---------------------------------------------------------------------------------------------


def test_staff_correct_only_what_they_send(referred, client_for):
    person = referred.person
    response = client_for("receiving_referral_staff").patch(
        detail(person), {"neighborhood": " Ivanhoe ", "preferred_language": None}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.neighborhood == "Ivanhoe" and person.family_name == PERSON_FAMILY


@pytest.mark.parametrize(
    "payload",
    [{"date_of_birth": "2999-01-01"}, {"given_name": " "}, {"family_name": "x" * 101}, {"preferred_language": "zz"}],
)
def test_bad_corrections_are_a_400_and_change_nothing(referred, client_for, payload):
    response = client_for("receiving_referral_staff").patch(
        detail(referred.person), payload, content_type="application/json"
    )
    assert response.status_code == 400
    referred.person.refresh_from_db()
    assert referred.person.date_of_birth is None and referred.person.family_name == PERSON_FAMILY


@pytest.mark.parametrize(("key", "status"), [("receiving_member", 403), ("outsider_referral_staff", 404)])
def test_who_may_not_correct(referred, client_for, key, status):
    response = client_for(key).patch(detail(referred.person), {"neighborhood": "X"}, content_type="application/json")
    assert response.status_code == status
    referred.person.refresh_from_db()
    assert referred.person.neighborhood == ""


# --- Merging ------------------------------------------------------------------------------------------------


def test_the_coordinator_merges_through_the_api(referred, client_for, world):
    twin = make_person(world.tf, "Jonah", "Bright", created_by=world.user("receiving_referral_staff"))
    ConsentFactory(person=twin)
    response = post(client_for("coordinator"), f"{detail(referred.person)}merge/", {"merge": twin.pk})
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["merged"], data["referrals_moved"], data["consents_moved"]) == (twin.pk, 0, 1)
    assert Consent.objects.filter(person=referred.person).count() == 2
    twin.refresh_from_db()
    assert twin.merged_into_id == referred.person.pk
    assert AuditEvent.objects.filter(object_type="cases.person", object_id=str(twin.pk), action="changed").exists()


@pytest.mark.parametrize("body", [{"merge": 999999999}, {"merge": "abc"}, {}, {"merge": 0}])
def test_a_bad_merge_is_a_400(referred, client_for, body):
    response = post(client_for("coordinator"), f"{detail(referred.person)}merge/", body)
    assert response.status_code == 400
    assert not Person.objects.filter(merged_into__isnull=False).exists()


def test_merging_a_record_into_itself_is_a_400(referred, client_for):
    response = post(client_for("coordinator"), f"{detail(referred.person)}merge/", {"merge": referred.person.pk})
    assert response.status_code == 400


@pytest.mark.parametrize(("key", "status"), [("receiving_partner_admin", 403), ("foreign_coordinator", 404)])
def test_only_coordinators_of_the_task_force_merge(referred, client_for, world, key, status):
    twin = make_person(world.tf, "Jonah", "Bright", created_by=world.user("receiving_referral_staff"))
    response = post(client_for(key), f"{detail(referred.person)}merge/", {"merge": twin.pk})
    assert response.status_code == status
    assert Referral.objects.filter(person=referred.person).count() == 1
    assert not Person.objects.filter(merged_into__isnull=False).exists()
