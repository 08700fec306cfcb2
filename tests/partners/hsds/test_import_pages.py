"""The HSDS import pages (issue 4, item 6): upload with a dry run by default, the line-by-line report, the
progress bar fed by a JSON status, and "Import now" after a clean preview."""

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from partners.models import DirectoryImport, Partner, Service
from psn.models import AuditEvent

from ...factories import UserFactory

ORG = str(uuid.UUID(int=101))
SVC = str(uuid.UUID(int=102))
DOCUMENT = {
    "organizations": [{"id": ORG, "name": "Northland Mentors", "description": "Mentoring for young adults."}],
    "services": [{"id": SVC, "name": "Mentoring circle", "status": "active", "organization_id": ORG}],
}
BROKEN = {
    "organizations": [{"id": ORG, "name": "Northland Mentors", "description": "x"}],
    "services": [{"id": SVC, "name": "Orphan", "status": "active", "organization_id": str(uuid.UUID(int=999))}],
}


def upload(name: str = "directory.json", document=DOCUMENT) -> SimpleUploadedFile:
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return SimpleUploadedFile(name, content, content_type="application/json")


@pytest.fixture
def coordinator(client_for):
    return client_for("coordinator")


@pytest.mark.django_db
def test_upload_is_a_dry_run_by_default_and_writes_nothing(world, coordinator):
    page = coordinator.get(reverse("hsds:index"))
    assert page.status_code == 200
    assert 'name="dry_run"' in page.text and "checked" in page.text.split('name="dry_run"')[1].split(">")[0]
    partners = Partner.objects.count()

    response = coordinator.post(reverse("hsds:index"), {"file": upload(), "dry_run": "on"})

    preview = DirectoryImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hsds:import_detail", kwargs={"pk": preview.pk})
    assert (preview.status, preview.dry_run, preview.created_by) == ("done", True, world.user("coordinator"))
    assert preview.summary["organization"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert Partner.objects.count() == partners
    assert preview.file  # kept for "Import now"
    detail = coordinator.get(response["Location"])
    assert "Import now" in detail.text
    assert reverse("hsds:import_confirm", kwargs={"pk": preview.pk}) in detail.text
    assert "<progress" not in detail.text  # finished: no bar, no polling
    assert "progress.js" not in detail.text


@pytest.mark.django_db
def test_preview_then_confirm_imports_once(world, coordinator):
    coordinator.post(reverse("hsds:index"), {"file": upload(), "dry_run": "on"})
    preview = DirectoryImport.objects.get()

    response = coordinator.post(reverse("hsds:import_confirm", kwargs={"pk": preview.pk}))

    done = DirectoryImport.objects.exclude(pk=preview.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hsds:import_detail", kwargs={"pk": done.pk})
    assert (done.status, done.dry_run, done.original_name) == ("done", False, "directory.json")
    assert Partner.objects.filter(task_force=world.tf, name="Northland Mentors").count() == 1
    assert Service.objects.filter(task_force=world.tf, name="Mentoring circle").count() == 1
    preview.refresh_from_db()
    assert not preview.file and not done.file  # the file is gone once imported
    # A second "Import now" of the same preview is refused, and imports nothing more.
    again = coordinator.post(reverse("hsds:import_confirm", kwargs={"pk": preview.pk}))
    assert again.status_code == 400
    assert "already imported or has expired" in again.text
    assert DirectoryImport.objects.count() == 2
    assert Partner.objects.filter(name="Northland Mentors").count() == 1


@pytest.mark.django_db
def test_importing_the_same_file_again_updates_and_never_duplicates(world, coordinator):
    coordinator.post(reverse("hsds:index"), {"file": upload()})  # dry_run unchecked: a real import
    coordinator.post(reverse("hsds:index"), {"file": upload()})
    first, second = DirectoryImport.objects.order_by("pk")
    assert first.summary["organization"]["created"] == 1
    assert second.summary["organization"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert Partner.objects.filter(name="Northland Mentors").count() == 1


@pytest.mark.django_db
def test_a_bad_file_shows_the_line_by_line_report_and_no_import_button(world, coordinator):
    partners = Partner.objects.count()
    response = coordinator.post(reverse("hsds:index"), {"file": upload(document=BROKEN), "dry_run": "on"}, follow=True)
    directory_import = DirectoryImport.objects.get()
    assert directory_import.status == "failed"
    assert directory_import.error.endswith("nothing was imported.")
    problem = next(p for p in directory_import.problems if p["severity"] == "error")
    assert problem["field"] == "organization_id"
    assert "<table>" in response.text and escape(problem["message"]) in response.text
    assert "Import now" not in response.text
    assert Partner.objects.count() == partners
    # Confirming a refused preview is a 400 with the reason.
    refused = coordinator.post(reverse("hsds:import_confirm", kwargs={"pk": directory_import.pk}))
    assert refused.status_code == 400
    assert "Only a successful preview" in refused.text


@pytest.mark.django_db
def test_a_hostile_file_is_reported_on_the_page(coordinator):
    response = coordinator.post(reverse("hsds:index"), {"file": upload(document=b'{"services": [}')}, follow=True)
    assert response.status_code == 200
    assert "directory.json is not valid JSON" in response.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "This field is required."),
        ({"file": SimpleUploadedFile("d.txt", b"x")}, "Choose a .json file"),
        ({"file": SimpleUploadedFile("d.json", b"")}, "The submitted file is empty."),
    ],
)
def test_upload_form_errors_are_a_400_next_to_the_form(coordinator, data, message):
    response = coordinator.post(reverse("hsds:index"), data)
    assert response.status_code == 400
    assert message in response.text
    assert DirectoryImport.objects.count() == 0


