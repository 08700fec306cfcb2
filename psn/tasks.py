"""Enqueueing helpers shared by every app's services."""

import logging

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

logger = logging.getLogger(__name__)


def _send(task, args, kwargs) -> None:
    try:
        task.delay(*args, **kwargs)
    except (BrokerUnavailable, OSError):
        # The broker (Redis) is down. The change that asked for the task is committed and must be answered as
        # done, never as a 500 that invites the user to do it again; the error names what was not sent.
        logger.exception("broker unavailable: task %s%r not sent", task.name, tuple(args))


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task`` only once the surrounding transaction commits, so a worker never sees a row that
    was rolled back or not yet visible. Outside a transaction it is sent at once. A broker that is down is
    logged, never raised: the transaction has committed by then."""
    transaction.on_commit(lambda: _send(task, args, kwargs))
