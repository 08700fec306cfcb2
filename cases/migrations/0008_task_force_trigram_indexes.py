"""The referral list's reference and name searches within one task force (issue 8, item 5): on PostgreSQL the
trigram indexes of 0003 (``person_search_trgm``) and 0004 (``referral_reference_trgm``) become GIN indexes over
(task force, trigrams), like partners 0007. With ten districts in the database the old ones answered a search from
the trigrams of every district's rows: "R-2026-0001" read 1,120 references (every district numbers its own) in
65 ms for the 112 of the district, "johnson" fetched 5,150 people from 4,062 heap blocks for 515 (bench/results.md,
"Ten districts against one"). The searches and the duplicate check give the task force as a bigint
(``cases.people.task_force_key``), which is what lets the index use its first column; a query comparing the names
alone is answered by the new index as by the old one. Other databases: nothing (their search is a substring
match)."""

from django.db import migrations

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX IF NOT EXISTS referral_tf_reference_trgm ON cases_referral "
    "USING gin (task_force_id, reference gin_trgm_ops)",
    "DROP INDEX IF EXISTS referral_reference_trgm",
    "CREATE INDEX IF NOT EXISTS person_tf_search_trgm ON cases_person USING gin (task_force_id, search_text gin_trgm_ops)",
    "DROP INDEX IF EXISTS person_search_trgm",
]
BACKWARDS = [
    "CREATE INDEX IF NOT EXISTS person_search_trgm ON cases_person USING gin (search_text gin_trgm_ops)",
    "DROP INDEX IF EXISTS person_tf_search_trgm",
    "CREATE INDEX IF NOT EXISTS referral_reference_trgm ON cases_referral USING gin (reference gin_trgm_ops)",
    "DROP INDEX IF EXISTS referral_tf_reference_trgm",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_notification_emailed_at"), ("partners", "0007_service_task_force_name_trgm")]

    operations = [migrations.RunPython(_run(FORWARDS), _run(BACKWARDS))]
