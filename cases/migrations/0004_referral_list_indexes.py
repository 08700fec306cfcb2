"""Indexes of the referral pages at full scale (bench/results.md, "Referral pages"): the inbox's "sent by you,
changed lately" section, the name search's people without ``search_text``, the list's orderings by update time and
by priority, and (PostgreSQL only, like 0003) a trigram index on the reference for the list's reference search
(``LIKE '%R-2026-0001%'``) and one for its ordering by due date, latest first and none last."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import migrations, models
from django.db.models import F


def _indexes():
    return [
        GinIndex(OpClass("reference", name="gin_trgm_ops"), name="referral_reference_trgm"),
        # ORDER BY due_date DESC NULLS LAST (the list's "-due": no due date last): SQLite has no NULLS LAST here.
        models.Index(F("task_force"), F("due_date").desc(nulls_last=True), name="referral_tf_due_desc_idx"),
    ]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in _indexes():
        schema_editor.add_index(apps.get_model("cases", "Referral"), index)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for index in _indexes():
        schema_editor.remove_index(apps.get_model("cases", "Referral"), index)


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_person_search_trgm")]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(
                condition=models.Q(("search_text", "")), fields=["task_force"], name="person_unfolded_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                fields=["task_force", "sending_partner", "updated_at"], name="referral_tf_send_updated_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["task_force", "updated_at"], name="referral_tf_updated_idx"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(
                models.F("task_force"),
                models.Case(
                    models.When(priority="stat", then=models.Value(0)),
                    models.When(priority="asap", then=models.Value(1)),
                    models.When(priority="urgent", then=models.Value(2)),
                    default=models.Value(3),
                ),
                models.OrderBy(models.F("created_at"), descending=True),
                name="referral_tf_priority_rank_idx",
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
