from celery import shared_task

from . import lifecycle


@shared_task
def mark_overdue_referrals() -> int:
    return lifecycle.referrals_mark_overdue()
