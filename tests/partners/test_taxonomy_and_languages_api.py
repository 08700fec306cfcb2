"""/api/v1/taxonomy/ (the task force's categories) and /api/v1/languages/ (reference data)."""

from partners.models import TaxonomyTerm
from partners.taxonomy import DEFAULT_TAXONOMY, LANGUAGES


def test_the_taxonomy_is_that_of_the_callers_task_force(client_for, directory, world):
    TaxonomyTerm.objects.create(task_force=world.other_tf, code="EDT-ONLY", name="Only there")

    body = client_for("receiving_member").get("/api/v1/taxonomy/?page_size=200").json()

    codes = {row["code"] for row in body["results"]}
    assert codes == {code for code, _, _ in DEFAULT_TAXONOMY}
    theirs = client_for("foreign_coordinator").get("/api/v1/taxonomy/?page_size=200").json()["results"]
    assert "EDT-ONLY" in {row["code"] for row in theirs}


def test_a_term_shows_its_parent_code(client_for, directory, world):
    parent = TaxonomyTerm.objects.get(task_force=world.tf, code="PSN-HOU")
    TaxonomyTerm.objects.create(task_force=world.tf, code="PSN-HOU-EM", name="Emergency shelter", parent=parent)

    rows = client_for("receiving_member").get("/api/v1/taxonomy/?page_size=200").json()["results"]

    child = next(row for row in rows if row["code"] == "PSN-HOU-EM")
    assert (child["name"], child["parent"]) == ("Emergency shelter", "PSN-HOU")


def test_languages_are_listed_by_name(client_for, world):
    rows = client_for("receiving_member").get("/api/v1/languages/").json()["results"]

    assert {row["code"] for row in rows} >= {code for code, _ in LANGUAGES}
    assert [row["name"] for row in rows] == sorted(row["name"] for row in rows)


def test_the_taxonomy_list_runs_a_fixed_number_of_queries(client_for, directory, django_assert_num_queries):
    client = client_for("receiving_member")
    client.get("/api/v1/taxonomy/")

    # session, user, actor; count; the terms with their parents.
    with django_assert_num_queries(5):
        assert client.get("/api/v1/taxonomy/").status_code == 200


def test_someone_with_no_task_force_is_told_to_choose_one(client_for, world):
    assert client_for("nobody").get("/api/v1/taxonomy/").status_code == 403
    assert client_for("nobody").get("/api/v1/languages/").status_code == 403
