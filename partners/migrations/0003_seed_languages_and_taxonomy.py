"""Languages (reference data) and the default taxonomy for task forces that already exist."""

from django.db import migrations

from partners.taxonomy import DEFAULT_TAXONOMY, LANGUAGES


def seed(apps, schema_editor):
    Language = apps.get_model("partners", "Language")
    TaskForce = apps.get_model("partners", "TaskForce")
    TaxonomyTerm = apps.get_model("partners", "TaxonomyTerm")
    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})
    for task_force in TaskForce.objects.all():
        for code, name, description in DEFAULT_TAXONOMY:
            TaxonomyTerm.objects.get_or_create(
                task_force=task_force, code=code, defaults={"name": name, "description": description}
            )


class Migration(migrations.Migration):
    dependencies = [("partners", "0002_directory")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
