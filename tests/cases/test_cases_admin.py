"""The cases in the Django admin: every page loads for a site admin, records are read-only (changes go through
the services), note bodies and stored files are not shown, and opening a person is in the audit trail."""

import pytest

from cases.models import Note, ReasonCode
from psn.models import AuditEvent
from tests.conftest import login_client
from tests.factories import ConsentFactory, PersonFactory, ReferralFactory

pytestmark = pytest.mark.django_db

MODELS = ["person", "consent", "referral", "transition", "note", "attachment", "notification", "reasoncode"]


@pytest.fixture
def rows(world):
    person = PersonFactory(task_force=world.tf, given_name="Keisha", family_name="Ward")
    consent = ConsentFactory(person=person)
    referral = ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, person=person)
    note = Note.objects.create(
        task_force=world.tf, referral=referral, author_partner=world.sending, body="confidential words"
    )
    reason = ReasonCode.objects.create(task_force=world.tf, kind="decline", code="no_capacity", label="No capacity")
    return {"person": person, "consent": consent, "referral": referral, "note": note, "reasoncode": reason}


@pytest.mark.parametrize("model", MODELS)
def test_every_cases_list_loads_for_a_site_admin(world, rows, model):
    assert login_client(world.user("site_admin")).get(f"/admin/cases/{model}/").status_code == 200


@pytest.mark.parametrize("model", ["person", "consent", "referral", "note"])
def test_records_are_view_only(world, rows, model):
    client = login_client(world.user("site_admin"))
    obj = rows[model]
    page = client.get(f"/admin/cases/{model}/{obj.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.get(f"/admin/cases/{model}/add/").status_code == 403
    assert client.post(f"/admin/cases/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_a_note_body_is_not_shown(world, rows):
    page = login_client(world.user("site_admin")).get(f"/admin/cases/note/{rows['note'].pk}/change/")
    assert b"confidential words" not in page.content


def test_viewing_a_person_is_audited(world, rows):
    person = rows["person"]
    login_client(world.user("site_admin")).get(f"/admin/cases/person/{person.pk}/change/")
    event = AuditEvent.objects.get(action="viewed", object_type="cases.person", object_id=str(person.pk))
    assert event.actor == world.user("site_admin")
    assert event.task_force == world.tf


def test_reason_codes_are_edited_with_their_code_kept(world, rows):
    reason = rows["reasoncode"]
    client = login_client(world.user("site_admin"))
    response = client.post(
        f"/admin/cases/reasoncode/{reason.pk}/change/",
        {"label": "No capacity now", "code": "changed", "needs_text": "on", "position": 2, "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reason.refresh_from_db()
    assert (reason.label, reason.code, reason.needs_text) == ("No capacity now", "no_capacity", True)
    assert AuditEvent.objects.filter(action="changed", object_type="cases.reasoncode").exists()


@pytest.mark.parametrize("key", ["coordinator", "receiving_partner_admin"])
def test_the_cases_admin_is_closed_to_everyone_else(world, key):
    response = login_client(world.user(key)).get("/admin/cases/person/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
