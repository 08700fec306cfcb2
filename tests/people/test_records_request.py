"""Finding the person of a records request (cases/records_request.py, /people/records-request/ and
``POST /api/v1/people/records-request/``): exact name or alias and date of birth, merged records lead to the one that
stands, never a prefix or another date, audited with what was found and never with what was typed."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.people import person_merge
from cases.records_request import LOOKUP_LABEL, name_key, records_request_lookup
from psn.access import actor_for
from psn.models import AuditEvent
from tests.factories import PersonFactory

BORN = datetime.date(1994, 11, 23)
PAGE = "people:records_request"
API = "person-records-request"


def _lookup_events():
    return AuditEvent.objects.filter(object_repr=LOOKUP_LABEL)


@pytest.fixture
def people(world):
    def person(given, family, *, born=BORN, tf=None, aliases=""):
        return PersonFactory(
            task_force=tf or world.tf, given_name=given, family_name=family, date_of_birth=born, aliases=aliases
        )

    return {
        "jose": person("José", "Núñez-Ortiz"),
        "alias": person("Marcus", "Bell", aliases="Joe Nunez Ortiz\nJN"),
        "other_born": person("Jose", "Nunez Ortiz", born=datetime.date(1994, 11, 24)),
        "longer": person("Jose", "Nunez Ortizz"),
        "elsewhere": person("Jose", "Nunez-Ortiz", tf=world.other_tf),
    }


def _coordinator(world):
    return actor_for(world.user("coordinator"), requested_slug=world.tf.slug)


def test_name_key_sets_aside_case_accents_spaces_and_hyphens():
    assert name_key("  José  Núñez-Ortiz ") == name_key("jose nunez ortiz") == "jose nunez ortiz"
    assert name_key("O'Brien") == name_key("o brien")
    assert name_key("Jose Nunez") != name_key("Jose Nunez Ortiz")


def test_the_exact_name_and_date_of_birth_find_the_record_and_nothing_near_it(world, people):
    matches = records_request_lookup(
        actor=_coordinator(world), given_name="jose", family_name="NUNEZ ORTIZ", date_of_birth=BORN
    )
    assert [(m.person.pk, m.matched_on) for m in matches] == [(people["jose"].pk, "name")]


def test_an_alias_finds_its_record(world, people):
    matches = records_request_lookup(
        actor=_coordinator(world), given_name="Joe", family_name="Nunez-Ortiz", date_of_birth=BORN
    )
    assert [(m.person.pk, m.matched_on) for m in matches] == [(people["alias"].pk, "alias")]


def test_a_prefix_or_a_part_of_the_name_finds_nothing(world, people):
    actor = _coordinator(world)
    assert records_request_lookup(actor=actor, given_name="Jos", family_name="Nunez", date_of_birth=BORN) == []
    assert records_request_lookup(actor=actor, given_name="J", family_name="N", date_of_birth=BORN) == []


def test_a_merged_record_leads_to_the_one_it_went_into(world, people):
    """The kept record has another date of birth: only the merged one is this person's; its name, now an alias of
    the kept record, finds the kept record too when the dates agree, and then once, as an alias."""
    actor = _coordinator(world)
    keep = PersonFactory(
        task_force=world.tf, given_name="Andre", family_name="Okafor", date_of_birth=datetime.date(1994, 1, 1)
    )
    person_merge(actor=actor, keep=keep, merge=people["jose"])
    matches = records_request_lookup(actor=actor, given_name="José", family_name="Núñez-Ortiz", date_of_birth=BORN)
    assert [(m.person.pk, m.matched_on) for m in matches] == [(keep.pk, "merged record")]
    same_day = PersonFactory(task_force=world.tf, given_name="Ana", family_name="Okafor", date_of_birth=BORN)
    person_merge(actor=actor, keep=same_day, merge=people["longer"])
    matches = records_request_lookup(actor=actor, given_name="Jose", family_name="Nunez Ortizz", date_of_birth=BORN)
    assert [(m.person.pk, m.matched_on) for m in matches] == [(same_day.pk, "alias")]


def test_every_lookup_is_audited_with_what_it_found_and_not_what_was_typed(world, people, client_for):
    client = client_for("coordinator")
    found = client.post(reverse(PAGE), {"given_name": "Jose", "family_name": "Nunez Ortiz", "date_of_birth": BORN})
    none = client.post(reverse(PAGE), {"given_name": "Nobody", "family_name": "Here", "date_of_birth": BORN})
    assert found.status_code == none.status_code == 200
    events = list(_lookup_events().order_by("pk"))
    assert [e.changes for e in events] == [
        {"listed": [None, str(people["jose"].pk)], "found": [None, "1"]},
        {"listed": [None, ""], "found": [None, "0"]},
    ]
    assert all(e.actor_id == world.user("coordinator").pk and e.task_force_id == world.tf.pk for e in events)
    written = json.dumps([[e.changes, e.object_repr, e.object_id] for e in events])
    assert "Nobody" not in written and "Nunez" not in written and "1994" not in written


def test_the_page_lists_the_record_with_its_export_link(world, people, client_for):
    response = client_for("coordinator").post(
        reverse(PAGE), {"given_name": "Jose", "family_name": "Nunez Ortiz", "date_of_birth": "1994-11-23"}
    )
    html = response.content.decode()
    assert "1 record found" in html
    assert reverse("people:person_record", args=[people["jose"].pk]) in html
    assert reverse("people:person_record", args=[people["other_born"].pk]) not in html
    assert reverse("people:person_record", args=[people["elsewhere"].pk]) not in html


def test_the_page_says_when_nothing_is_held(world, people, client_for):
    response = client_for("coordinator").post(
        reverse(PAGE), {"given_name": "Nobody", "family_name": "Here", "date_of_birth": "1994-11-23"}
    )
    assert "0 records found" in response.content.decode()
    assert "holds no record of this person" in response.content.decode()


def test_a_get_shows_the_form_and_looks_nothing_up(world, people, client_for):
    response = client_for("coordinator").get(reverse(PAGE), {"given_name": "Jose", "family_name": "Nunez Ortiz"})
    assert response.status_code == 200
    assert "records found" not in response.content.decode()
    assert not _lookup_events().exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"given_name": "Jose", "family_name": "Nunez Ortiz"}, "date_of_birth"),
        ({"given_name": "", "family_name": "Nunez Ortiz", "date_of_birth": "1994-11-23"}, "given_name"),
        ({"given_name": "Jose", "family_name": "x" * 101, "date_of_birth": "1994-11-23"}, "family_name"),
        ({"given_name": "Jose", "family_name": "Ortiz", "date_of_birth": "1994-13-40"}, "date_of_birth"),
        ({"given_name": "Jose", "family_name": "Ortiz", "date_of_birth": "1850-01-01"}, "date_of_birth"),
    ],
)
def test_bad_input_is_a_400_with_the_field_named_and_no_lookup(world, people, client_for, data, field):
    page = client_for("coordinator").post(reverse(PAGE), data)
    assert page.status_code == 400
    assert page.context["form"].errors[field]
    api = client_for("coordinator").post(reverse(API), data, content_type="application/json")
    assert api.status_code == 400
    assert field in api.json()["errors"]
    assert not _lookup_events().exists()


def test_the_api_answers_the_matches_with_their_record_links(world, people, client_for):
    response = client_for("coordinator").post(
        reverse(API),
        {"given_name": "joe", "family_name": "nunez ortiz", "date_of_birth": "1994-11-23"},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (match,) = body["results"]
    assert match["id"] == people["alias"].pk and match["matched_on"] == "alias"
    assert match["record_url"].endswith(reverse("person-record", args=[people["alias"].pk]))
    assert _lookup_events().get().changes == {"listed": [None, str(people["alias"].pk)], "found": [None, "1"]}


@pytest.mark.parametrize("key", ["receiving_partner_admin", "sending_referral_staff", "outsider_member"])
def test_anyone_but_a_coordinator_is_refused_and_nothing_is_looked_up(world, people, client_for, key):
    data = {"given_name": "Jose", "family_name": "Nunez Ortiz", "date_of_birth": "1994-11-23"}
    assert client_for(key).post(reverse(PAGE), data).status_code == 403
    assert client_for(key).post(reverse(API), data, content_type="application/json").status_code == 403
    assert not _lookup_events().exists()


def test_the_people_list_offers_the_lookup_to_coordinators_only(world, client_for):
    link = reverse(PAGE)
    assert link in client_for("coordinator").get(reverse("people:person_list")).content.decode()
    assert link not in client_for("receiving_referral_staff").get(reverse("people:person_list")).content.decode()


def test_the_lookup_takes_two_queries_however_many_records_share_the_birthday(world, people):
    actor = _coordinator(world)
    for n in range(30):
        PersonFactory(task_force=world.tf, given_name=f"Other{n}", family_name="Person", date_of_birth=BORN)
    with CaptureQueriesContext(connection) as queries:
        records_request_lookup(actor=actor, given_name="Jose", family_name="Nunez Ortiz", date_of_birth=BORN)
    assert len(queries) == 2
