"""The directory's service list page: search, every filter alone and combined, pagination that keeps the
filters, invalid filters, scoping and pinned query counts. The same tests run on SQLite and PostgreSQL."""

import pytest
from django.db import connection

from .conftest import many_services


def names(response) -> list[str]:
    return [service.name for service in response.context["page"]]


def test_every_member_sees_the_active_services_of_active_partners_of_their_task_force(client_for, directory):
    response = client_for("sending_member").get("/directory/services/")

    assert response.status_code == 200
    assert names(response) == ["Mentoring Circle", "Rental help", "Welding course"]


def test_coordinators_also_see_inactive_services_and_the_services_of_inactive_partners(client_for, directory):
    response = client_for("coordinator").get("/directory/services/")

    assert names(response) == [
        "Clinic mentoring",
        "Mentoring Circle",
        "Rental help",
        "Retired mentoring desk",
        "Welding course",
    ]
    assert "inactive" in response.content.decode()


def test_search_matches_name_and_description_and_ranks_a_name_match_first(client_for, directory):
    response = client_for("receiving_member").get("/directory/services/?q=mentoring")

    # "Mentoring Circle" has it in its name, "Welding course" only in its description.
    assert names(response) == ["Mentoring Circle", "Welding course"]


def test_search_matches_the_partner_name(client_for, directory):
    response = client_for("receiving_member").get("/directory/services/?q=Faith")

    assert names(response) == ["Rental help"]


def test_search_matches_a_category_name(client_for, directory):
    response = client_for("receiving_member").get("/directory/services/?q=housing")

    assert names(response) == ["Rental help"]


def test_a_typo_still_finds_the_service_on_postgresql(client_for, directory):
    client = client_for("receiving_member")
    if connection.vendor == "postgresql":
        # The trigram fallback: close enough to "Mentoring" in the name.
        assert names(client.get("/directory/services/?q=mentorng")) == ["Mentoring Circle"]
    else:
        # SQLite has only the plain match: the exact word works.
        assert names(client.get("/directory/services/?q=Mentoring")) == ["Mentoring Circle", "Welding course"]


def test_a_search_with_no_match_says_so(client_for, directory):
    response = client_for("receiving_member").get("/directory/services/?q=zzzqqq")

    assert names(response) == []
    assert "No services match." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=PSN-MEN", ["Mentoring Circle"]),
        ("category=PSN-HOU", ["Rental help"]),
        ("language=es", ["Mentoring Circle", "Rental help"]),
        ("language=en", ["Rental help", "Welding course"]),
        ("accepting=true", ["Mentoring Circle", "Rental help"]),
        ("accepting=false", ["Welding course"]),
        ("active=true", ["Mentoring Circle", "Rental help", "Welding course"]),
        ("active=false", []),  # a member never sees inactive services
        ("language=es&accepting=true&category=PSN-HOU", ["Rental help"]),
        ("q=mentoring&language=en", ["Welding course"]),
        ("q=mentoring&accepting=true", ["Mentoring Circle"]),
        ("q=mentoring&category=PSN-EMP&language=en&accepting=false", ["Welding course"]),
    ],
)
def test_filters_alone_and_combined(client_for, directory, query, expected):
    response = client_for("receiving_member").get(f"/directory/services/?{query}")

    assert response.status_code == 200
    assert names(response) == expected


def test_a_coordinator_can_list_only_the_inactive_services(client_for, directory):
    response = client_for("coordinator").get("/directory/services/?active=false")

    assert names(response) == ["Retired mentoring desk"]


def test_services_of_another_task_force_never_show(client_for, directory):
    response = client_for("coordinator").get("/directory/services/?q=elsewhere")

    assert names(response) == []
    assert "Mentoring elsewhere" not in client_for("coordinator").get("/directory/services/").content.decode()


def test_the_foreign_coordinator_sees_only_their_own_directory(client_for, directory):
    response = client_for("foreign_coordinator").get("/directory/services/")

    assert names(response) == ["Mentoring elsewhere"]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("accepting=maybe", "accepting", "Select a valid choice"),
        ("language=xx", "language", "Select a valid choice"),
        ("category=NOPE", "category", "Select a valid choice"),
        ("active=1", "active", "Select a valid choice"),
        ("q=" + "x" * 201, "q", "at most 200 characters"),
        ("q=a%00b", "q", "Null characters are not allowed"),
    ],
)
def test_an_invalid_filter_is_a_400_with_the_message_next_to_its_field(client_for, directory, query, field, message):
    response = client_for("receiving_member").get(f"/directory/services/?{query}")

    assert response.status_code == 400
    assert message in str(response.context["filter"].form.errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert names(response) == []


def test_another_task_forces_category_code_is_not_a_valid_choice(client_for, directory, world):
    # Both task forces have PSN-MEN; a custom code of the other one is refused here.
    from partners.models import TaxonomyTerm

    TaxonomyTerm.objects.create(task_force=world.other_tf, code="EDT-ONLY", name="Only there")

    assert client_for("receiving_member").get("/directory/services/?category=EDT-ONLY").status_code == 400


def test_pagination_keeps_the_filters(client_for, world):
    many_services(world, 30)
    client = client_for("receiving_member")

    first = client.get("/directory/services/?q=bulk&language=es")
    page = first.content.decode()

    assert len(names(first)) == 25
    assert first.context["page"].paginator.count == 30
    assert 'href="?q=bulk&amp;language=es&amp;page=2"' in page
    second = client.get("/directory/services/?q=bulk&language=es&page=2")
    assert len(names(second)) == 5
    assert 'href="?q=bulk&amp;language=es&amp;page=1"' in second.content.decode()


def test_the_search_form_keeps_what_was_asked(client_for, directory):
    page = client_for("receiving_member").get("/directory/services/?q=rental&language=es").content.decode()

    assert 'value="rental"' in page
    assert '<option value="es" selected>' in page
    assert '<label for="id_q">' in page


@pytest.mark.parametrize("count", [10, 40])
def test_the_list_page_runs_a_fixed_number_of_queries(client_for, world, django_assert_num_queries, count):
    many_services(world, count)
    client = client_for("receiving_member")
    client.get("/directory/services/")  # the session's first use (last-seen stamp and the like) out of the count

    # session, user, actor (memberships); category and language choices of the form; count; the page's
    # services with their partners; their categories; their languages.
    with django_assert_num_queries(9):
        response = client.get("/directory/services/?language=en")
    assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 40])
def test_a_search_runs_the_same_fixed_number_of_queries(client_for, world, django_assert_num_queries, count):
    many_services(world, count)
    client = client_for("receiving_member")
    client.get("/directory/services/")

    # PostgreSQL: one more, whether the words match anything (else near names are searched instead).
    with django_assert_num_queries(10 if connection.vendor == "postgresql" else 9):
        response = client.get("/directory/services/?q=bulk&accepting=true")
    assert response.context["page"].paginator.count == count


def test_the_search_does_not_match_the_partners_description(client_for, directory):
    # "coaching" is in the Workforce Center's description only: its services are not about coaching.
    assert names(client_for("receiving_member").get("/directory/services/?q=coaching")) == []


def test_the_navigation_links_the_directory_for_anyone_acting_in_a_task_force(client_for, world):
    link = 'href="/directory/services/"'

    assert link in client_for("receiving_member").get("/").content.decode()
    assert link in client_for("site_admin").get("/").content.decode()
    assert link not in client_for("nobody").get("/profile/").content.decode()
