"""Enqueueing helpers shared by every app's services."""

from functools import partial

from django.db import transaction


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task`` only once the surrounding transaction commits, so a worker never sees a row that
    was rolled back or not yet visible. Outside a transaction it is sent at once."""
    transaction.on_commit(partial(task.delay, *args, **kwargs))
