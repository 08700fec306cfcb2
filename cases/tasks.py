import smtplib

from celery import shared_task

from . import attachments, lifecycle, notifications, person_record


@shared_task(autoretry_for=(OSError, smtplib.SMTPException), retry_backoff=30, retry_backoff_max=3600, max_retries=8)
def send_notification_email(notification_id: int) -> bool:
    """Email one referral notification; a second delivery sends nothing (``notification_email_send``). A mail server
    that is down or refuses is tried again, waiting longer each time (30 s doubling to an hour, eight tries: about
    two hours)."""
    return notifications.notification_email_send(notification_id=notification_id)


@shared_task
def resend_unsent_notification_emails() -> int:
    """Every 10 minutes: queue again the notification emails that were due and never sent (the broker was down when
    their referral changed): ``notifications.notification_emails_resend_unsent``."""
    return notifications.notification_emails_resend_unsent()


@shared_task
def mark_overdue_referrals() -> int:
    return lifecycle.referrals_mark_overdue()


@shared_task
def storage_orphans_delete() -> int:
    """Daily: remove attachment and consent files left without a row (cases/attachments.py says how)."""
    return len(attachments.storage_orphans_delete())


@shared_task
def build_person_record(job_id: int) -> bool:
    """Build one export of a person's record; a second delivery finds it claimed or finished and does nothing."""
    return person_record.person_record_build(job_id=job_id) is not None


@shared_task
def recover_stale_person_records() -> dict[str, list[int]]:
    """The beat's sweep for record exports whose worker was lost (``person_record.person_record_recover_stale``)."""
    return person_record.person_record_recover_stale()


@shared_task
def expire_person_record_files() -> int:
    """Hourly: the zips of record exports past their day are deleted (``person_record.person_record_files_expire``)."""
    return len(person_record.person_record_files_expire())
