"""The sweep of notification emails never sent (``cases.notifications.notification_emails_resend_unsent``, every
10 minutes): a partial index over the few rows whose email is not sent yet, by creation time, so the sweep reads
those of its window and not the whole table (the demo alone writes tens of thousands of notices).

Before the sweep, an empty ``emailed_at`` did not mean "email due": notifications made before 0007 were emailed in
the request and have none, and the demo's were never to be emailed. So every notification without it that is older
than the sweep's five minutes is marked emailed at its creation time (the email went out then, or is given up as
it was before the sweep); the newest are left empty, their task may still be queued, and the sweep covers them. The
backfill runs before the index is built, which then holds only those few rows."""

import datetime

from django.db import migrations
from django.db.models import F
from django.utils import timezone


def mark_existing_emailed(apps, schema_editor):
    Notification = apps.get_model("cases", "Notification")
    cutoff = timezone.now() - datetime.timedelta(minutes=5)
    Notification.objects.filter(emailed_at__isnull=True, created_at__lt=cutoff).update(emailed_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_task_force_trigram_indexes")]

    operations = [
        migrations.RunPython(mark_existing_emailed, migrations.RunPython.noop),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS notification_email_unsent_idx ON cases_notification (created_at) "
            "WHERE emailed_at IS NULL",
            "DROP INDEX IF EXISTS notification_email_unsent_idx",
        ),
    ]
