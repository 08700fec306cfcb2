"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered from each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psn.settings")

app = Celery("psn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
