from celery import shared_task

from . import reminders, services


@shared_task
def send_due_reminders() -> int:
    """Every minute (beat): send the due reminders, each once (meetings/reminders.py says how)."""
    return reminders.reminders_send_due()


@shared_task
def extend_meeting_series() -> int:
    """Daily (beat): make the running series' occurrences up to the horizon."""
    return services.series_extend_all()


@shared_task
def refresh_meeting_invitees() -> int:
    """Daily (beat): people who joined an invited partner are invited to its meetings ahead; those who left drop out."""
    return services.meetings_refresh_invitees()
