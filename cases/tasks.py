from celery import shared_task

from . import attachments, lifecycle


@shared_task
def mark_overdue_referrals() -> int:
    return lifecycle.referrals_mark_overdue()


@shared_task
def storage_orphans_delete() -> int:
    """Daily: remove attachment and consent files left without a row (cases/attachments.py says how)."""
    return len(attachments.storage_orphans_delete())
