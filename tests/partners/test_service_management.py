"""Managing services on the pages: a partner's admins and coordinators add, edit, deactivate and reactivate
its services; everyone else gets a 403 (another task force a 404). Bad input is a form error and writes
nothing; every change is one audit event with what changed."""

import pytest

from partners.models import Service, TaxonomyTerm
from partners.services import taxonomy_seed
from psn.models import AuditEvent

from ..factories import PartnerFactory, ServiceFactory


def service_events(service=None):
    events = AuditEvent.objects.filter(object_type="partners.service")
    return events.filter(object_id=str(service.pk)) if service is not None else events


def field_errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


@pytest.fixture
def terms(world):
    taxonomy_seed(task_force=world.tf)
    taxonomy_seed(task_force=world.other_tf)
    return {term.code: term for term in TaxonomyTerm.objects.filter(task_force=world.tf)}


@pytest.fixture
def mentoring(world, terms):
    return ServiceFactory(partner=world.receiving, name="Mentoring Circle", categories=[terms["PSN-MEN"]], capacity=12)


@pytest.fixture
def unchanged(world):
    """Asserts the test wrote no service, changed none, and recorded no directory event."""

    def snapshot():
        return (
            list(Service.objects.order_by("pk").values()),
            list(Service.categories.through.objects.order_by("pk").values()),
            list(Service.languages.through.objects.order_by("pk").values()),
            service_events().count(),
        )

    before = snapshot()
    yield
    assert snapshot() == before


NEW = {
    "name": "Job readiness",
    "description": "Six weeks, evenings.",
    "categories": ["PSN-EMP", "PSN-EDU"],
    "languages": ["en", "es"],
    "capacity": "20",
    "accepting_referrals": "on",
    "hours": "Mon-Thu 6-8 pm",
    "contact_email": "jobs@example.org",
}


def test_a_partner_admin_adds_a_service_to_their_partner(client_for, world, terms):
    response = client_for("receiving_partner_admin").post(
        f"/directory/partners/{world.receiving.pk}/services/new/", NEW
    )

    assert response.status_code == 302
    assert response["Location"] == f"/directory/partners/{world.receiving.pk}/"
    service = Service.objects.get(name="Job readiness")
    assert service.partner == world.receiving
    assert service.task_force == world.tf
    assert service.capacity == 20
    assert service.accepting_referrals
    assert sorted(service.categories.values_list("code", flat=True)) == ["PSN-EDU", "PSN-EMP"]
    assert sorted(service.languages.values_list("code", flat=True)) == ["en", "es"]
    event = service_events(service).get()
    assert event.action == "created"
    assert event.actor == world.user("receiving_partner_admin")
    assert event.changes["partner"] == [None, "Workforce Center"]
    assert event.changes["categories"] == [None, "PSN-EDU, PSN-EMP"]


def test_a_coordinator_adds_a_service_to_any_partner(client_for, world, terms):
    response = client_for("coordinator").post(f"/directory/partners/{world.outsider.pk}/services/new/", NEW)

    assert response.status_code == 302
    assert Service.objects.get(name="Job readiness").partner == world.outsider


def test_the_service_form_offers_the_task_forces_active_categories_as_checkboxes(client_for, world, terms):
    TaxonomyTerm.objects.filter(task_force=world.tf, code="PSN-FOOD").update(active=False)

    page = client_for("receiving_partner_admin").get(f"/directory/partners/{world.receiving.pk}/services/new/")

    categories = [code for code, _ in page.context["form"].fields["categories"].choices]
    assert "PSN-EMP" in categories
    assert "PSN-FOOD" not in categories
    assert 'type="checkbox" name="categories" value="PSN-EMP"' in page.content.decode()


@pytest.mark.parametrize(("key", "status"), [("sending_partner_admin", 403), ("receiving_member", 403)])
def test_others_in_the_task_force_cannot_add_services_to_the_partner(client_for, world, terms, unchanged, key, status):
    path = f"/directory/partners/{world.receiving.pk}/services/new/"

    assert client_for(key).get(path).status_code == status
    assert client_for(key).post(path, NEW).status_code == status


def test_another_task_force_cannot_find_the_partner(client_for, world, terms, unchanged):
    path = f"/directory/partners/{world.receiving.pk}/services/new/"

    assert client_for("foreign_coordinator").post(path, NEW).status_code == 404


