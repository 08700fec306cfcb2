"""PostgreSQL only: a trigram index on the folded names and aliases of people, which the duplicate check's
``%>`` (word similarity) answers (cases/people.py). Nothing on other databases. 0004 of partners created the
pg_trgm extension."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations


def _index():
    return GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="person_search_trgm")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    schema_editor.add_index(apps.get_model("cases", "Person"), _index())


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("cases", "Person"), _index())


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_seed_reason_codes"), ("partners", "0006_service_search_vector")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
