from celery import shared_task

from . import services


@shared_task
def build_report(snapshot_id: int) -> bool:
    """Build one snapshot; a second delivery of the same message finds it claimed or done and does nothing."""
    from .rendering import renderers

    return services.report_build(snapshot_id=snapshot_id, renderers=renderers()) is not None


@shared_task
def recover_stale_reports() -> int:
    """Every 5 minutes: builds whose worker was lost are queued again, or marked failed once their attempts are
    used up (``reports_recover_stale``)."""
    result = services.reports_recover_stale()
    return len(result["queued"]) + len(result["failed"])


@shared_task
def schedule_monthly_reports() -> int:
    """Every 15 minutes: last month's report for each task force whose 1st-of-the-month 06:00 has come."""
    return len(services.reports_schedule_monthly())
