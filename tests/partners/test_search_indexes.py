"""Migration 0004: on PostgreSQL the directory search is answered from its GIN indexes (the full-text vector
and the trigram name index); on other databases the migration adds nothing."""

from django.db import connection

from partners import selectors
from partners.models import Partner, Service

INDEXES = {"partner_search_gin", "service_search_gin", "partner_name_trgm", "service_name_trgm"}


def _index_names() -> set[str]:
    names = set()
    for model in (Partner, Service):
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        names |= {name for name, info in constraints.items() if info["index"]}
    return names


def _plan(queryset, *, bitmap_only: bool = False) -> str:
    with connection.cursor() as cursor:
        # A handful of test rows: a sequential scan would win; forbid it to see which index answers.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if bitmap_only:
            # Nor a walk along another index with the condition as a filter (cheap on a few rows, depending
            # on the statistics of the moment): only an index that answers the condition can serve.
            cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_search_indexes_exist_only_on_postgresql(db):
    if connection.vendor == "postgresql":
        assert _index_names() >= INDEXES
    else:
        assert not (_index_names() & INDEXES)


def test_the_partner_search_is_answered_from_its_indexes(world):
    queryset = selectors.partner_filter(Partner.objects.all(), q="workforce")
    if connection.vendor == "postgresql":
        plan = _plan(queryset)
        assert "partner_search_gin" in plan, plan
        assert "partner_name_trgm" in plan, plan
    assert [partner.name for partner in queryset] == ["Workforce Center"]


def test_the_service_search_is_answered_from_its_indexes(world):
    Service.objects.create(partner=world.receiving, task_force=world.tf, name="Mentoring Circle")
    queryset = selectors.service_filter(Service.objects.all(), q="mentoring")
    if connection.vendor == "postgresql":
        plan = _plan(queryset)
        assert "service_search_gin" in plan, plan
        # The words matched: no look for near names at all.
        assert "service_name_trgm" not in plan, plan
    assert [service.name for service in queryset] == ["Mentoring Circle"]


def test_a_typo_is_answered_from_the_trigram_index(world):
    Service.objects.create(partner=world.receiving, task_force=world.tf, name="Mentoring Circle")
    queryset = selectors.service_filter(Service.objects.all(), q="mentorng")
    if connection.vendor == "postgresql":
        assert "service_name_trgm" in _plan(queryset, bitmap_only=True)
        assert [service.name for service in queryset] == ["Mentoring Circle"]
    else:
        # SQLite has a plain substring match: no typo tolerance there (README, "Search").
        assert list(queryset) == []
