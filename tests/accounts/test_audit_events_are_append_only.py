"""Nobody edits or deletes audit events: not through the model, not through a queryset, and on PostgreSQL
not even with raw SQL."""

import pytest
from django.db import DatabaseError, connection, transaction

from psn import audit
from psn.models import AuditEvent


@pytest.fixture
def event(world):
    return audit.record(
        action="viewed", actor=world.user("coordinator"), task_force=world.tf, object_type="cases.person", object_id=7
    )


def _unchanged(event) -> bool:
    stored = AuditEvent.objects.get(pk=event.pk)
    return (stored.action, stored.object_id) == ("viewed", "7")


def test_saving_an_existing_event_is_refused(event):
    event.action = "deleted"

    with pytest.raises(PermissionError):
        event.save()
    assert _unchanged(event)


def test_deleting_an_event_is_refused(event):
    with pytest.raises(PermissionError):
        event.delete()
    assert _unchanged(event)


def test_queryset_update_and_delete_are_refused(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="deleted")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert _unchanged(event)


def test_bulk_update_is_refused(event):
    event.action = "deleted"

    # bulk_update runs in its own atomic block without a savepoint: give it one so the test can go on.
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert _unchanged(event)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE psn_auditevent SET action = 'deleted' WHERE id = %s", "DELETE FROM psn_auditevent WHERE id = %s"],
    ids=["update", "delete"],
)
def test_raw_sql_cannot_change_an_event_on_postgresql(event, statement):
    if connection.vendor == "postgresql":
        # The database's own trigger (migration psn 0002) refuses it.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    else:
        # SQLite (the embedded demo) has no trigger: the model-level guard is all there is.
        with pytest.raises(PermissionError):
            if statement.startswith("UPDATE"):
                AuditEvent.objects.filter(pk=event.pk).update(action="deleted")
            else:
                AuditEvent.objects.filter(pk=event.pk).delete()
    assert _unchanged(event)


def test_a_new_event_is_still_written(event):
    audit.record(action="viewed", object_type="cases.person", object_id=8)

    assert AuditEvent.objects.count() == 2
