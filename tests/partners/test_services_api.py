"""/api/v1/services/: the same selectors and filters as the page, ordering, pagination, scoping."""

import pytest
from django.db import connection

from .conftest import common_category, many_services


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_a_member_lists_the_active_services_with_partner_categories_and_languages(client_for, directory, world):
    response = client_for("sending_member").get("/api/v1/services/")

    assert response.status_code == 200
    assert names(response) == ["Mentoring Circle", "Rental help", "Welding course"]
    row = response.json()["results"][0]
    assert row["partner"] == {"id": world.receiving.pk, "name": "Workforce Center"}
    assert row["categories"] == [{"code": "PSN-MEN", "name": "Mentoring"}]
    assert row["languages"] == ["es"]
    assert (row["capacity"], row["accepting_referrals"], row["hours"]) == (12, True, "Mon-Fri 9-5")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=mentoring", ["Mentoring Circle", "Welding course"]),  # name match first
        ("q=Faith", ["Rental help"]),  # partner name
        ("q=housing", ["Rental help"]),  # category name
        ("category=PSN-EMP", ["Welding course"]),
        ("language=es", ["Mentoring Circle", "Rental help"]),
        ("accepting=false", ["Welding course"]),
        ("active=false", []),
        ("q=mentoring&language=es&accepting=true&category=PSN-MEN", ["Mentoring Circle"]),
    ],
)
def test_search_and_filters_match_the_page(client_for, directory, query, expected):
    response = client_for("receiving_member").get(f"/api/v1/services/?{query}")

    assert response.status_code == 200
    assert names(response) == expected


def test_a_typo_still_finds_the_service_on_postgresql(client_for, directory):
    query = "mentorng" if connection.vendor == "postgresql" else "Mentoring Circle"

    assert names(client_for("receiving_member").get(f"/api/v1/services/?q={query}")) == ["Mentoring Circle"]


def test_ordering_overrides_the_rank(client_for, directory):
    client = client_for("receiving_member")

    assert names(client.get("/api/v1/services/?q=mentoring&ordering=-name")) == ["Welding course", "Mentoring Circle"]
    assert names(client.get("/api/v1/services/?ordering=name")) == ["Mentoring Circle", "Rental help", "Welding course"]


def test_only_coordinators_see_inactive_services_and_those_of_inactive_partners(client_for, directory):
    coordinator, admin = client_for("coordinator"), client_for("receiving_partner_admin")

    assert names(coordinator.get("/api/v1/services/?active=false")) == ["Retired mentoring desk"]
    for service in (directory.retired, directory.closed_service):
        assert coordinator.get(f"/api/v1/services/{service.pk}/").status_code == 200
        assert admin.get(f"/api/v1/services/{service.pk}/").status_code == 404


def test_a_service_of_another_task_force_is_not_found(client_for, directory):
    path = f"/api/v1/services/{directory.foreign_service.pk}/"

    assert client_for("coordinator").get(path).status_code == 404
    assert client_for("foreign_coordinator").get(path).json()["name"] == "Mentoring elsewhere"


@pytest.mark.parametrize(
    ("query", "field"),
    [("accepting=maybe", "accepting"), ("language=%00", "language"), ("category=PSN-XYZ", "category")],
)
def test_an_invalid_filter_is_a_400_with_errors(client_for, directory, query, field):
    response = client_for("receiving_member").get(f"/api/v1/services/?{query}")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_search_text_too_long_is_a_400(client_for, directory):
    response = client_for("receiving_member").get("/api/v1/services/?q=" + "x" * 201)

    assert response.status_code == 400
    assert "200 characters" in response.json()["errors"]["q"][0]


@pytest.mark.parametrize("q", ["%00", "x'; DROP TABLE partners_service; --", "!!! & | <-> :*", "(", '"unclosed'])
def test_hostile_search_text_is_never_a_500(client_for, directory, q):
    response = client_for("receiving_member").get("/api/v1/services/", {"q": q.replace("%00", "\x00")})

    assert response.status_code in (200, 400)


def test_pagination_keeps_the_filters(client_for, world):
    many_services(world, 60)

    body = client_for("receiving_member").get("/api/v1/services/?q=bulk&language=es&page_size=25").json()

    assert (body["count"], len(body["results"])) == (60, 25)
    assert all(part in body["next"] for part in ("q=bulk", "language=es", "page=2", "page_size=25"))


@pytest.mark.parametrize("count", [10, 40])
def test_the_list_runs_a_fixed_number_of_queries(client_for, world, django_assert_num_queries, count):
    many_services(world, count)
    client = client_for("receiving_member")
    client.get("/api/v1/services/")
    category = common_category(world)

    # session, user, actor; the category choices; count; the services with their partners; their
    # categories; their languages; on PostgreSQL, whether the words match (else near names are searched).
    with django_assert_num_queries(9 if connection.vendor == "postgresql" else 8):
        response = client.get(f"/api/v1/services/?q=bulk&category={category}")
    assert response.json()["count"] == count
