"""The coordinators' merge page: choosing the other record (the duplicate check's candidates, or a search), the
preview of what moves, the merge itself (referrals and consents move, the audit trail keeps both ids), and the
refusals: not a coordinator (403), another task force (404), a bad or unknown choice (400, nothing changed)."""

import datetime

import pytest
from django.urls import reverse

from cases.models import Consent, Person, Referral
from psn.models import AuditEvent
from tests.factories import ConsentFactory

from .support import make_person, text

pytestmark = pytest.mark.django_db


def merge_page(person) -> str:
    return reverse("people:person_merge", args=[person.pk])


@pytest.fixture
def pair(setup):
    """The setup's person (kept) and a second record of the same man entered by the receiving partner, with a
    referral and a consent of its own."""
    world = setup.world
    keep = setup.person
    keep.date_of_birth = datetime.date(1990, 6, 7)
    keep.save()
    twin = make_person(
        world.tf,
        "Jonah",
        "Quintero Bright",
        date_of_birth=datetime.date(1990, 6, 7),
        phone="816 555 0123",
        created_by=world.user("receiving_referral_staff"),
    )
    ConsentFactory(person=twin)
    setup.submitted(person=twin)
    setup.submitted()
    return keep, twin


def test_the_coordinator_sees_the_duplicate_checks_candidates(pair, client_for):
    keep, twin = pair
    response = client_for("coordinator").get(merge_page(keep))
    assert response.status_code == 200
    assert [c.person_id for c in response.context["candidates"]] == [twin.pk]
    body = text(response)
    assert "Jonah Quintero Bright" in body and "same date of birth" in body and f"?other={twin.pk}" in body


def test_the_coordinator_searches_the_whole_task_force(pair, client_for, world):
    keep, _ = pair
    other = make_person(world.tf, "Unrelated", "Okonkwo", created_by=world.user("outsider_referral_staff"))
    make_person(world.other_tf, "Foreign", "Okonkwo", created_by=world.user("foreign_referral_staff"))
    response = client_for("coordinator").get(f"{merge_page(keep)}?q=okonkwo")
    assert [c.person_id for c in response.context["candidates"]] == [other.pk]


def test_the_preview_counts_what_moves(pair, client_for):
    keep, twin = pair
    response = client_for("coordinator").get(f"{merge_page(keep)}?other={twin.pk}")
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.referrals, preview.consents, preview.merged_earlier) == (1, 1, 0)
    body = text(response)
    assert f'name="merge" value="{twin.pk}"' in body
    assert Person.objects.filter(merged_into__isnull=False).count() == 0  # a preview changes nothing


def test_the_merge_moves_referrals_and_consents_and_audits_both_ids(pair, client_for, world):
    keep, twin = pair
    response = client_for("coordinator").post(merge_page(keep), {"merge": twin.pk})
    assert response.status_code == 302
    twin.refresh_from_db()
    assert twin.merged_into == keep
    assert Referral.objects.filter(person=keep).count() == 2
    assert Consent.objects.filter(person=keep).count() == 2
    events = AuditEvent.objects.filter(action="changed", object_type="cases.person", actor=world.user("coordinator"))
    assert {e.object_id for e in events} == {str(keep.pk), str(twin.pk)}
    assert events.get(object_id=str(keep.pk)).changes["merged_from"] == [None, str(twin.pk)]
    # The coordinator is no party to the person's referrals: back to the list, not to a record they cannot read.
    assert response["Location"] == reverse("people:person_list")


@pytest.mark.parametrize(
    "query", ["other=abc", "other=0", "other=999999999", "other=99999999999999999999", "q=" + "x" * 201]
)
def test_a_bad_choice_is_a_400(pair, client_for, query):
    keep, _ = pair
    response = client_for("coordinator").get(f"{merge_page(keep)}?{query}")
    assert response.status_code == 400
    assert 'class="field-errors"' in text(response)


def test_the_record_itself_is_no_choice(pair, client_for):
    keep, _ = pair
    assert client_for("coordinator").get(f"{merge_page(keep)}?other={keep.pk}").status_code == 400
    assert client_for("coordinator").post(merge_page(keep), {"merge": keep.pk}).status_code == 400


@pytest.mark.parametrize("value", ["", "abc", "999999999", "-3"])
def test_a_bad_or_unknown_merge_changes_nothing(pair, client_for, value):
    keep, _ = pair
    response = client_for("coordinator").post(merge_page(keep), {"merge": value})
    assert response.status_code == 400
    assert not Person.objects.filter(merged_into__isnull=False).exists()
    assert Referral.objects.filter(person=keep).count() == 1


def test_a_record_merged_already_is_refused(pair, client_for, world):
    keep, twin = pair
    third = make_person(world.tf, "Jonah", "Bright", created_by=world.user("receiving_referral_staff"))
    client = client_for("coordinator")
    assert client.post(merge_page(keep), {"merge": twin.pk}).status_code == 302
    # The merged-away record is gone from the task force: no longer a record to keep or to merge.
    assert client.get(merge_page(twin)).status_code == 404
    assert client.post(merge_page(third), {"merge": twin.pk}).status_code == 400


@pytest.mark.parametrize("key", ["receiving_referral_staff", "receiving_partner_admin", "sending_member"])
def test_only_coordinators_merge(pair, client_for, key):
    keep, twin = pair
    client = client_for(key)
    assert client.get(merge_page(keep)).status_code == 403
    assert client.post(merge_page(keep), {"merge": twin.pk}).status_code == 403
    assert not Person.objects.filter(merged_into__isnull=False).exists()


def test_another_task_forces_coordinator_gets_a_404(pair, client_for):
    keep, twin = pair
    client = client_for("foreign_coordinator")
    assert client.get(merge_page(keep)).status_code == 404
    assert client.post(merge_page(keep), {"merge": twin.pk}).status_code == 404


def test_the_merge_page_takes_a_constant_number_of_queries(pair, client_for, world, django_assert_num_queries):
    keep, twin = pair
    client = client_for("coordinator")
    client.get(f"{merge_page(keep)}?other={twin.pk}")
    # session, user, memberships, keep, the other record, the preview's counts, the two records' audit events
    with django_assert_num_queries(8):
        client.get(f"{merge_page(keep)}?other={twin.pk}")
