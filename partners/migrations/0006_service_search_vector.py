"""A stored full-text vector for services on PostgreSQL, kept by a trigger, indexed, so that ranking a search reads
it instead of parsing the name and description of every matching row again (bench/results.md: the ranked page
query was the largest part of a text search's database time). It replaces 0004's expression index on services.
It also indexes partner names for the service search. On other databases the column stays empty and nothing
else changes.

The trigger computes exactly what ``partners.selectors.SERVICE_VECTOR`` computed (tests compare them).
"""

import django.contrib.postgres.search
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

VECTOR_SQL = (
    "setweight(to_tsvector('english'::regconfig, COALESCE({t}name, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE({t}description, '')), 'B')"
)

FORWARDS = [
    f"""
    CREATE FUNCTION partners_service_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := {VECTOR_SQL.format(t="NEW.")};
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER partners_service_search_vector
    BEFORE INSERT OR UPDATE OF name, description, search_vector ON partners_service
    FOR EACH ROW EXECUTE FUNCTION partners_service_search_vector()
    """,
    f"UPDATE partners_service SET search_vector = {VECTOR_SQL.format(t='')}",
    "DROP INDEX IF EXISTS service_search_gin",
    "CREATE INDEX service_search_gin ON partners_service USING gin (search_vector)",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS partners_service_search_vector ON partners_service",
    "DROP FUNCTION IF EXISTS partners_service_search_vector()",
    "DROP INDEX IF EXISTS service_search_gin",
    f"CREATE INDEX service_search_gin ON partners_service USING gin (({VECTOR_SQL.format(t='')}))",
]


def _partner_name_index():
    """The service search also matches partner names (selectors.NAME_VECTOR): indexed, not parsed per partner."""
    return GinIndex(SearchVector("name", config="english"), name="partner_name_search_gin")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARDS:
        schema_editor.execute(statement, params=None)
    schema_editor.add_index(apps.get_model("partners", "Partner"), _partner_name_index())


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("partners", "Partner"), _partner_name_index())
    for statement in BACKWARDS:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("partners", "0005_invitations_and_imports")]

    operations = [
        migrations.AddField(
            model_name="service",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
