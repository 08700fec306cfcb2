"""Seed the default reason codes (cases/reasons.py) for the task forces that already exist; new ones get them
from ``task_force_create``. The defaults are copied here so later edits of reasons.py do not change history."""

from django.db import migrations

DEFAULTS = {
    "decline": [
        ("no_capacity", "No capacity", False),
        ("not_eligible", "Not eligible", False),
        ("person_unreachable", "Person unreachable", False),
        ("service_not_offered", "Service not offered", False),
        ("duplicate", "Duplicate referral", False),
        ("other", "Other", True),
    ],
    "unsuccessful": [
        ("could_not_contact", "Could not contact the person", False),
        ("person_declined_services", "Person declined services", False),
        ("moved_away", "Moved away", False),
        ("incarcerated", "Incarcerated", False),
        ("deceased", "Deceased", False),
        ("other", "Other", True),
    ],
    "outcome": [
        ("service_completed", "Service completed", False),
        ("goals_met", "Goals met", False),
        ("enrolled_placed", "Enrolled / placed", False),
        ("referred_onward", "Referred onward", False),
        ("partially_completed", "Partially completed", False),
    ],
    "withdraw": [
        ("sent_in_error", "Sent in error", False),
        ("person_declined", "Person declined", False),
        ("need_met_elsewhere", "Need met elsewhere", False),
        ("other", "Other", True),
    ],
}


def seed(apps, schema_editor):
    TaskForce = apps.get_model("partners", "TaskForce")
    ReasonCode = apps.get_model("cases", "ReasonCode")
    for task_force in TaskForce.objects.all():
        existing = set(ReasonCode.objects.filter(task_force=task_force).values_list("kind", "code"))
        ReasonCode.objects.bulk_create(
            [
                ReasonCode(
                    task_force=task_force, kind=kind, code=code, label=label, needs_text=needs_text, position=position
                )
                for kind, codes in DEFAULTS.items()
                for position, (code, label, needs_text) in enumerate(codes)
                if (kind, code) not in existing
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_referrals")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
