"""The typo search of services (``partners.selectors.service_ids_near``) within one task force: on PostgreSQL a GIN
index over (task force, name trigrams), so that the planner no longer walks every service of the task force
computing a word similarity for each (bench/results.md: 49 ms -> 11 ms for 3,000 services). It needs the
``btree_gin`` extension (shipped with PostgreSQL, a trusted extension since PostgreSQL 13: the database owner may
create it). Other databases: nothing (their search is a substring match)."""

from django.db import migrations

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX IF NOT EXISTS service_tf_name_trgm ON partners_service USING gin (task_force_id, name gin_trgm_ops)",
]
BACKWARDS = ["DROP INDEX IF EXISTS service_tf_name_trgm"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("partners", "0006_service_search_vector")]

    operations = [migrations.RunPython(_run(FORWARDS), _run(BACKWARDS))]
