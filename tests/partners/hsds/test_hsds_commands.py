"""export_hsds and import_hsds (DESIGN.md "Fixed interfaces"): run as the system, the same services as the
pages; the import prints its line-by-line report and counts and fails (non-zero exit) when refused."""

import io
import json
import uuid
import zipfile

import pytest
from django.core.management import CommandError, call_command

from partners.models import Partner, Service, TaskForce
from psn.models import AuditEvent

from ...factories import ServiceFactory, TaskForceFactory

ORG = str(uuid.UUID(int=301))
SVC = str(uuid.UUID(int=302))
DOCUMENT = {
    "organizations": [{"id": ORG, "name": "Eastside Legal Aid", "description": "Free legal help."}],
    "services": [{"id": SVC, "name": "Record expungement", "status": "active", "organization_id": ORG}],
}


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def document_path(tmp_path):
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(DOCUMENT))
    return path


@pytest.mark.django_db
def test_export_json_to_a_file_and_to_stdout(world, tmp_path):
    ServiceFactory(partner=world.receiving, name="Mentoring Circle")
    target = tmp_path / "out.json"
    run("export_hsds", "--task-force", "wdt", "--format", "json", "--output", str(target))
    document = json.loads(target.read_text())
    assert "Workforce Center" in {o["name"] for o in document["organizations"]}
    assert json.loads(run("export_hsds", "--task-force", "wdt", "--output", "-")) == document
    # Run as the system: audited without an actor.
    event = AuditEvent.objects.filter(action="exported").first()
    assert (event.actor, event.task_force) == (None, world.tf)


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["zip", "csv"])
def test_export_the_csv_package(world, tmp_path, file_format):
    target = tmp_path / "out.zip"
    run("export_hsds", "--task-force", "wdt", "--format", file_format, "--out", str(target))
    assert {"datapackage.json", "organizations.csv"} <= set(zipfile.ZipFile(target).namelist())


@pytest.mark.django_db
def test_export_refuses_a_zip_on_stdout_and_an_unknown_task_force(world):
    with pytest.raises(CommandError, match="Only the JSON form goes to stdout"):
        run("export_hsds", "--task-force", "wdt", "--format", "zip", "--output", "-")
    with pytest.raises(CommandError, match="No task force with the slug 'nope'"):
        run("export_hsds", "--task-force", "nope", "--output", "-")


@pytest.mark.django_db
def test_import_dry_run_prints_counts_and_writes_nothing(world, document_path):
    output = run("import_hsds", str(document_path), "--task-force", "wdt", "--dry-run")
    assert "organization" in output and "Dry run: the file can be imported; nothing was written." in output
    line = next(line for line in output.splitlines() if line.startswith("organization "))
    assert line.split() == ["organization", "1", "0", "0"]
    assert not Partner.objects.filter(name="Eastside Legal Aid").exists()


@pytest.mark.django_db
def test_import_writes_and_again_updates_nothing_twice(world, document_path):
    assert "Imported." in run("import_hsds", str(document_path), "--task-force", "wdt")
    second = run("import_hsds", str(document_path), "--task-force", "wdt")
    line = next(line for line in second.splitlines() if line.startswith("organization "))
    assert line.split() == ["organization", "0", "0", "1"]
    assert Partner.objects.filter(task_force=world.tf, name="Eastside Legal Aid").count() == 1
    assert Service.objects.filter(task_force=world.tf, name="Record expungement").count() == 1


@pytest.mark.django_db
def test_a_refused_import_prints_the_report_and_exits_non_zero(world, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"services": [\n  {"id": "s1",}\n]}')
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"Refused: 1 problem\(s\); nothing was imported."):
        call_command("import_hsds", str(bad), "--task-force", "wdt", stdout=out)
    assert out.getvalue().splitlines() == [
        "ERROR   bad.json:2: bad.json is not valid JSON: Expecting property name enclosed in double quotes "
        "(line 2, column 15)."
    ]


@pytest.mark.django_db
def test_a_refused_import_writes_nothing(world, tmp_path):
    partners, services = Partner.objects.count(), Service.objects.count()
    bad = tmp_path / "bad.json"
    document = json.loads(json.dumps(DOCUMENT))
    document["services"].append(
        {"id": str(uuid.UUID(int=303)), "name": "Orphan", "status": "active", "organization_id": "missing"}
    )
    bad.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="Refused"):
        run("import_hsds", str(bad), "--task-force", "wdt")
    assert (Partner.objects.count(), Service.objects.count()) == (partners, services)


@pytest.mark.django_db
def test_import_refuses_an_unknown_task_force(document_path):
    with pytest.raises(CommandError, match="No task force"):
        run("import_hsds", str(document_path), "--task-force", "nope")


@pytest.mark.django_db
def test_round_trip_through_a_package_folder(world, tmp_path):
    ServiceFactory(partner=world.receiving, name="Mentoring Circle")
    package = tmp_path / "package.zip"
    run("export_hsds", "--task-force", "wdt", "--format", "zip", "--output", str(package))
    folder = tmp_path / "package"
    zipfile.ZipFile(package).extractall(folder)
    empty = TaskForceFactory(name="Round Trip", slug="round-trip")

    run("import_hsds", str(folder), "--task-force", "round-trip")

    assert set(Partner.objects.filter(task_force=empty).values_list("name", flat=True)) == set(
        Partner.objects.filter(task_force=world.tf).values_list("name", flat=True)
    )
    assert Service.objects.filter(task_force=empty, name="Mentoring Circle").exists()
    assert TaskForce.objects.count() == 3


@pytest.mark.django_db
def test_import_of_a_missing_path_is_refused_with_the_reason(world, tmp_path):
    out = io.StringIO()
    with pytest.raises(CommandError, match="Refused: 1 problem"):
        call_command("import_hsds", str(tmp_path / "nothing.json"), "--task-force", "wdt", stdout=out)
    assert out.getvalue().strip() == "ERROR   nothing.json: The file cannot be read: No such file or directory"
