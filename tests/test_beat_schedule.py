"""Every entry of the beat schedule names a task the worker knows, and the daily and monthly jobs of the meetings
and reports are on it."""

from datetime import timedelta

from django.conf import settings

from psn.celery import app as celery_app


def test_every_beat_entry_names_a_registered_task():
    celery_app.loader.import_default_modules()
    unknown = [e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] not in celery_app.tasks]
    assert unknown == []


def test_meeting_and_report_jobs_are_scheduled():
    every = {e["task"]: e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert every["meetings.tasks.send_due_reminders"] == timedelta(minutes=1)
    assert every["meetings.tasks.refresh_meeting_invitees"] == timedelta(hours=24)
    # The monthly report waits for 06:00 on the 1st in each task force's own zone: checked every quarter hour.
    assert every["reports.tasks.schedule_monthly_reports"] == timedelta(minutes=15)
