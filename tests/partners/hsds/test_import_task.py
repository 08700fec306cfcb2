"""The import task (issue 4, item 6, "large imports run as a Celery task"): idempotent, one run per import even
when two workers race, progress stored as it goes, a failure stored with its reason, files cleaned up."""

import json
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from partners.hsds import services, tasks
from partners.models import DirectoryImport, Partner
from psn import access
from psn.celery import app as celery_app
from psn.models import AuditEvent

from ...test_celery_worker import _wait_for, worker  # noqa: F401 - the fixture

ORG = str(uuid.UUID(int=401))
DOCUMENT = {"organizations": [{"id": ORG, "name": "Harbor Youth Center", "description": "Drop-in center."}]}


def queued_import(world, *, dry_run=False, document=DOCUMENT, **fields) -> DirectoryImport:
    content = json.dumps(document).encode()
    directory_import = DirectoryImport(
        task_force=world.tf,
        created_by=world.user("coordinator"),
        original_name="directory.json",
        file_format="json",
        size=len(content),
        dry_run=dry_run,
        **fields,
    )
    directory_import.file.save(f"{uuid.uuid4().hex}.json", ContentFile(content), save=False)
    directory_import.save()
    return directory_import


def imported_events() -> int:
    return AuditEvent.objects.filter(task_force__isnull=False, object_type="partners.directory").count()


@pytest.mark.django_db
def test_the_task_runs_an_import_once_and_a_second_run_does_nothing(world):
    directory_import = queued_import(world)

    assert tasks.run_directory_import(directory_import.pk) is True
    directory_import.refresh_from_db()
    assert (directory_import.status, directory_import.progress, directory_import.error) == ("done", 100, "")
    assert directory_import.started_at and directory_import.finished_at
    assert not directory_import.file
    assert Partner.objects.filter(name="Harbor Youth Center").count() == 1
    events = imported_events()

    assert tasks.run_directory_import(directory_import.pk) is False
    again = DirectoryImport.objects.get(pk=directory_import.pk)
    assert (again.status, again.finished_at) == ("done", directory_import.finished_at)
    assert imported_events() == events
    assert Partner.objects.filter(name="Harbor Youth Center").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["done", "failed"])
def test_a_finished_import_is_never_run_again(world, status):
    directory_import = queued_import(world, status=status)
    assert services.directory_import_run(import_id=directory_import.pk) is False
    assert not Partner.objects.filter(name="Harbor Youth Center").exists()


@pytest.mark.django_db
def test_a_running_import_is_left_to_its_worker_unless_it_went_stale(world):
    running = queued_import(world, status="running", started_at=timezone.now())
    assert services.directory_import_run(import_id=running.pk) is False
    # A worker that died mid-run wrote nothing (one transaction): a redelivered task takes it over.
    stale = queued_import(world, status="running", started_at=timezone.now() - timedelta(hours=1))
    assert services.directory_import_run(import_id=stale.pk) is True
    stale.refresh_from_db()
    assert stale.status == "done"


@pytest.mark.django_db
def test_a_failure_is_stored_with_a_reason_and_the_file_removed(world):
    directory_import = queued_import(world)
    directory_import.file.storage.delete(directory_import.file.name)  # the stored file vanished

    assert services.directory_import_run(import_id=directory_import.pk) is True

    directory_import.refresh_from_db()
    assert directory_import.status == "failed"
    assert directory_import.error == "An unexpected error stopped the import; nothing was imported."
    assert not directory_import.file


@pytest.mark.django_db
def test_a_refused_file_is_failed_with_the_report_and_its_file_deleted(world):
    directory_import = queued_import(world, document={"organizations": [{"id": "not-a-uuid", "name": "X"}]})
    storage, name = directory_import.file.storage, directory_import.file.name
    services.directory_import_run(import_id=directory_import.pk)
    directory_import.refresh_from_db()
    assert directory_import.status == "failed"
    assert directory_import.error.endswith("problem(s) found; nothing was imported.")
    assert directory_import.problems and all(p["file"] == "directory.json" for p in directory_import.problems)
    assert not storage.exists(name)


