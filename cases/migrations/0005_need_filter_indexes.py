"""The referral list's need filter at full scale (bench/results.md, "Referrals"): ``id IN (SELECT referral_id FROM
cases_referral_needs WHERE taxonomyterm_id IN (...))``.

- The needs side: the through table's own indexes are (referral_id, taxonomyterm_id), unique, and taxonomyterm_id
  alone, so a term's rows were found by the second and read from the table (~19,000 rows over ~1,000 pages for a
  common need: half the time of the page's count). Keyed by the term with the referral next, the semi-join reads
  the index only (~80 pages). The through table is Django's, made for ``Referral.needs``: its model takes no
  ``Meta.indexes``, so this one is added through the schema editor (a plain B-tree, on every database).
- The referrals side, for a coordinator (every referral of the task force): (task_force, id) lets the semi-join
  read the task force's ids from an index instead of scanning the table (75 ms to 27 ms for a common need).
"""

from django.db import migrations, models

NEEDS_INDEX = models.Index(fields=["taxonomyterm", "referral"], name="referral_needs_term_ref_idx")


def _through(apps):
    return apps.get_model("cases", "Referral")._meta.get_field("needs").remote_field.through


def forwards(apps, schema_editor):
    schema_editor.add_index(_through(apps), NEEDS_INDEX)


def backwards(apps, schema_editor):
    schema_editor.remove_index(_through(apps), NEEDS_INDEX)


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_referral_list_indexes")]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["task_force", "id"], name="referral_tf_id_idx"),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
