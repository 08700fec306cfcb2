"""Indexes for the directory search on PostgreSQL: GIN indexes on the full-text vectors the selectors query
(the very expressions of PARTNER_VECTOR and SERVICE_VECTOR in partners/selectors.py: change one, add a
migration for the other; tests/partners/test_search_indexes.py checks the planner uses them) and trigram GIN
indexes on partner and service names for the typo fallback. Nothing on other databases.

The reverse drops the indexes but leaves the pg_trgm extension: other objects may depend on it.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector
from django.db import migrations


def _vector():
    return SearchVector("name", weight="A", config="english") + SearchVector(
        "description", weight="B", config="english"
    )


def _indexes():
    return [
        ("Partner", GinIndex(_vector(), name="partner_search_gin")),
        ("Service", GinIndex(_vector(), name="service_search_gin")),
        ("Partner", GinIndex(OpClass("name", name="gin_trgm_ops"), name="partner_name_trgm")),
        ("Service", GinIndex(OpClass("name", name="gin_trgm_ops"), name="service_name_trgm")),
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for model_name, index in _indexes():
        schema_editor.add_index(apps.get_model("partners", model_name), index)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in _indexes():
        schema_editor.remove_index(apps.get_model("partners", model_name), index)


class Migration(migrations.Migration):
    dependencies = [("partners", "0003_seed_languages_and_taxonomy")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
