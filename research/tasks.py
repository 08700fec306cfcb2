from celery import shared_task

from . import services


@shared_task
def build_extract(extract_id: int) -> bool:
    """Build one extract; a second delivery finds it claimed or finished and does nothing."""
    return services.extract_build(extract_id=extract_id) is not None
