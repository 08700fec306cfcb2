from celery import shared_task

from . import services


@shared_task
def disable_dormant_accounts() -> int:
    return services.users_disable_dormant()
