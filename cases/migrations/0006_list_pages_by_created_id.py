"""The referral list's deep pages: (task force, created, id) replaces (task force, created), so that the offset of
page 4,700 is walked on the index alone (psn/pagination.py). Added before the old one goes: never a moment without."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0005_need_filter_indexes'),
        ('partners', '0007_service_task_force_name_trgm'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='referral',
            index=models.Index(fields=['task_force', 'created_at', 'id'], name='referral_tf_created_id_idx'),
        ),
        migrations.RemoveIndex(
            model_name='referral',
            name='referral_tf_created_idx',
        ),
    ]
