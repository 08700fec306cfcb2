"""Entering a person on /people/new/ with the duplicate check: the candidates offered before a second record is
made (what they show, why they matched), "Use this person", "None of these", the hand-off back to the filing
page through ``next`` (a local path only), who may enter people, and bad input that writes nothing."""

import datetime

import pytest
from django.urls import reverse

from cases.models import Person
from psn.models import AuditEvent

from .support import make_person, text

pytestmark = pytest.mark.django_db

NEW = "/people/new/"
FILING = "/referrals/new/"


@pytest.fixture
def john(world):
    """An earlier record another partner entered: the receiving staff cannot read it, but the check finds it."""
    return make_person(
        world.tf,
        "John",
        "Smith",
        aliases="JJ",
        date_of_birth=datetime.date(1998, 3, 4),
        phone="816-555-0101",
        neighborhood="Ivanhoe",
        created_by=world.user("outsider_referral_staff"),
    )


def enter(client, next_url: str | None = None, **fields):
    data = {"given_name": "John", "family_name": "Smyth", **fields}
    if next_url is not None:
        data["next"] = next_url
    return client.post(NEW, data)


def test_a_new_person_is_entered_and_shown(world, client_for):
    response = enter(client_for("receiving_referral_staff"), given_name="Ana", family_name="Lopez")
    person = Person.objects.get(family_name="Lopez")
    assert response.status_code == 302 and response["Location"] == reverse("people:person_detail", args=[person.pk])
    assert person.created_by == world.user("receiving_referral_staff")
    assert AuditEvent.objects.filter(action="created", object_type="cases.person", object_id=str(person.pk)).exists()


def test_possible_duplicates_are_offered_and_nothing_is_written(world, client_for, john):
    response = enter(client_for("receiving_referral_staff"), phone="(816) 555-0101")
    assert response.status_code == 200
    assert Person.objects.count() == 1
    (candidate,) = response.context["candidates"]
    assert candidate.person_id == john.pk
    body = text(response)
    for shown in ("John Smith", "JJ", "1998", "•••0101", "Ivanhoe", "same phone number", "Use this person"):
        assert shown in body, shown
    assert "1998-03-04" not in body and "816-555-0101" not in body  # no more than needed to recognise them
    assert 'name="confirm_new" value="1"' in body
    assert f'name="use" value="{john.pk}"' in body


def test_none_of_these_creates_the_new_record(world, client_for, john):
    client = client_for("receiving_referral_staff")
    response = client.post(NEW, {"given_name": "John", "family_name": "Smyth", "confirm_new": "1"})
    assert response.status_code == 302
    new = Person.objects.exclude(pk=john.pk).get()
    assert new.family_name == "Smyth"
    event = AuditEvent.objects.get(action="created", object_id=str(new.pk))
    assert event.changes == {"confirmed_new": [None, "True"]}


def test_use_this_person_hands_the_candidate_back_to_the_filing_page(world, client_for, john):
    client = client_for("receiving_referral_staff")
    response = client.post(NEW, {"use": str(john.pk), "next": f"{FILING}?receiving_partner=3&person=99"})
    assert response.status_code == 302
    assert response["Location"] == f"{FILING}?receiving_partner=3&person={john.pk}"
    assert Person.objects.count() == 1


def test_use_this_person_without_next_goes_to_filing_for_them(world, client_for, john):
    response = client_for("receiving_referral_staff").post(NEW, {"use": str(john.pk)})
    assert response.status_code == 302
    assert response["Location"].endswith(f"?person={john.pk}")
    assert response["Location"].startswith(reverse("cases:referral_list"))


def test_a_new_person_goes_back_to_next_with_their_id(world, client_for):
    client = client_for("receiving_referral_staff")
    form = client.get(f"{NEW}?next={FILING}")
    assert f'value="{FILING}"' in text(form)
    response = enter(client, FILING, given_name="Ana", family_name="Lopez")
    person = Person.objects.get(family_name="Lopez")
    assert response["Location"] == f"{FILING}?person={person.pk}"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/steal", "//evil.example/x", "javascript:alert(1)", "relative/path", "/\\evil"]
)
def test_a_next_that_is_not_a_local_path_is_ignored(world, client_for, next_url):
    response = enter(client_for("receiving_referral_staff"), next_url, given_name="Ana", family_name="Lopez")
    person = Person.objects.get(family_name="Lopez")
    assert response["Location"] == reverse("people:person_detail", args=[person.pk])


@pytest.mark.parametrize("use", ["999999999", "abc", "-1", "99999999999999999999999"])
def test_using_an_unknown_record_is_a_404(world, client_for, use):
    assert client_for("receiving_referral_staff").post(NEW, {"use": use}).status_code == 404


def test_a_record_of_another_task_force_cannot_be_used_or_offered(world, client_for):
    theirs = make_person(world.other_tf, "John", "Smith", created_by=world.user("foreign_referral_staff"))
    client = client_for("receiving_referral_staff")
    assert client.post(NEW, {"use": str(theirs.pk)}).status_code == 404
    response = enter(client, given_name="John", family_name="Smith")
    assert response.status_code == 302  # nothing in this task force to offer: entered straight away


@pytest.mark.parametrize("key", ["receiving_member", "sending_member"])
def test_members_may_not_enter_people(world, client_for, john, key):
    client = client_for(key)
    assert client.get(NEW).status_code == 403
    assert enter(client, confirm_new="1").status_code == 403
    assert client.post(NEW, {"use": str(john.pk)}).status_code == 403
    assert Person.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", "2999-01-01"),  # in the future (the service's rule)
        ("date_of_birth", "31/31/1999"),
        ("date_of_birth", "1800-01-01"),
        ("given_name", ""),
        ("family_name", " "),
        ("aliases", "x" * 1001),
        ("phone", "1" * 41),
        ("preferred_language", "abc"),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(world, client_for, field, value):
    response = enter(client_for("receiving_referral_staff"), confirm_new="1", **{field: value})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'class="field-errors"' in text(response)
    assert not Person.objects.exists()