def test_an_inactive_partner_takes_no_new_services(client_for, world, terms, unchanged):
    closed = PartnerFactory(task_force=world.tf, name="Closed Clinic", active=False)
    client = client_for("coordinator")
    assert (
        f"/directory/partners/{closed.pk}/services/new/"
        not in client.get(f"/directory/partners/{closed.pk}/").content.decode()
    )

    response = client.post(f"/directory/partners/{closed.pk}/services/new/", NEW)

    assert response.status_code == 400
    assert "reactivate it before adding services" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "x" * 201, "at most 200 characters"),
        ("eligibility", "x" * 2001, "at most 2000 characters"),
        ("hours", "x" * 1001, "at most 1000 characters"),
        ("capacity", "-1", "greater than or equal to 0"),
        ("capacity", "lots", "Enter a whole number."),
        ("capacity", "9" * 20, "less than or equal to"),
        ("categories", ["NOPE"], "Select a valid choice"),
        ("languages", ["xx"], "Select a valid choice"),
        ("contact_email", "nope", "Enter a valid email address."),
        ("url", "ftp:/broken", "Enter a valid URL."),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(client_for, world, terms, unchanged, field, value, message):
    response = client_for("receiving_partner_admin").post(
        f"/directory/partners/{world.receiving.pk}/services/new/", {**NEW, field: value}
    )

    assert response.status_code == 400
    assert message in " ".join(field_errors(response)[field])


def test_a_category_of_another_task_force_is_not_a_choice(client_for, world, terms, unchanged):
    foreign_only = TaxonomyTerm.objects.create(task_force=world.other_tf, code="EDT-ONLY", name="Theirs")

    response = client_for("coordinator").post(
        f"/directory/partners/{world.receiving.pk}/services/new/", {**NEW, "categories": [foreign_only.code]}
    )

    assert response.status_code == 400
    assert "Select a valid choice" in field_errors(response)["categories"][0]


def test_html_in_a_service_name_is_shown_escaped(client_for, world, terms):
    name = "<img src=x onerror=alert(1)> Tutoring"
    client = client_for("receiving_partner_admin")
    client.post(f"/directory/partners/{world.receiving.pk}/services/new/", {**NEW, "name": name})
    service = Service.objects.get(name=name)

    for path in (
        f"/directory/services/{service.pk}/",
        "/directory/services/",
        f"/directory/partners/{world.receiving.pk}/",
        f"/directory/services/{service.pk}/edit/",
    ):
        page = client.get(path).content.decode()
        assert "<img src=x" not in page, path
        assert "&lt;img src=x" in page, path


# --- Edit ---------------------------------------------------------------------------------------------


def test_a_partner_admin_edits_a_service_and_the_event_says_what_changed(client_for, world, terms, mentoring):
    path = f"/directory/services/{mentoring.pk}/edit/"
    client = client_for("receiving_partner_admin")
    form = client.get(path).context["form"]
    assert form.initial["categories"] == ["PSN-MEN"]
    assert form.initial["capacity"] == 12

    response = client.post(
        path, {"name": "Mentoring Circle", "categories": ["PSN-MEN", "PSN-FAM"], "capacity": "15", "languages": ["es"]}
    )

    assert response.status_code == 302
    mentoring.refresh_from_db()
    assert mentoring.capacity == 15
    assert not mentoring.accepting_referrals  # an unticked checkbox
    event = service_events(mentoring).get()
    assert event.changes == {
        "capacity": ["12", "15"],
        "accepting_referrals": ["True", "False"],
        "categories": ["PSN-MEN", "PSN-FAM, PSN-MEN"],
        "languages": ["", "es"],
    }


def test_saving_a_service_without_a_change_writes_nothing(client_for, world, terms, mentoring, unchanged):
    response = client_for("coordinator").post(
        f"/directory/services/{mentoring.pk}/edit/",
        {"name": "Mentoring Circle", "categories": ["PSN-MEN"], "capacity": "12", "accepting_referrals": "on"},
    )

    assert response.status_code == 302


def test_an_inactive_category_a_service_already_has_stays_a_choice(client_for, world, terms, mentoring):
    TaxonomyTerm.objects.filter(pk=terms["PSN-MEN"].pk).update(active=False)

    form = client_for("coordinator").get(f"/directory/services/{mentoring.pk}/edit/").context["form"]

    assert "PSN-MEN" in [code for code, _ in form.fields["categories"].choices]


