"""The filing page (/referrals/new/): who may open it, the person picked by search or ``?person=`` (only people the
actor may see), the choices offered, "Save as draft" and "Submit", every refusal as a form error with nothing
written (unknown ids, another partner's service, a past due date, no needs, missing consent), and the "New
referral" buttons."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import lifecycle
from cases.models import Consent, Notification, Referral, Status, Transition
from partners.models import PartnerKind
from psn.models import AuditEvent
from tests.factories import ConsentFactory, PartnerFactory, PersonFactory, ServiceFactory

from .support import PERSON_FAMILY, PERSON_GIVEN

NEW = "/referrals/new/"
STAFF = "sending_referral_staff"


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def filing(setup):
    """The set-up person made visible to the sending partner (its staff recorded the consent)."""
    Consent.objects.filter(person=setup.person).update(recorded_by_partner=setup.world.sending)
    return setup


def payload(setup, **overrides) -> dict:
    data = {
        "person": setup.person.pk,
        "sending_partner": setup.world.sending.pk,
        "receiving_partner": setup.world.receiving.pk,
        "needs": [setup.needs[0].pk],
        "priority": "urgent",
        "due_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "reason": "Wants steady work; best reached after 5 pm.",
        "action": "draft",
    }
    return data | overrides


def written() -> tuple[int, int, int]:
    return Referral.objects.count(), Transition.objects.count(), Notification.objects.count()


def test_the_url_is_named():
    assert reverse("cases:referral_create") == NEW


# --- Who may open it -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [STAFF, "sending_partner_admin", "receiving_referral_staff", "outsider_referral_staff"])
def test_referral_staff_and_partner_admins_open_it(filing, client_for, key):
    response = client_for(key).get(NEW)
    assert response.status_code == 200
    assert "Save as draft" in text(response) and "Submit" in text(response)


@pytest.mark.parametrize("key", ["sending_member", "receiving_member", "coordinator", "site_admin"])
def test_members_and_coordinators_are_refused_and_audited(filing, client_for, key):
    before = AuditEvent.objects.filter(action="permission_denied").count()
    assert client_for(key).get(NEW).status_code == 403
    assert client_for(key).post(NEW, payload(filing)).status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied").count() == before + 2
    assert Referral.objects.count() == 0


def test_anonymous_goes_to_login(client):
    response = client.get(NEW)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_another_task_forces_staff_cannot_file_with_our_ids(filing, client_for):
    response = client_for("foreign_referral_staff").post(NEW, payload(filing))
    assert response.status_code == 400
    assert Referral.objects.count() == 0
    body = text(response)
    assert PERSON_FAMILY not in body
    assert "City Police" not in body and "Workforce Center" not in body


# --- The choices offered ---------------------------------------------------------------------------------------


def test_the_only_sending_partner_is_preselected_and_not_a_receiver(filing, client_for):
    form = client_for(STAFF).get(NEW).context["form"]
    assert form.initial["sending_partner"] == filing.world.sending.pk
    assert list(form.fields["sending_partner"].queryset) == [filing.world.sending]
    receivers = set(form.fields["receiving_partner"].queryset)
    assert filing.world.receiving in receivers and filing.world.outsider in receivers
    assert filing.world.sending not in receivers and filing.world.foreign not in receivers


def test_inactive_partners_services_and_needs_are_not_offered(filing, client_for):
    closed = PartnerFactory(task_force=filing.world.tf, name="Closed Clinic", active=False)
    retired = ServiceFactory(partner=filing.world.receiving, name="Retired desk", active=False)
    live = ServiceFactory(partner=filing.world.receiving, name="Job readiness")
    filing.needs[1].active = False
    filing.needs[1].save()
    form = client_for(STAFF).get(NEW, {"receiving_partner": filing.world.receiving.pk}).context["form"]
    assert closed not in form.fields["receiving_partner"].queryset
    assert list(form.fields["service"].queryset) == [live]
    assert retired not in form.fields["service"].queryset
    assert list(form.fields["needs"].queryset) == [filing.needs[0]]


def test_query_string_preselects_the_other_fields_and_ignores_bad_values(filing, client_for):
    service = ServiceFactory(partner=filing.world.receiving, name="Job readiness")
    query = {
        "receiving_partner": filing.world.receiving.pk,
        "service": service.pk,
        "needs": [filing.needs[0].pk, "garbage"],
        "priority": "asap",
        "due_date": "not-a-date",
    }
    response = client_for(STAFF).get(NEW, query)
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert initial["receiving_partner"] == filing.world.receiving
    assert initial["service"] == service
    assert initial["priority"] == "asap"
    assert "needs" not in initial and "due_date" not in initial


@pytest.mark.parametrize(
    "query",
    [
        {"receiving_partner": "x"},
        {"receiving_partner": str(2**70)},
        {"service": "-1"},
        {"sending_partner": "1e5"},
        {"needs": ["", "0"]},
        {"priority": "whenever"},
        {"due_date": "2026-02-31"},
    ],
)
def test_bad_query_strings_never_fail(filing, client_for, query):
    assert client_for(STAFF).get(NEW, query).status_code == 200


# --- The person ----------------------------------------------------------------------------------------------


def test_person_in_the_query_string_is_preselected(filing, client_for):
    response = client_for(STAFF).get(NEW, {"person": filing.person.pk})
    assert response.status_code == 200
    assert response.context["person"] == filing.person
    body = text(response)
    assert f"{PERSON_GIVEN} {PERSON_FAMILY}" in body
    assert f'name="person" value="{filing.person.pk}"' in body
    assert "Choose another person" in body


@pytest.mark.parametrize("value", ["abc", "0", "-3", str(2**64), "999999999"])
def test_an_unknown_person_is_a_400_with_the_search(filing, client_for, value):
    response = client_for(STAFF).get(NEW, {"person": value})
    assert response.status_code == 400
    assert response.context["person"] is None
    assert "not one you can refer" in text(response)


def test_a_person_the_actor_may_not_see_is_not_preselected(filing, client_for):
    stranger = PersonFactory(task_force=filing.world.tf, given_name="Hidden", family_name="Stranger")
    ConsentFactory(person=stranger)
    response = client_for(STAFF).get(NEW, {"person": stranger.pk})
    assert response.status_code == 400
    assert "Stranger" not in text(response)


def test_search_lists_matching_visible_people_with_choose_links_keeping_the_choices(filing, client_for):
    PersonFactory(task_force=filing.world.tf, given_name="Jonah", family_name="Unseen")  # nobody's: not visible
    query = {"q": "jonah quint", "receiving_partner": filing.world.receiving.pk, "priority": "urgent"}
    response = client_for(STAFF).get(NEW, query)
    assert response.status_code == 200
    assert response.context["results"] == [filing.person]
    body = text(response)
    assert "Unseen" not in body
    link = f"{NEW}?person={filing.person.pk}&amp;receiving_partner={filing.world.receiving.pk}&amp;priority=urgent"
    assert link in body
    # The search form keeps the other choices too.
    assert f'<input type="hidden" name="receiving_partner" value="{filing.world.receiving.pk}">' in body


def test_search_ignores_case_and_accents(filing, client_for):
    found = client_for(STAFF).get(NEW, {"q": "JÓNAH"}).context["results"]
    assert found == [filing.person]


def test_search_that_matches_nobody_says_so(filing, client_for):
    response = client_for(STAFF).get(NEW, {"q": "Zebediah"})
    assert response.context["results"] == []
    assert "Nobody you may refer matches" in text(response)


@pytest.mark.parametrize("q", ["", "x" * 101])
def test_an_empty_or_overlong_search_is_a_400(filing, client_for, q):
    response = client_for(STAFF).get(NEW, {"q": q})
    assert response.status_code == 400
    assert response.context["results"] is None


def test_enter_a_new_person_links_to_the_people_page_with_next(filing, client_for):
    query = {"receiving_partner": filing.world.receiving.pk, "needs": [filing.needs[0].pk]}
    response = client_for(STAFF).get(NEW, query)
    url = response.context["new_person_url"]
    parts = urlsplit(url)
    assert parts.path == reverse("people:person_create") == "/people/new/"
    next_url = parse_qs(parts.query)["next"][0]
    assert urlsplit(next_url).path == NEW
    assert parse_qs(urlsplit(next_url).query) == {
        "receiving_partner": [str(filing.world.receiving.pk)],
        "needs": [str(filing.needs[0].pk)],
    }
    assert "Enter a new person" in text(response)


# --- Filing ----------------------------------------------------------------------------------------------------


def test_save_as_draft(filing, client_for):
    service = ServiceFactory(partner=filing.world.receiving, name="Job readiness")
    response = client_for(STAFF).post(NEW, payload(filing, service=service.pk), follow=True)
    referral = Referral.objects.get()
    assert response.redirect_chain == [(reverse("cases:referral_detail", args=[referral.pk]), 302)]
    assert referral.status == Status.DRAFT
    assert referral.person == filing.person
    assert referral.sending_partner == filing.world.sending
    assert referral.receiving_partner == filing.world.receiving
    assert referral.service == service
    assert list(referral.needs.all()) == [filing.needs[0]]
    assert referral.priority == "urgent"
    assert referral.reason == "Wants steady work; best reached after 5 pm."
    assert referral.created_by == filing.world.user(STAFF)
    assert f"Referral {referral.reference} was saved as a draft" in text(response)
    assert Notification.objects.count() == 0  # a draft tells nobody


def test_submit_sends_it_to_the_receiving_partner(filing, client_for):
    response = client_for(STAFF).post(NEW, payload(filing, action="submit"), follow=True)
    referral = Referral.objects.get()
    assert referral.status == Status.SUBMITTED
    assert referral.submitted_at is not None and referral.acknowledge_by is not None
    assert [t.to_status for t in referral.transitions.order_by("at", "pk")] == [Status.DRAFT, Status.SUBMITTED]
    assert f"was submitted to {filing.world.receiving.name}" in text(response)
    staff = filing.world.user("receiving_referral_staff")
    assert Notification.objects.filter(user=staff, referral=referral, kind=Status.SUBMITTED).exists()


def test_submit_is_all_or_nothing(filing, client_for, monkeypatch):
    from django.core.exceptions import ValidationError

    def refuse(**kwargs):
        raise ValidationError("The receiving partner stopped taking referrals a second ago.")

    monkeypatch.setattr(lifecycle, "referral_submit", refuse)
    response = client_for(STAFF).post(NEW, payload(filing, action="submit"))
    assert response.status_code == 400
    assert "stopped taking referrals" in text(response)
    assert written() == (0, 0, 0)


FIELD_ERRORS = [
    ({"needs": []}, "needs", "Choose at least one need."),
    ({"due_date": "2000-01-01"}, "due_date", "The due date is in the past."),
    ({"due_date": "2026-13-45"}, "due_date", "Enter a valid date."),
    ({"receiving_partner": 2**62}, "receiving_partner", "Select a valid choice."),
    ({"receiving_partner": "nope"}, "receiving_partner", "Select a valid choice."),
    ({"sending_partner": 2**62}, "sending_partner", "Select a valid choice."),
    ({"person": ""}, "person", "Choose a person first."),
    ({"person": 2**62}, "person", "Choose a person first."),
    ({"priority": "whenever"}, "priority", "Select a valid choice."),
    ({"needs": ["9999999"]}, "needs", "Select a valid choice."),
    ({"reason": "x" * 4001}, "reason", "at most 4000 characters"),
]


@pytest.mark.parametrize(("change", "field", "message"), FIELD_ERRORS, ids=[f for _c, f, _m in FIELD_ERRORS])
def test_bad_input_is_a_form_error_and_writes_nothing(filing, client_for, change, field, message):
    response = client_for(STAFF).post(NEW, payload(filing, action="submit", **change))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert message in text(response).replace("&#x27;", "'")
    assert written() == (0, 0, 0)


def test_sending_and_receiving_partner_must_differ(filing, client_for):
    response = client_for(STAFF).post(NEW, payload(filing, receiving_partner=filing.world.sending.pk))
    assert response.status_code == 400
    assert "receiving_partner" in response.context["form"].errors
    assert written() == (0, 0, 0)


def test_a_service_of_another_partner_is_refused(filing, client_for):
    elsewhere = ServiceFactory(partner=filing.world.outsider, name="Mentoring circle")
    response = client_for(STAFF).post(NEW, payload(filing, service=elsewhere.pk))
    assert response.status_code == 400
    # Only the receiving partner's services are choices (cases.forms.ReferralFileForm._limit_services).
    assert response.context["form"].errors["service"] == ["Choose one of the receiving partner's services."]
    assert written() == (0, 0, 0)


def test_a_service_of_another_task_force_is_not_a_choice(filing, client_for):
    foreign = ServiceFactory(partner=filing.world.foreign, name="Foreign desk")
    response = client_for(STAFF).post(NEW, payload(filing, service=foreign.pk))
    assert response.status_code == 400
    assert "service" in response.context["form"].errors
    assert written() == (0, 0, 0)


def test_filing_from_a_partner_the_actor_is_not_staff_of_is_refused(filing, client_for):
    response = client_for(STAFF).post(NEW, payload(filing, sending_partner=filing.world.outsider.pk))
    assert response.status_code == 400
    assert "sending_partner" in response.context["form"].errors
    assert written() == (0, 0, 0)


def test_a_person_the_actor_may_not_see_cannot_be_posted(filing, client_for):
    stranger = PersonFactory(task_force=filing.world.tf, given_name="Hidden", family_name="Stranger")
    ConsentFactory(person=stranger)
    response = client_for(STAFF).post(NEW, payload(filing, person=stranger.pk))
    assert response.status_code == 400
    assert "person" in response.context["form"].errors
    assert "Stranger" not in text(response)
    assert written() == (0, 0, 0)


def test_missing_consent_is_refused_with_a_link_to_record_it(filing, client_for):
    Consent.objects.filter(person=filing.person).update(revoked_at=timezone.now())
    for action in ("draft", "submit"):
        response = client_for(STAFF).post(NEW, payload(filing, action=action))
        assert response.status_code == 400
        body = text(response)
        assert "has no recorded consent to share with Workforce Center" in body
        assert f'href="/people/{filing.person.pk}/consents/new/"' in body
        assert response.context["person"] == filing.person  # still chosen
    assert written() == (0, 0, 0)


def test_a_government_partner_needs_no_consent(filing, client_for):
    Consent.objects.filter(person=filing.person).update(revoked_at=timezone.now())
    prosecutors = PartnerFactory(task_force=filing.world.tf, name="County Prosecutor", kind=PartnerKind.PROSECUTION)
    response = client_for(STAFF).post(NEW, payload(filing, receiving_partner=prosecutors.pk, action="submit"))
    assert response.status_code == 302
    assert Referral.objects.get().status == Status.SUBMITTED


# --- Speed ------------------------------------------------------------------------------------------------------


def test_the_page_query_count_is_pinned(filing, client_for, django_assert_num_queries):
    client = client_for(STAFF)
    for n in range(12):
        partner = PartnerFactory(task_force=filing.world.tf, name=f"Partner {n:02d}")
        ServiceFactory(partner=partner, name=f"Service {n}")
        person = PersonFactory(task_force=filing.world.tf, given_name="Jonah", family_name=f"Quintero {n}")
        ConsentFactory(person=person, recorded_by_partner=filing.world.sending)
    # Session, user, actor (3); the form's sending partners (1); the people found (1); rendering: the sending
    # partners (2: Django's Select asks for the first choice to decide on "required"), the receiving partners and
    # the needs (1 each). No receiving partner chosen: no service is offered, none read.
    with django_assert_num_queries(9):
        response = client.get(NEW, {"q": "jonah", "service": "0"})
    assert response.status_code == 200
    assert len(response.context["results"]) == 13
    # With the receiving partner chosen: its services are read (1) and the prefilled one checked (1), however many.
    for n in range(12):
        ServiceFactory(partner=filing.world.receiving, name=f"Desk {n}")
    with django_assert_num_queries(12):  # + the receiving partner checked (1)
        response = client.get(NEW, {"q": "jonah", "receiving_partner": filing.world.receiving.pk, "service": "0"})
    assert len(response.context["form"].fields["service"].queryset) == 12


# --- The buttons ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "shown"), [(STAFF, True), ("receiving_partner_admin", True), ("sending_member", False)]
)
def test_new_referral_button_on_the_list_and_the_inbox(filing, client_for, key, shown):
    client = client_for(key)
    link = f'href="{NEW}"'
    assert (link in text(client.get("/referrals/"))) is shown
    assert (link in text(client.get("/"))) is shown


def test_no_new_referral_button_for_a_coordinator(filing, client_for):
    client = client_for("coordinator")
    assert NEW not in text(client.get("/referrals/"))
    assert NEW not in text(client.get("/"))
