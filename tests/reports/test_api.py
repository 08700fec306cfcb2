"""/api/v1/reports/ (coordinators: list, both versions, request, progress, retry, CSV and PDF downloads) and
/api/v1/crime-counts/ (coordinators and the police partner's staff: list, CSV upload): the same services and rules as
the pages, 400 with a reason for bad input, 403 without the right, 404 across task forces, pinned query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.models import PartnerKind
from psn.models import AuditEvent
from reports import crime, rendering, services
from reports.models import CrimeCount, CrimeCountUpload, ReportSnapshot, ReportStatus
from tests.factories import PartnerFactory
from tests.meetings.support import actor

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2026, 9, 1)
REPORTS = "/api/v1/reports/"
COUNTS = "/api/v1/crime-counts/"
UPLOAD = "/api/v1/crime-counts/upload/"
GOOD = "month,offense,count\n2026-08,homicide,2\n2026-08,robbery,40\n2026-09,homicide,3\n"
NON_COORDINATORS = ["sending_member", "sending_referral_staff", "receiving_partner_admin", "outsider_member"]


def _done(task_force, month=MONTH, *, pdf: bool = False):
    """A built snapshot: its CSV files, and its PDFs when asked (and the PDF renderer exists; it takes seconds)."""
    snapshot = services.report_queue(task_force=task_force, month=month, enqueue=False)
    return services.report_build(snapshot_id=snapshot.pk, renderers=rendering.renderers() if pdf else {})


def _failed(task_force, month=MONTH) -> ReportSnapshot:
    snapshot = services.report_queue(task_force=task_force, month=month, enqueue=False)
    ReportSnapshot.objects.filter(pk=snapshot.pk).update(status=ReportStatus.FAILED, error="OSError: disk full")
    return ReportSnapshot.objects.get(pk=snapshot.pk)


def _file(content: str, name: str = "counts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), "text/csv")


@pytest.fixture
def done(world):
    return _done(world.tf)


# --- Reports ----------------------------------------------------------------------------------------------------


def test_a_coordinator_lists_the_reports_of_their_task_force_without_numbers(client_for, world, done):
    queued = services.report_queue(task_force=world.tf, month=datetime.date(2026, 10, 1), enqueue=False)
    _done(world.other_tf)

    response = client_for("coordinator").get(REPORTS)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["id"], row["month"], row["status"]) for row in rows] == [
        (queued.pk, "2026-10", "queued"),
        (done.pk, "2026-09", "done"),
    ]
    assert "numbers" not in rows[0]
    assert rows[1]["progress_url"] == f"/api/v1/reports/{done.pk}/progress/"


def test_the_list_filters_by_month_and_status_and_refuses_bad_filters(client_for, world, done):
    services.report_queue(task_force=world.tf, month=MONTH, enqueue=False)
    services.report_queue(task_force=world.tf, month=datetime.date(2026, 8, 1), enqueue=False)
    client = client_for("coordinator")

    def ids(query):
        return [row["id"] for row in client.get(f"{REPORTS}?{query}").json()["results"]]

    assert len(ids("month=2026-09")) == 2
    assert ids("month=2026-09&status=done") == [done.pk]
    assert len(ids("status=queued")) == 2
    for query in ("month=2026-13", "month=september", "status=lost"):
        response = client.get(f"{REPORTS}?{query}")
        assert response.status_code == 400, query
        assert response.json()["code"] == "invalid"


def test_the_list_reads_a_constant_number_of_queries(client_for, world, django_assert_num_queries):
    client = client_for("coordinator")
    services.report_queue(task_force=world.tf, month=MONTH, enqueue=False)

    # session, user, actor's memberships; the page's count; the snapshots with who generated them.
    with django_assert_num_queries(5):
        assert client.get(REPORTS).status_code == 200
    for month in range(1, 9):
        services.report_request(actor=actor(world, "coordinator"), month=datetime.date(2026, month, 1))
    with django_assert_num_queries(5):
        assert len(client.get(REPORTS).json()["results"]) == 9


@pytest.mark.parametrize("key", NON_COORDINATORS)
def test_only_coordinators_use_the_reports_endpoints(client_for, done, key):
    client = client_for(key)
    denials = AuditEvent.objects.filter(action="permission_denied").count()

    for path in (REPORTS, f"{REPORTS}{done.pk}/", f"{REPORTS}{done.pk}/progress/", f"{REPORTS}{done.pk}/csv/"):
        assert client.get(path).status_code == 403, path
    assert client.post(REPORTS, {"month": "2026-09"}, content_type="application/json").status_code == 403
    assert client.post(f"{REPORTS}{done.pk}/retry/").status_code == 403
    assert ReportSnapshot.objects.count() == 1
    assert AuditEvent.objects.filter(action="permission_denied").count() == denials + 6


def test_a_report_reads_in_its_full_and_shared_versions(client_for, world, done):
    client = client_for("coordinator")

    full = client.get(f"{REPORTS}{done.pk}/").json()
    shared = client.get(f"{REPORTS}{done.pk}/?version=shared").json()

    assert full["numbers"] == done.numbers and full["shared"] is False
    assert full["generated_by"] is None and full["month"] == "2026-09" and full["version"] == 1
    assert shared["numbers"] == done.shared_numbers and shared["shared"] is True
    assert shared["generated_by"] is None  # the shared version carries no names
    assert set(shared) == set(full)  # one shape, the documented one
    assert client.get(f"{REPORTS}{done.pk}/?version=secret").status_code == 400


def test_the_shared_version_does_not_say_who_generated_it(client_for, world):
    snapshot = services.report_request(actor=actor(world, "coordinator"), month=MONTH)
    client = client_for("coordinator")

    assert client.get(f"{REPORTS}{snapshot.pk}/").json()["generated_by"] == "coordinator@example.org"
    assert "coordinator@example.org" not in client.get(f"{REPORTS}{snapshot.pk}/?version=shared").content.decode()


def test_a_report_of_another_task_force_is_not_found(client_for, world, done):
    theirs = _done(world.other_tf)

    for path in ("", "progress/", "csv/", "pdf/"):
        assert client_for("coordinator").get(f"{REPORTS}{theirs.pk}/{path}").status_code == 404, path
        assert client_for("foreign_coordinator").get(f"{REPORTS}{done.pk}/{path}").status_code == 404, path
        assert client_for("sending_member").get(f"{REPORTS}{theirs.pk}/{path}").status_code == 404, path
    assert client_for("coordinator").post(f"{REPORTS}{theirs.pk}/retry/").status_code == 404
    assert client_for("coordinator").get(f"{REPORTS}{2**63}/").status_code == 404


def test_a_coordinator_requests_a_month_and_gets_a_progress_url(client_for, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for("coordinator").post(REPORTS, {"month": "2026-09"}, content_type="application/json")

    assert response.status_code == 202
    body = response.json()
    snapshot = ReportSnapshot.objects.get()
    assert (body["id"], body["month"], body["version"], body["status"]) == (snapshot.pk, "2026-09", 1, "queued")
    assert body["progress_url"] == response["Location"] == f"/api/v1/reports/{snapshot.pk}/progress/"
    assert snapshot.generated_by == world.user("coordinator")
    assert len(callbacks) == 1  # the build is enqueued once the request's transaction commits
    event = AuditEvent.objects.get(action="created", object_type="reports.reportsnapshot")
    assert event.changes == {"period": "2026-09-01", "version": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "month"), ({"month": "2026-13"}, "month"), ({"month": 202609}, "month"), ({"month": "2999-01"}, "month")],
)
def test_a_request_for_a_bad_month_is_a_400(client_for, body, field):
    response = client_for("coordinator").post(REPORTS, body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ReportSnapshot.objects.exists()


def test_progress_says_status_percent_label_and_error(client_for, world, done):
    failed = _failed(world.tf, datetime.date(2026, 8, 1))
    client = client_for("coordinator")

    assert client.get(f"{REPORTS}{done.pk}/progress/").json() == {
        "id": done.pk,
        "status": "done",
        "progress": 100,
        "label": "done",
        "error": "",
        "finished": True,
    }
    body = client.get(f"{REPORTS}{failed.pk}/progress/").json()
    assert (body["status"], body["error"], body["finished"]) == ("failed", "OSError: disk full", True)


def test_a_failed_report_is_retried_and_a_done_one_is_a_conflict(client_for, world, done):
    failed = _failed(world.tf, datetime.date(2026, 8, 1))
    client = client_for("coordinator")

    response = client.post(f"{REPORTS}{failed.pk}/retry/")

    assert response.status_code == 202 and response.json()["status"] == "queued"
    failed.refresh_from_db()
    assert (failed.status, failed.error) == (ReportStatus.QUEUED, "")
    again = client.post(f"{REPORTS}{done.pk}/retry/")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert client.post(f"{REPORTS}{failed.pk}/retry/").status_code == 409  # queued now


def test_the_csv_downloads_are_the_stored_files_and_audited(client_for, world, done):
    client = client_for("coordinator")

    full = client.get(f"{REPORTS}{done.pk}/csv/")
    shared = client.get(f"{REPORTS}{done.pk}/csv/?version=shared")

    assert full.status_code == 200 and full["Content-Type"].startswith("text/csv")
    assert full["Content-Disposition"] == 'attachment; filename="wdt-2026-09-v1.csv"'
    assert b"".join(full.streaming_content) == done.csv_file.open("rb").read()
    assert b"".join(shared.streaming_content) == done.shared_csv_file.open("rb").read()
    assert shared["Content-Disposition"] == 'attachment; filename="wdt-2026-09-v1-shared.csv"'
    assert client.get(f"{REPORTS}{done.pk}/pdf/").status_code == 404  # built without a PDF
    events = AuditEvent.objects.filter(action="exported").order_by("pk")
    assert [event.changes for event in events] == [
        {"format": "csv", "version": "full", "period": "2026-09", "report": 1},
        {"format": "csv", "version": "shared", "period": "2026-09", "report": 1},
    ]
    assert client.get(f"{REPORTS}{done.pk}/csv/?version=other").status_code == 400


def test_the_pdf_download_is_the_stored_pdf(client_for, world):
    done = _done(world.tf, pdf=True)

    response = client_for("coordinator").get(f"{REPORTS}{done.pk}/pdf/?version=shared")

    if done.shared_pdf_file:
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    else:
        assert response.status_code == 404


def test_no_file_is_downloaded_until_the_report_is_done(client_for, world):
    queued = services.report_queue(task_force=world.tf, month=MONTH, enqueue=False)
    client = client_for("coordinator")

    for path in ("csv/", "pdf/", "csv/?version=shared"):
        response = client.get(f"{REPORTS}{queued.pk}/{path}")
        assert response.status_code == 404 and response.json()["code"] == "not_found", path
    assert not AuditEvent.objects.filter(action="exported").exists()


# --- Crime counts -------------------------------------------------------------------------------------------------


def _upload(world, content: str = GOOD, *, key: str = "sending_referral_staff", partner=None):
    return crime.crime_counts_upload(
        actor=actor(world, key), partner=partner or world.sending, uploaded_file=_file(content)
    )


def test_coordinators_and_uploaders_list_the_counts_with_filters(client_for, world):
    _upload(world)
    crime.crime_counts_upload(
        actor=actor(world, "foreign_coordinator"),
        partner=world.foreign,
        uploaded_file=_file("month,offense,count\n2026-08,rape,9\n"),
    )

    for key in ("coordinator", "sending_referral_staff", "sending_partner_admin"):
        rows = client_for(key).get(COUNTS).json()["results"]
        assert [(row["month"], row["offense"], row["count"]) for row in rows] == [
            ("2026-09", "homicide", 3),
            ("2026-08", "homicide", 2),
            ("2026-08", "robbery", 40),
        ], key
    client = client_for("coordinator")

    def rows(query):
        return [(row["month"], row["offense"]) for row in client.get(f"{COUNTS}?{query}").json()["results"]]

    assert rows("month_from=2026-09") == [("2026-09", "homicide")]
    assert rows("month_to=2026-08&offense=robbery") == [("2026-08", "robbery")]
    assert rows("month_from=2026-08&month_to=2026-08") == [("2026-08", "homicide"), ("2026-08", "robbery")]
    assert client.get(COUNTS).json()["results"][0]["offense_label"] == "Homicide"


@pytest.mark.parametrize(
    "query", ["month_from=2026-13", "month_to=26-01", "offense=arson", "month_from=2026-09&month_to=2026-08"]
)
def test_bad_count_filters_are_a_400(client_for, query):
    response = client_for("coordinator").get(f"{COUNTS}?{query}")

    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_the_counts_list_reads_a_constant_number_of_queries(client_for, world, django_assert_num_queries):
    client = client_for("sending_referral_staff")
    _upload(world)

    # session, user, actor's memberships; the page's count; the counts.
    with django_assert_num_queries(5):
        assert client.get(COUNTS).status_code == 200
    lines = [f"2025-{month:02d},{offense},{month}" for month in range(1, 13) for offense in ("rape", "robbery")]
    _upload(world, "month,offense,count\n" + "\n".join(lines) + "\n")
    with django_assert_num_queries(5):
        assert client.get(COUNTS).json()["count"] == 27


@pytest.mark.parametrize("key", ["sending_member", "receiving_referral_staff", "receiving_partner_admin"])
def test_anyone_else_is_refused_the_counts(client_for, world, key):
    client = client_for(key)

    assert client.get(COUNTS).status_code == 403
    assert client.post(UPLOAD, {"file": _file(GOOD), "partner": world.sending.pk}).status_code == 403
    assert not CrimeCountUpload.objects.exists()


def test_an_upload_through_the_api_stores_the_counts(client_for, world):
    response = client_for("sending_referral_staff").post(UPLOAD, {"file": _file(GOOD), "partner": world.sending.pk})

    assert response.status_code == 201
    body = response.json()
    assert (body["partner"], body["months"], body["rows"]) == (world.sending.pk, ["2026-08", "2026-09"], 3)
    assert body["uploaded_by"] == "sending.referral_staff@example.org" and body["filename"] == "counts.csv"
    assert CrimeCount.objects.filter(task_force=world.tf, upload_id=body["id"]).count() == 3
    assert AuditEvent.objects.filter(action="imported", object_id=str(body["id"])).exists()


def test_the_partner_may_be_left_out_when_there_is_only_one_to_upload_for(client_for, world):
    assert client_for("sending_partner_admin").post(UPLOAD, {"file": _file(GOOD)}).status_code == 201

    PartnerFactory(task_force=world.tf, name="County Sheriff", kind=PartnerKind.LAW_ENFORCEMENT)
    response = client_for("coordinator").post(UPLOAD, {"file": _file(GOOD)})
    assert response.status_code == 400
    assert response.json()["errors"] == {"partner": ["Say which partner the counts come from."]}


def test_a_refused_file_is_a_400_naming_every_bad_line_and_stores_nothing(client_for, world):
    _upload(world)
    before = sorted(CrimeCount.objects.values_list("month", "offense", "count"))
    content = "month,offense,count\n2026-08,homicide,5\n2026-08,robbery,x\n1999-01,robbery,1\n"

    response = client_for("sending_referral_staff").post(UPLOAD, {"file": _file(content), "partner": world.sending.pk})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": [
            "Line 3: the count “x” is not a whole number from 0.",
            "Line 4: the month 1999-01 is before 2000.",
        ]
    }
    assert sorted(CrimeCount.objects.values_list("month", "offense", "count")) == before
    assert CrimeCountUpload.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"partner": "1"}, "file"),
        ({"file": "not a file", "partner": "1"}, "file"),
        ({"partner": "x"}, "partner"),
        ({"partner": str(2**63)}, "partner"),
    ],
)
def test_a_malformed_upload_is_a_400(client_for, world, data, field):
    response = client_for("sending_referral_staff").post(UPLOAD, data)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_partner_that_is_not_theirs_to_upload_for_is_a_400(client_for, world):
    client = client_for("sending_referral_staff")

    for partner in (world.receiving, world.foreign):
        response = client.post(UPLOAD, {"file": _file(GOOD), "partner": partner.pk})
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "partner": ["No law-enforcement partner you upload counts for has this id."]
        }
    assert not CrimeCountUpload.objects.exists()


def test_a_json_body_is_a_400_naming_the_missing_file(client_for, world):
    response = client_for("coordinator").post(UPLOAD, {"partner": world.sending.pk}, content_type="application/json")

    assert response.status_code == 400 and "file" in response.json()["errors"]


@pytest.mark.parametrize("value", ["2026-09\n", "%00", "٢٠٢٦-٠٩", "x" * 10_000])
def test_hostile_months_are_a_400(client_for, value):
    client = client_for("coordinator")

    assert client.get(REPORTS, {"month": value}).status_code == 400
    assert client.get(COUNTS, {"month_from": value}).status_code == 400
    assert client.post(REPORTS, {"month": value}, content_type="application/json").status_code == 400


@pytest.mark.parametrize("pk", ["abc", "-1", "1.5", "9" * 30, "%00"])
def test_a_report_id_that_is_no_id_is_a_404(client_for, pk):
    response = client_for("coordinator").get(f"{REPORTS}{pk}/")

    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_a_hostile_file_name_is_stored_printable_without_its_folders(client_for, world):
    upload = _file(GOOD, name="../../etc/cou\x00nts\u202e.csv")

    response = client_for("sending_referral_staff").post(UPLOAD, {"file": upload, "partner": world.sending.pk})

    assert response.status_code == 201
    assert CrimeCountUpload.objects.get().filename == "counts.csv"


@pytest.mark.parametrize("path", ["/api/v1/reports.json", "/api/v1/reports/1.json", "/api/v1/crime-counts.json"])
def test_a_format_suffix_is_no_endpoint(client_for, path):
    response = client_for("coordinator").get(path)

    assert response.status_code == 404 and response.json()["code"] == "not_found"