@pytest.mark.parametrize(
    ("key", "status"), [("sending_partner_admin", 403), ("receiving_member", 403), ("foreign_coordinator", 404)]
)
def test_others_cannot_edit_the_service(client_for, world, terms, mentoring, unchanged, key, status):
    path = f"/directory/services/{mentoring.pk}/edit/"

    assert client_for(key).get(path).status_code == status
    assert client_for(key).post(path, {"name": "Hijacked"}).status_code == status


@pytest.mark.parametrize(
    ("key", "manage"),
    [
        ("coordinator", True),
        ("receiving_partner_admin", True),
        ("sending_partner_admin", False),
        ("receiving_member", False),
    ],
)
def test_the_service_page_shows_the_buttons_only_to_those_who_may_use_them(client_for, world, mentoring, key, manage):
    page = client_for(key).get(f"/directory/services/{mentoring.pk}/").content.decode()

    assert (f"/directory/services/{mentoring.pk}/edit/" in page) is manage
    assert (f"/directory/services/{mentoring.pk}/deactivate/" in page) is manage


def test_the_service_list_offers_a_partner_admin_to_add_a_service(client_for, world):
    assert f"/directory/partners/{world.receiving.pk}/services/new/" in (
        client_for("receiving_partner_admin").get("/directory/services/").content.decode()
    )
    assert "/services/new/" not in client_for("receiving_member").get("/directory/services/").content.decode()


# --- Deactivate and reactivate ------------------------------------------------------------------------


def test_a_partner_admin_deactivates_and_reactivates_a_service(client_for, world, terms, mentoring):
    client = client_for("receiving_partner_admin")
    assert client.get(f"/directory/services/{mentoring.pk}/deactivate/").status_code == 200

    assert client.post(f"/directory/services/{mentoring.pk}/deactivate/").status_code == 302

    mentoring.refresh_from_db()
    assert not mentoring.active
    assert "Mentoring Circle" not in client_for("sending_member").get("/directory/services/").content.decode()
    assert client_for("receiving_member").get(f"/directory/services/{mentoring.pk}/").status_code == 404
    # Its admin still finds it on the partner's page, marked, with the way back.
    partner_page = client.get(f"/directory/partners/{world.receiving.pk}/").content.decode()
    assert "Mentoring Circle" in partner_page
    assert f"/directory/services/{mentoring.pk}/reactivate/" in partner_page
    assert (
        "Mentoring Circle"
        not in client_for("receiving_member").get(f"/directory/partners/{world.receiving.pk}/").content.decode()
    )
    # ... and may still edit it.
    assert client.get(f"/directory/services/{mentoring.pk}/edit/").status_code == 200

    assert client.post(f"/directory/services/{mentoring.pk}/reactivate/").status_code == 302

    mentoring.refresh_from_db()
    assert mentoring.active
    assert [event.changes for event in service_events(mentoring).order_by("at", "id")] == [
        {"active": ["True", "False"]},
        {"active": ["False", "True"]},
    ]
    assert mentoring.categories.count() == 1  # nothing else touched


def test_deactivating_a_service_twice_changes_it_once(client_for, world, mentoring):
    client = client_for("coordinator")
    client.post(f"/directory/services/{mentoring.pk}/deactivate/")

    response = client.post(f"/directory/services/{mentoring.pk}/deactivate/", follow=True)

    assert "was already inactive" in response.content.decode()
    assert service_events(mentoring).count() == 1


def test_another_partners_admin_cannot_deactivate_the_service(client_for, world, mentoring, unchanged):
    assert (
        client_for("sending_partner_admin").post(f"/directory/services/{mentoring.pk}/deactivate/").status_code == 403
    )


# --- Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("many", [False, True])
def test_the_service_edit_page_takes_a_fixed_number_of_queries(
    client_for, world, terms, django_assert_num_queries, many
):
    service = ServiceFactory(
        partner=world.receiving,
        name="Counted",
        categories=list(terms.values())[: 8 if many else 1],
        languages=[],
    )
    client = client_for("receiving_partner_admin")
    path = f"/directory/services/{service.pk}/edit/"
    client.get(path)

    # session, user, actor; the service with its partner; its categories; its languages; the category
    # choices; the language choices.
    with django_assert_num_queries(8):
        assert client.get(path).status_code == 200


def test_the_new_service_page_takes_a_fixed_number_of_queries(client_for, world, terms, django_assert_num_queries):
    client = client_for("receiving_partner_admin")
    path = f"/directory/partners/{world.receiving.pk}/services/new/"
    client.get(path)

    # session, user, actor; the partner; its languages (the selector's prefetch); the category choices;
    # the language choices.
    with django_assert_num_queries(7):
        assert client.get(path).status_code == 200
