from celery import shared_task

from . import services


@shared_task
def build_extract(extract_id: int) -> bool:
    """Build one extract; a second delivery finds it claimed or finished and does nothing."""
    return services.extract_build(extract_id=extract_id) is not None


@shared_task
def recover_stale_extracts() -> dict[str, list[int]]:
    """The beat's sweep for builds whose worker was lost (research/services.py)."""
    return services.extracts_recover_stale()


@shared_task
def expire_extract_files() -> int:
    """Daily: extract zips (and keys) of grants ended or revoked more than 30 days ago are deleted."""
    return len(services.extracts_files_expire())