@pytest.mark.django_db
def test_upload_over_the_limit_says_the_limit(coordinator, settings):
    settings.PSN_HSDS_MAX_UPLOAD_BYTES = 1024 * 1024
    response = coordinator.post(reverse("hsds:index"), {"file": upload(document=b" " * (1024 * 1024 + 1))})
    assert response.status_code == 400
    assert "larger than the limit of 1 MB" in response.text
    assert DirectoryImport.objects.count() == 0


@pytest.mark.django_db
def test_a_large_file_goes_to_the_worker_with_a_progress_bar(coordinator, settings, django_capture_on_commit_callbacks):
    settings.PSN_HSDS_INLINE_MAX_BYTES = 10
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = coordinator.post(reverse("hsds:index"), {"file": upload(), "dry_run": "on"})
    queued = DirectoryImport.objects.get()
    assert queued.status == "queued" and len(callbacks) == 1
    detail = coordinator.get(response["Location"])
    status_url = reverse("hsds:import_status", kwargs={"pk": queued.pk})
    assert f'data-import-status-url="{status_url}"' in detail.text
    assert '<progress id="import-progress" max="100" value="0">' in detail.text
    assert "js/progress.js" in detail.text and '<meta http-equiv="refresh"' in detail.text
    assert coordinator.get(status_url).json() == {
        "status": "queued",
        "status_display": "Queued",
        "progress": 0,
        "stage": "",
        "finished": False,
        "url": reverse("hsds:import_detail", kwargs={"pk": queued.pk}),
    }

    callbacks[0]()  # the worker (eager in tests) runs it

    status = coordinator.get(status_url).json()
    assert (status["status"], status["progress"], status["finished"]) == ("done", 100, True)


@pytest.mark.django_db
def test_members_and_partner_admins_get_403_and_it_is_audited(world, client_for):
    client = client_for("receiving_partner_admin")
    before = AuditEvent.objects.filter(action="permission_denied").count()
    assert client.get(reverse("hsds:index")).status_code == 403
    assert client.post(reverse("hsds:index"), {"file": upload()}).status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied").count() == before + 2
    assert DirectoryImport.objects.count() == 0


@pytest.mark.django_db
def test_the_upload_is_audited(world, coordinator):
    coordinator.post(reverse("hsds:index"), {"file": upload(), "dry_run": "on"})
    directory_import = DirectoryImport.objects.get()
    assert AuditEvent.objects.filter(
        action="created", object_type="partners.directoryimport", object_id=str(directory_import.pk)
    ).exists()


@pytest.mark.django_db
def test_partner_list_links_coordinators_to_the_hsds_page(client_for):
    link = reverse("hsds:index")
    assert link in client_for("coordinator").get(reverse("partners:partner_list")).text
    assert link not in client_for("receiving_partner_admin").get(reverse("partners:partner_list")).text


def _imports(world, count: int) -> None:
    other = UserFactory(email=f"importer{count}@example.org")
    DirectoryImport.objects.bulk_create(
        [
            DirectoryImport(
                task_force=world.tf,
                created_by=other if i % 2 else world.user("coordinator"),
                original_name=f"file{i}.json",
                file_format="json",
                size=10,
                status="done",
                problems=[{"file": "x", "row": 1, "field": None, "message": "m" * 100, "severity": "warning"}] * 50,
            )
            for i in range(count)
        ]
    )


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 15])
def test_the_imports_list_page_takes_a_constant_number_of_queries(world, coordinator, count, django_assert_num_queries):
    _imports(world, count)
    coordinator.get(reverse("hsds:index"))  # warm the session
    # session, user, actor (memberships), the imports with their uploader (one query, no problems column)
    with django_assert_num_queries(4):
        response = coordinator.get(reverse("hsds:index"))
    assert response.text.count("file") >= count
