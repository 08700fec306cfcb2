"""/api/v1/hsds/: upload an import or a dry run (multipart), follow it, confirm a preview, export (issue 4, item 8)."""

import io
import json
import uuid
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import ApiToken
from partners.models import DirectoryImport, Partner
from psn.models import AuditEvent

ORG = str(uuid.UUID(int=201))
SVC = str(uuid.UUID(int=202))
DOCUMENT = {
    "organizations": [{"id": ORG, "name": "Riverside Housing", "description": "Rental help."}],
    "services": [{"id": SVC, "name": "Rental help", "status": "active", "organization_id": ORG}],
}
IMPORTS = "/api/v1/hsds/imports/"


def upload(document=DOCUMENT, name="directory.json") -> SimpleUploadedFile:
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return SimpleUploadedFile(name, content, content_type="application/json")


@pytest.fixture
def api(client_for):
    return client_for("coordinator")


@pytest.mark.django_db
def test_upload_is_a_dry_run_by_default_then_confirm_imports(world, api):
    response = api.post(IMPORTS, {"file": upload()})
    assert response.status_code == 201, response.json()
    preview = response.json()
    assert (preview["status"], preview["dry_run"], preview["confirmable"]) == ("done", True, True)
    assert preview["summary"]["organization"] == {"created": 1, "updated": 0, "unchanged": 0}
    assert preview["problems"] == []
    assert preview["created_by"] == "coordinator@example.org"
    assert not Partner.objects.filter(name="Riverside Housing").exists()

    confirmed = api.post(f"{IMPORTS}{preview['id']}/confirm/")
    assert confirmed.status_code == 201
    assert (confirmed.json()["status"], confirmed.json()["dry_run"]) == ("done", False)
    assert Partner.objects.filter(task_force=world.tf, name="Riverside Housing").count() == 1

    again = api.post(f"{IMPORTS}{preview['id']}/confirm/")
    assert again.status_code == 400
    assert again.json()["errors"] == {
        "non_field_errors": ["This preview was already imported or has expired; upload the file again."]
    }
    assert DirectoryImport.objects.count() == 2


@pytest.mark.django_db
def test_a_direct_import_without_dry_run(world, api):
    response = api.post(IMPORTS, {"file": upload(), "dry_run": "false"})
    assert response.status_code == 201
    assert response.json()["dry_run"] is False
    assert Partner.objects.filter(name="Riverside Housing").count() == 1


@pytest.mark.django_db
def test_a_refused_file_comes_back_with_its_line_by_line_report(world, api):
    partners = Partner.objects.count()
    bad = {"services": [{"id": SVC, "name": "Rental help", "status": "active", "organization_id": "nope"}]}
    body = api.post(IMPORTS, {"file": upload(bad), "dry_run": "false"}).json()
    assert body["status"] == "failed"
    assert body["error"].endswith("nothing was imported.")
    assert body["confirmable"] is False
    assert all(set(problem) == {"file", "row", "field", "message", "severity"} for problem in body["problems"])
    assert any(problem["field"] == "organization_id" for problem in body["problems"])
    assert Partner.objects.count() == partners
    refused = api.post(f"{IMPORTS}{body['id']}/confirm/")
    assert refused.status_code == 400


@pytest.mark.django_db
def test_a_hostile_file_is_a_report_not_a_500(api):
    body = api.post(IMPORTS, {"file": upload(b"[" * 100_000 + b"]" * 100_000)}).json()
    assert body["status"] == "failed"
    assert body["problems"] == [
        {
            "file": "directory.json",
            "row": None,
            "field": None,
            "message": "directory.json is nested too deeply (more than 32 levels).",
            "severity": "error",
        }
    ]


@pytest.mark.django_db
def test_a_large_file_is_accepted_and_run_by_a_worker(api, settings, django_capture_on_commit_callbacks):
    settings.PSN_HSDS_INLINE_MAX_BYTES = 10
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(IMPORTS, {"file": upload()})
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    # The eager "worker" ran it once the upload committed.
    assert api.get(f"{IMPORTS}{response.json()['id']}/").json()["status"] == "done"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "kwargs", "errors"),
    [
        ({"dry_run": True}, {"content_type": "application/json"}, {"file": ["No file was submitted."]}),
        (
            {"file": SimpleUploadedFile("d.csv", b"id\n")},
            {},
            {"file": ["Choose a .json file (HSDS JSON) or a .zip file (HSDS CSV package)."]},
        ),
        ({"file": SimpleUploadedFile("d.json", b"")}, {}, {"file": ["The submitted file is empty."]}),
        ({"file": upload(), "dry_run": "maybe"}, {}, {"dry_run": ["Must be a valid boolean."]}),
    ],
)
def test_bad_uploads_are_400_with_reasons(api, data, kwargs, errors):
    response = api.post(IMPORTS, data, **kwargs)
    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert DirectoryImport.objects.count() == 0


