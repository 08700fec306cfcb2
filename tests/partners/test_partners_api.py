"""/api/v1/partners/: the same selectors and filters as the page, ordering, pagination, scoping."""

import pytest
from django.db import connection

from partners.models import Language

from ..factories import PartnerFactory


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_a_member_lists_the_active_partners_of_their_task_force(client_for, directory):
    response = client_for("sending_member").get("/api/v1/partners/")

    assert response.status_code == 200
    assert names(response) == ["City Police", "Faith Coalition", "U.S. Attorney's Office", "Workforce Center"]
    row = response.json()["results"][-1]
    assert row["kind"] == "service_provider"
    assert row["languages"] == ["en", "es"]


def test_search_and_filters_match_the_page(client_for, directory, world):
    PartnerFactory(task_force=world.tf, name="Training Academy", description="Trades.")
    client = client_for("receiving_member")

    assert names(client.get("/api/v1/partners/?q=training")) == ["Training Academy", "Workforce Center"]
    assert names(client.get("/api/v1/partners/?category=PSN-HOU")) == ["Faith Coalition"]
    assert names(client.get("/api/v1/partners/?kind=service_provider&language=es")) == ["Workforce Center"]
    assert names(client.get("/api/v1/partners/?q=coaching&kind=law_enforcement")) == []


def test_a_typo_still_finds_the_partner_on_postgresql(client_for, directory):
    query = "Workforse" if connection.vendor == "postgresql" else "Workforce"

    assert names(client_for("receiving_member").get(f"/api/v1/partners/?q={query}")) == ["Workforce Center"]


def test_ordering_by_name_and_updated_at(client_for, directory, world):
    world.sending.save()  # the most recently updated
    client = client_for("receiving_member")

    assert names(client.get("/api/v1/partners/?ordering=-name"))[0] == "Workforce Center"
    assert names(client.get("/api/v1/partners/?ordering=-updated_at"))[0] == "City Police"
    assert client.get("/api/v1/partners/?ordering=email").status_code == 200  # unknown fields are ignored


def test_only_coordinators_list_and_read_inactive_partners(client_for, directory):
    pk = directory.closed_partner.pk

    assert names(client_for("coordinator").get("/api/v1/partners/?active=false")) == ["Closed Clinic"]
    assert client_for("coordinator").get(f"/api/v1/partners/{pk}/").json()["active"] is False
    assert names(client_for("receiving_partner_admin").get("/api/v1/partners/?active=false")) == []
    assert client_for("receiving_partner_admin").get(f"/api/v1/partners/{pk}/").status_code == 404


def test_a_partner_of_another_task_force_is_not_found(client_for, world, directory):
    response = client_for("coordinator").get(f"/api/v1/partners/{world.foreign.pk}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [("kind=bank", "kind"), ("language=xx", "language"), ("category=NOPE", "category"), ("active=0", "active")],
)
def test_an_invalid_filter_is_a_400_with_errors(client_for, directory, query, field):
    response = client_for("receiving_member").get(f"/api/v1/partners/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "Select a valid choice" in body["errors"][field][0]


@pytest.mark.parametrize("bad_id", ["abc", "0", "9" * 30])
def test_an_id_that_is_no_database_id_is_not_found(client_for, directory, bad_id):
    assert client_for("receiving_member").get(f"/api/v1/partners/{bad_id}/").status_code == 404


def test_pagination_keeps_the_filters(client_for, world):
    for n in range(60):
        PartnerFactory(task_force=world.tf, name=f"Outreach group {n:02d}", kind="community")

    body = client_for("receiving_member").get("/api/v1/partners/?kind=community&q=outreach").json()

    assert body["count"] == 60
    assert len(body["results"]) == 50
    assert "kind=community" in body["next"] and "q=outreach" in body["next"] and "page=2" in body["next"]


@pytest.mark.parametrize("count", [10, 40])
def test_the_list_runs_a_fixed_number_of_queries(client_for, world, django_assert_num_queries, count):
    languages = list(Language.objects.filter(code__in=["en", "es"]))
    for n in range(count):
        PartnerFactory(task_force=world.tf, name=f"Bulk partner {n:02d}").languages.set(languages)
    client = client_for("receiving_member")
    client.get("/api/v1/partners/")

    # session, user, actor; the language choices; count; the partners; their languages.
    with django_assert_num_queries(7):
        response = client.get("/api/v1/partners/?q=bulk&language=en")
    assert response.json()["count"] == count
