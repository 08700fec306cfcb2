"""Tasks are sent only when the transaction that asked for them commits (issue 3, item 10)."""

import pytest
from celery import shared_task
from django.db import transaction

from psn.tasks import enqueue_on_commit

SENT: list[int] = []


@shared_task(name="tests.record_sent")
def record_sent(value: int) -> None:
    SENT.append(value)


@pytest.fixture(autouse=True)
def _reset():
    SENT.clear()


@pytest.mark.django_db
def test_task_is_sent_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_on_commit(record_sent, 7)
        assert SENT == []  # not before the commit
    assert len(callbacks) == 1
    assert SENT == [7]


@pytest.mark.django_db(transaction=True)
def test_task_is_never_sent_when_the_transaction_rolls_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(record_sent, 8)
        raise RuntimeError("rolled back")
    assert SENT == []
