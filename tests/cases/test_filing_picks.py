"""Filing for a person the duplicate check offered: the pick (people page, "Use this person") lets the filing page
accept that record in this session, and is audited; an id typed into the URL or posted to the API does not. And the
service choices: only the chosen receiving partner's ("Show its services" redraws the page)."""

import re

import pytest
from django.urls import reverse

from cases.models import Consent, Referral
from psn.models import AuditEvent
from tests.factories import ConsentFactory, PersonFactory, ServiceFactory

from .test_filing_page import NEW, STAFF, payload, text, written


@pytest.fixture
def filing(setup):
    """As in test_filing_page.py: the set-up person is visible to the sending partner (its staff recorded consent)."""
    Consent.objects.filter(person=setup.person).update(recorded_by_partner=setup.world.sending)
    return setup


def _stranger(setup):
    """A record another partner entered (with consent recorded by the receiving partner): in the task force, not
    visible to the sending partner's staff."""
    stranger = PersonFactory(task_force=setup.world.tf, given_name="Odessa", family_name="Marchetti")
    ConsentFactory(person=stranger, recorded_by_partner=setup.world.receiving)
    return stranger


def test_a_person_of_another_partner_is_refused_without_a_pick(filing, client_for):
    stranger = _stranger(filing)
    client = client_for(STAFF)
    response = client.get(NEW, {"person": stranger.pk})
    assert response.status_code == 400 and "Marchetti" not in text(response)
    before = written()
    response = client.post(NEW, payload(filing, person=stranger.pk))
    assert response.status_code == 400 and written() == before


def test_a_picked_candidate_can_be_referred_in_that_session_and_the_pick_is_audited(filing, client_for):
    stranger = _stranger(filing)
    client = client_for(STAFF)
    response = client.post(reverse("people:person_create"), {"use": stranger.pk, "next": NEW})
    assert response.status_code == 302 and f"person={stranger.pk}" in response["Location"]
    assert AuditEvent.objects.filter(
        action="viewed", object_id=str(stranger.pk), changes__picked__isnull=False
    ).exists()
    assert "Marchetti" in text(client.get(response["Location"]))
    # Another session of the same user has not picked them.
    assert client_for(STAFF).get(NEW, {"person": stranger.pk}).status_code == 400
    response = client.post(NEW, payload(filing, person=stranger.pk))
    assert response.status_code == 302
    assert Referral.objects.get(person=stranger).sending_partner == filing.world.sending


def test_the_api_files_only_for_people_the_actor_may_see(filing, client_for):
    stranger = _stranger(filing)
    client = client_for(STAFF)
    body = {
        "person": stranger.pk,
        "sending_partner": filing.world.sending.pk,
        "receiving_partner": filing.world.receiving.pk,
        "needs": [filing.needs[0].code],
    }
    before = written()
    response = client.post("/api/v1/referrals/", body, content_type="application/json")
    assert response.status_code == 400 and "person" in response.json()["errors"]
    assert written() == before
    body["person"] = filing.person.pk
    response = client.post("/api/v1/referrals/", body, content_type="application/json")
    assert response.status_code == 201, response.json()


def _service_options(html: str) -> list[str]:
    select = re.search(r'<select name="service".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="(\d+)"', select)


def test_only_the_receiving_partners_services_are_offered(filing, client_for):
    ours = ServiceFactory(partner=filing.world.receiving, task_force=filing.world.tf, name="Job club")
    ServiceFactory(partner=filing.world.sending, task_force=filing.world.tf, name="Elsewhere")
    client = client_for(STAFF)
    assert _service_options(text(client.get(NEW, {"person": filing.person.pk}))) == []
    html = text(client.get(NEW, {"person": filing.person.pk, "receiving_partner": filing.world.receiving.pk}))
    assert _service_options(html) == [str(ours.pk)]
    # "Show its services": the page again with them, the message kept, nothing filed.
    before = written()
    response = client.post(NEW, payload(filing, action="services", reason="Keep this text"))
    assert response.status_code == 200 and written() == before
    assert _service_options(text(response)) == [str(ours.pk)] and "Keep this text" in text(response)
