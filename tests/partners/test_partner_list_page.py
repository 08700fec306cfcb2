"""The directory's partner list page: search, filters alone and combined, inactive partners, pagination and
pinned query counts, on SQLite and PostgreSQL alike."""

import pytest
from django.db import connection

from partners.models import PartnerKind

from ..factories import PartnerFactory

ACTIVE_OF_WDT = ["City Police", "Faith Coalition", "U.S. Attorney's Office", "Workforce Center"]


def names(response) -> list[str]:
    return [partner.name for partner in response.context["page"]]


def test_every_member_sees_the_active_partners_of_their_task_force(client_for, directory):
    response = client_for("sending_member").get("/directory/partners/")

    assert response.status_code == 200
    assert names(response) == ACTIVE_OF_WDT


def test_only_coordinators_see_inactive_partners(client_for, directory):
    assert "Closed Clinic" in names(client_for("coordinator").get("/directory/partners/"))
    assert "Closed Clinic" in names(client_for("site_admin").get("/directory/partners/"))
    for key in ("receiving_member", "receiving_partner_admin", "sending_referral_staff"):
        assert "Closed Clinic" not in names(client_for(key).get("/directory/partners/")), key


def test_search_matches_name_and_description_and_ranks_a_name_match_first(client_for, directory, world):
    PartnerFactory(task_force=world.tf, name="Training Academy", description="Trades.")

    response = client_for("receiving_member").get("/directory/partners/?q=training")

    # "Training Academy" has it in its name, "Workforce Center" only in its description.
    assert names(response) == ["Training Academy", "Workforce Center"]


def test_a_typo_still_finds_the_partner_on_postgresql(client_for, directory):
    client = client_for("receiving_member")
    if connection.vendor == "postgresql":
        assert names(client.get("/directory/partners/?q=Workforse")) == ["Workforce Center"]
    else:
        assert names(client.get("/directory/partners/?q=Workforce")) == ["Workforce Center"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=law_enforcement", ["City Police"]),
        ("kind=faith_based", ["Faith Coalition"]),
        ("category=PSN-MEN", ["Workforce Center"]),  # has a mentoring service
        ("category=PSN-HOU", ["Faith Coalition"]),
        ("language=es", ["Workforce Center"]),
        ("language=en", ["Faith Coalition", "Workforce Center"]),
        ("active=true", ACTIVE_OF_WDT),
        ("active=false", []),
        ("kind=service_provider&language=en", ["Workforce Center"]),
        ("kind=faith_based&category=PSN-MEN", []),
        ("q=coaching&language=es&kind=service_provider", ["Workforce Center"]),
        ("q=coaching&kind=law_enforcement", []),
    ],
)
def test_filters_alone_and_combined(client_for, directory, query, expected):
    response = client_for("receiving_member").get(f"/directory/partners/?{query}")

    assert response.status_code == 200
    assert names(response) == expected


def test_a_coordinator_can_list_only_the_inactive_partners(client_for, directory):
    assert names(client_for("coordinator").get("/directory/partners/?active=false")) == ["Closed Clinic"]


def test_the_category_filter_counts_only_services_the_partner_offers(client_for, directory):
    # The inactive partner has a mentoring service: only a coordinator finds it by that category.
    assert names(client_for("coordinator").get("/directory/partners/?category=PSN-MEN")) == [
        "Closed Clinic",
        "Workforce Center",
    ]


def test_partners_of_another_task_force_never_show(client_for, directory):
    assert names(client_for("coordinator").get("/directory/partners/?q=Other")) == []
    assert names(client_for("foreign_coordinator").get("/directory/partners/")) == ["Other Police"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("kind=bank", "kind"), ("language=klingon", "language"), ("category=%00", "category"), ("active=yes", "active")],
)
def test_an_invalid_filter_is_a_400_with_the_message_next_to_its_field(client_for, directory, query, field):
    response = client_for("receiving_member").get(f"/directory/partners/?{query}")

    assert response.status_code == 400
    assert "Select a valid choice" in str(response.context["filter"].form.errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()


def test_pagination_keeps_the_filters(client_for, world):
    for n in range(30):
        PartnerFactory(task_force=world.tf, name=f"Outreach group {n:02d}", kind=PartnerKind.COMMUNITY)
    client = client_for("receiving_member")

    first = client.get("/directory/partners/?kind=community&q=outreach")

    assert len(names(first)) == 25
    assert 'href="?kind=community&amp;q=outreach&amp;page=2"' in first.content.decode()
    assert len(names(client.get("/directory/partners/?kind=community&q=outreach&page=2"))) == 5


@pytest.mark.parametrize("count", [10, 40])
def test_the_list_page_runs_a_fixed_number_of_queries(client_for, world, django_assert_num_queries, count):
    from partners.models import Language

    languages = list(Language.objects.filter(code__in=["en", "es"]))
    for n in range(count):
        PartnerFactory(task_force=world.tf, name=f"Bulk partner {n:02d}").languages.set(languages)
    client = client_for("receiving_member")
    client.get("/directory/partners/")

    # session, user, actor (memberships); category and language choices of the form; count; the page's
    # partners; their languages.
    with django_assert_num_queries(8):
        response = client.get("/directory/partners/?language=en&q=bulk")
    assert response.context["page"].paginator.count == count