@pytest.mark.django_db
def test_upload_over_the_limit_is_400_naming_the_limit(api, settings):
    settings.PSN_HSDS_MAX_UPLOAD_BYTES = 1024 * 1024
    response = api.post(IMPORTS, {"file": upload(b" " * (1024 * 1024 + 1))})
    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["The file is larger than the limit of 1 MB."]}


@pytest.mark.django_db
def test_list_leaves_out_the_report_and_detail_has_it(world, api):
    api.post(IMPORTS, {"file": upload({"services": [{"id": "x"}]})})
    listed = api.get(IMPORTS).json()
    assert listed["count"] == 1
    assert "problems" not in listed["results"][0]
    detail = api.get(f"{IMPORTS}{listed['results'][0]['id']}/").json()
    assert detail["problems"]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 20])
def test_list_takes_a_constant_number_of_queries(world, api, count, django_assert_num_queries):
    DirectoryImport.objects.bulk_create(
        [
            DirectoryImport(
                task_force=world.tf,
                created_by=world.user("coordinator"),
                original_name=f"f{i}.json",
                file_format="json",
                status="done",
            )
            for i in range(count)
        ]
    )
    # session, user, actor memberships, count, the page of imports with their uploader
    with django_assert_num_queries(5):
        response = api.get(IMPORTS)
    assert response.json()["count"] == count


@pytest.mark.django_db
def test_imports_of_another_task_force_are_404(world, client_for):
    other = DirectoryImport.objects.create(
        task_force=world.other_tf, original_name="x.json", file_format="json", status="done", dry_run=True
    )
    api = client_for("coordinator")
    assert api.get(f"{IMPORTS}{other.pk}/").status_code == 404
    assert api.post(f"{IMPORTS}{other.pk}/confirm/").status_code == 404
    assert api.get(IMPORTS).json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["receiving_partner_admin", "sending_member"])
def test_members_who_are_not_coordinators_get_403_audited(client_for, key):
    client = client_for(key)
    before = AuditEvent.objects.filter(action="permission_denied").count()
    assert client.post(IMPORTS, {"file": upload()}).status_code == 403
    assert client.get(IMPORTS).status_code == 403
    assert client.get("/api/v1/hsds/export/").status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied").count() == before + 3
    assert DirectoryImport.objects.count() == 0


@pytest.mark.django_db
def test_export_json_and_zip(world, api):
    as_json = api.get("/api/v1/hsds/export/?format=json")
    assert as_json.status_code == 200 and as_json["Content-Type"] == "application/json"
    assert as_json["Content-Disposition"].startswith('attachment; filename="wdt-hsds-')
    assert "Workforce Center" in {o["name"] for o in json.loads(as_json.content)["organizations"]}
    default = api.get("/api/v1/hsds/export/")
    assert default["Content-Type"] == "application/json"
    as_zip = api.get("/api/v1/hsds/export/?format=zip")
    assert as_zip.status_code == 200 and as_zip["Content-Type"] == "application/zip"
    assert "datapackage.json" in zipfile.ZipFile(io.BytesIO(as_zip.content)).namelist()
    assert AuditEvent.objects.filter(action="exported").count() == 3


@pytest.mark.django_db
def test_export_of_an_unknown_format_is_400(api):
    response = api.get("/api/v1/hsds/export/?format=xml")
    assert response.status_code == 400
    assert response.json()["errors"] == {"format": ['"xml" is not a valid choice.']}


@pytest.mark.django_db
def test_a_bearer_token_can_upload(world, client):
    from accounts.services import api_token_create

    token, secret = api_token_create(user=world.user("coordinator"), name="import", expires_in_days=1)
    assert isinstance(token, ApiToken)
    response = client.post(
        IMPORTS,
        {"file": upload()},
        headers={"Authorization": f"Bearer {secret}", "X-Task-Force": "wdt"},
    )
    assert response.status_code == 201
    assert response.json()["confirmable"] is True
