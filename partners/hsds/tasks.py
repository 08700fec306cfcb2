"""Celery tasks of the HSDS import: thin, idempotent wrappers around the services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def run_directory_import(import_id: int) -> bool:
    """Run one queued import; a second delivery (or a second worker) finds it taken and does nothing."""
    return services.directory_import_run(import_id=import_id)


@shared_task
def purge_directory_import_files() -> int:
    return services.purge_directory_import_files()