@pytest.mark.django_db
def test_a_successful_preview_keeps_its_file_for_a_day(world):
    preview = queued_import(world, dry_run=True)
    services.directory_import_run(import_id=preview.pk)
    preview.refresh_from_db()
    assert preview.status == "done" and preview.file
    assert services.directory_import_confirmable(preview)
    name = preview.file.name

    assert services.purge_directory_import_files() == 0  # not yet a day old
    DirectoryImport.objects.filter(pk=preview.pk).update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    preview.refresh_from_db()
    assert not services.directory_import_confirmable(preview)
    actor = access.actor_for(world.user("coordinator"))
    with pytest.raises(services.ValidationError, match="expired"):
        services.directory_import_confirm(actor=actor, import_id=preview.pk)

    assert tasks.purge_directory_import_files() == 1
    preview.refresh_from_db()
    assert not preview.file and not preview.file.storage.exists(name)


@pytest.mark.django_db
def test_progress_is_written_as_it_goes_and_throttled(world):
    directory_import = queued_import(world, status="running")
    progress = services._Progress(directory_import.pk)
    progress(5, 10)  # the importer's (done, total)
    directory_import.refresh_from_db()
    assert directory_import.progress == services.READ_SHARE + (99 - services.READ_SHARE) // 2
    for done in range(6, 10):
        progress(done, 10)
    directory_import.refresh_from_db()
    # Within half a second of the last write nothing more was written.
    assert directory_import.progress == services.READ_SHARE + (99 - services.READ_SHARE) // 2
    progress.update(stage="Writing")  # a new stage is always shown
    directory_import.refresh_from_db()
    assert directory_import.stage == "Writing"


@pytest.mark.django_db
def test_the_upload_enqueues_large_files_on_commit(world, settings, django_capture_on_commit_callbacks):
    settings.PSN_HSDS_INLINE_MAX_BYTES = 10
    from django.core.files.uploadedfile import SimpleUploadedFile

    actor = access.actor_for(world.user("coordinator"))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        directory_import = services.directory_import_start(
            actor=actor, uploaded_file=SimpleUploadedFile("d.json", json.dumps(DOCUMENT).encode()), dry_run=False
        )
    assert directory_import.status == "queued"  # as returned: the worker had not run yet
    assert len(callbacks) == 1
    directory_import.refresh_from_db()
    assert directory_import.status == "done"
    assert Partner.objects.filter(name="Harbor Youth Center").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_one_does_the_work(world):
    directory_import = queued_import(world)
    barrier = threading.Barrier(2)
    results = []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(services.directory_import_run(import_id=directory_import.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [False, True]
    assert DirectoryImport.objects.get(pk=directory_import.pk).status == "done"
    assert Partner.objects.filter(name="Harbor Youth Center").count() == 1
    assert imported_events() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_import_once_when_the_task_is_sent_twice(world, worker):  # noqa: F811
    directory_import = queued_import(world)
    celery_app.send_task("partners.hsds.tasks.run_directory_import", args=[directory_import.pk])
    celery_app.send_task("partners.hsds.tasks.run_directory_import", args=[directory_import.pk])

    assert _wait_for(lambda: DirectoryImport.objects.get(pk=directory_import.pk).status == "done"), (
        "the worker never ran the import"
    )
    assert _wait_for(lambda: imported_events() >= 1)
    time.sleep(2)  # the second message is consumed too, and changes nothing
    assert imported_events() == 1
    assert Partner.objects.filter(name="Harbor Youth Center").count() == 1
    assert worker.poll() is None, "the worker died"


@pytest.mark.django_db(transaction=True)
def test_progress_written_inside_the_importers_transaction_is_visible_at_once(world):
    """The importer writes in one transaction; the bar must move meanwhile, so progress goes through a
    connection of its own (PostgreSQL; SQLite has one writer at a time and shows the stages between)."""
    if connection.vendor != "postgresql":
        pytest.skip("a second writer during a write transaction needs PostgreSQL")
    directory_import = queued_import(world, status="running")
    progress = services._Progress(directory_import.pk)
    try:
        with transaction.atomic():
            progress(30, 60)
            # Committed by the other connection: this one reads it inside its own open transaction.
            assert DirectoryImport.objects.get(pk=directory_import.pk).progress == 54
            transaction.set_rollback(True)
    finally:
        progress.close()
    assert DirectoryImport.objects.get(pk=directory_import.pk).progress == 54
