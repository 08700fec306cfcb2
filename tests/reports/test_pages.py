"""The coordinators' report pages (reports/views.py): the months with their versions and the "Generate" form, a
report in its full and shared versions, the progress bar's JSON, Retry, the CSV and PDF downloads (through a view
that checks access, audited), and the definitions page. Coordinators only: anyone else is refused (403), another task
force's report does not exist (404).

One report of October 2026 is built once for the module (with its PDFs): eight referrals from City Police, six to
Workforce Center and two to Faith Coalition, so the shared version suppresses the two ("<5") and, to protect them,
the six ("*")."""

import csv
import datetime
import io
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Status
from psn.models import AuditEvent
from reports import services
from reports.models import ReportSnapshot, ReportStatus
from reports.rendering import renderers
from tests.conftest import login_client
from tests.factories import ReferralFactory

OCTOBER = datetime.date(2026, 10, 1)
GENERATOR_NAME = "Cora Reportwriter"
NOT_COORDINATORS = (
    "sending_member",
    "sending_referral_staff",
    "sending_partner_admin",
    "receiving_partner_admin",
    "outsider_member",
)


def url(name: str, *args) -> str:
    return reverse(f"reports:{name}", args=args)


def refer(world, receiving, count: int, *, day: int = 6) -> None:
    submitted = datetime.datetime(2026, 10, day, 15, tzinfo=datetime.UTC)
    for _ in range(count):
        ReferralFactory(
            sending_partner=world.sending, receiving_partner=receiving, status=Status.SUBMITTED, submitted_at=submitted
        )


def build(world, *, month=OCTOBER, user=None) -> ReportSnapshot:
    snapshot = services.report_queue(task_force=world.tf, month=month, user=user, enqueue=False)
    return services.report_build(snapshot_id=snapshot.pk, renderers=renderers())


@pytest.fixture(scope="module")
def report(module_world, django_db_blocker):
    """October's report, built once (with its PDFs) by the coordinator, named here so that its absence shows."""
    with django_db_blocker.unblock():
        coordinator = module_world.user("coordinator")
        coordinator.full_name = GENERATOR_NAME
        coordinator.save(update_fields=["full_name"])
        refer(module_world, module_world.receiving, 6)
        refer(module_world, module_world.outsider, 2)
        return build(module_world, user=coordinator)


@pytest.fixture
def coordinator(module_world):
    return login_client(module_world.user("coordinator"), module_world.tf)


def client_of(world, key: str):
    return login_client(world.user(key), world.other_tf if key.startswith("foreign") else world.tf)


# --- The list and the "Generate" form ----------------------------------------------------------------------------


def test_the_list_shows_months_newest_first_with_their_versions(db, module_world, report, coordinator):
    september = services.report_queue(task_force=module_world.tf, month=datetime.date(2026, 9, 1), enqueue=False)
    second = services.report_queue(task_force=module_world.tf, month=OCTOBER, enqueue=False)
    page = coordinator.get(url("report_list")).content.decode()
    assert page.index("October 2026") < page.index("September 2026")
    for snapshot in (report, second, september):
        assert url("report_detail", snapshot.pk) in page
    assert page.index(url("report_detail", second.pk)) < page.index(url("report_detail", report.pk))
    assert GENERATOR_NAME in page and "Queued" in page and "Done" in page
    # The form: a month input with a label, last month by default.
    assert '<label for="id_month">' in page and 'type="month"' in page
    assert f'value="{_last_month(module_world.tf)}"' in page


def _last_month(task_force) -> str:
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(task_force.timezone))
    return f"{today.replace(day=1) - datetime.timedelta(days=1):%Y-%m}"


def test_the_list_pages_by_month_and_its_query_count_is_pinned(
    db, module_world, report, coordinator, django_assert_num_queries
):
    for back in range(1, 15):  # September 2026 back to August 2025: fifteen months with October
        index = 2026 * 12 + 9 - back
        month = datetime.date(index // 12, index % 12 + 1, 1)
        services.report_queue(task_force=module_world.tf, month=month, enqueue=False)
    coordinator.get(url("report_list"))
    # session, user, actor; the months' count, the page of months, their snapshots (and generators)
    with django_assert_num_queries(6):
        page = coordinator.get(url("report_list")).content.decode()
    assert page.count('<th scope="row">') == 12 and "Page 1 of 2" in page
    second = coordinator.get(url("report_list"), {"page": 2}).content.decode()
    assert second.count('<th scope="row">') == 3


def test_a_coordinator_generates_a_month_and_lands_on_its_progress(db, module_world, coordinator):
    response = coordinator.post(url("report_generate"), {"month": "2026-08"})
    snapshot = ReportSnapshot.objects.get(task_force=module_world.tf, period=datetime.date(2026, 8, 1))
    assert response.status_code == 302 and response["Location"] == url("report_detail", snapshot.pk)
    assert snapshot.status == ReportStatus.QUEUED and snapshot.generated_by == module_world.user("coordinator")
    page = coordinator.get(response["Location"]).content.decode()
    assert f'data-progress-url="{url("report_progress", snapshot.pk)}"' in page
    assert '<progress id="report-progress" max="100" value="0">' in page
    assert "js/report_progress.js" in page and "Waiting for a worker" in page
    assert AuditEvent.objects.filter(action="created", object_id=str(snapshot.pk)).exists()


@pytest.mark.parametrize("month", ["", "2026-13", "October", "2099-01", "1999-12", "2026-10-01"])
def test_a_bad_month_is_refused_next_to_the_form(db, module_world, coordinator, month):
    before = ReportSnapshot.objects.count()
    response = coordinator.post(url("report_generate"), {"month": month})
    assert response.status_code == 400
    assert 'class="field-errors"' in response.content.decode() or 'class="errors"' in response.content.decode()
    assert ReportSnapshot.objects.count() == before


# --- Who may see what --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", NOT_COORDINATORS)
def test_only_coordinators_reach_the_report_pages(db, module_world, report, key):
    client = client_of(module_world, key)
    for path in (
        url("report_list"),
        url("report_detail", report.pk),
        url("report_detail", report.pk) + "?version=shared",
        url("report_progress", report.pk),
        url("report_download", report.pk, "csv") + "?version=shared",
    ):
        assert client.get(path).status_code == 403, path
    assert client.post(url("report_generate"), {"month": "2026-10"}).status_code == 403
    assert client.post(url("report_retry", report.pk)).status_code == 403
    assert ReportSnapshot.objects.filter(task_force=module_world.tf).count() == 1
    assert f'href="{url("report_list")}"' not in client.get(reverse("home")).content.decode()


def test_another_task_force_s_report_does_not_exist(db, module_world, report):
    client = client_of(module_world, "foreign_coordinator")
    for path in (
        url("report_detail", report.pk),
        url("report_progress", report.pk),
        url("report_download", report.pk, "pdf"),
    ):
        assert client.get(path).status_code == 404, path
    assert client.post(url("report_retry", report.pk)).status_code == 404
    assert url("report_detail", report.pk) not in client.get(url("report_list")).content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(db, report):
    from django.test import Client

    response = Client().get(url("report_download", report.pk, "csv"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_menu_shows_reports_to_coordinators(db, module_world, coordinator):
    assert f'href="{url("report_list")}"' in coordinator.get(reverse("home")).content.decode()


# --- The report page ---------------------------------------------------------------------------------------------


def test_the_full_version_shows_every_number_table_chart_and_definition(db, module_world, report, coordinator):
    page = coordinator.get(url("report_detail", report.pk)).content.decode()
    assert "Monthly report for October 2026, version 1" in page
    # Headline with the changes against September 2026 and October 2025 (no referrals then).
    assert "Change from September 2026" in page and "Change from October 2025" in page
    assert '<th scope="row">Referrals made</th><td class="num">8</td><td class="num">0</td><td class="num">+8</td>' in (
        page
    )
    # Every table.
    for caption in (
        "Referrals by sending partner",
        "Referrals by receiving partner",
        "Referrals by need",
        "Decline reasons",
        "Median times (business days and calendar days)",
        "Completed, by outcome",
        "Closed unsuccessful, by reason",
        "Meetings held, by kind",
        "Attendance by partner",
    ):
        assert f">{caption}</caption>" in page, caption
    assert "Median business days" in page and "Median calendar days" in page and "Referrals (n)" in page
    assert '<th scope="row">Workforce Center</th><td class="num">6</td>' in page
    assert '<th scope="row">Faith Coalition</th><td class="num">2</td>' in page
    # Charts: each a figure with a caption, an SVG image inline and its numbers as a table.
    assert page.count('<figure class="chart"') == page.count("<figcaption>") == 5
    assert page.count('src="data:image/svg+xml;base64,') == 5
    assert "Referrals made, 12 months to October 2026" in page and "The chart's numbers as a table" in page
    assert "The police partner has not reported violent-crime counts for this month." in page
    # Definitions, the glossary, who generated it, the versions, the downloads.
    assert "Referrals submitted in the month (drafts never count; withdrawn ones do)." in page
    assert url("glossary") in page and GENERATOR_NAME in page
    assert '<span aria-current="page">Version 1</span>' in page
    for fmt, version in (("csv", "full"), ("pdf", "full"), ("csv", "shared"), ("pdf", "shared")):
        assert f"{url('report_download', report.pk, fmt)}?version={version}" in page


def test_the_shared_version_shows_small_numbers_suppressed_and_no_names(db, module_world, report, coordinator):
    page = coordinator.get(url("report_detail", report.pk), {"version": "shared"}).content.decode()
    assert "Shared version — small numbers suppressed" in page
    assert '<th scope="row">Faith Coalition</th><td class="num">&lt;5</td>' in page
    assert '<th scope="row">Workforce Center</th><td class="num">*</td>' in page
    assert "is a count from 1 to 4, not shown" in page
    assert GENERATOR_NAME not in page and module_world.user("coordinator").email not in page
    assert "Generated by" not in page
    # The two bars hidden: the chart says so.
    assert "are suppressed small numbers: they are not drawn" in page


def test_an_unknown_version_is_not_found(db, report, coordinator):
    assert coordinator.get(url("report_detail", report.pk), {"version": "raw"}).status_code == 404


def test_the_page_reads_only_the_snapshot_and_its_versions(
    db, module_world, report, coordinator, django_assert_num_queries
):
    services.report_queue(task_force=module_world.tf, month=OCTOBER, enqueue=False)
    for version in ("full", "shared"):
        coordinator.get(url("report_detail", report.pk), {"version": version})
        # session, user, actor; the snapshot (and its generator), the month's versions
        with django_assert_num_queries(5):
            response = coordinator.get(url("report_detail", report.pk), {"version": version})
        assert response.status_code == 200 and "Version 2" in response.content.decode()


# --- Progress, failure and retry ---------------------------------------------------------------------------------


def test_the_progress_json_follows_the_build(db, module_world, coordinator):
    snapshot = services.report_queue(task_force=module_world.tf, month=datetime.date(2026, 7, 1), enqueue=False)
    detail = url("report_detail", snapshot.pk)
    assert coordinator.get(url("report_progress", snapshot.pk)).json() == {
        "status": "queued",
        "progress": 0,
        "label": "Waiting for a worker",
        "error": "",
        "url": detail,
    }
    ReportSnapshot.objects.filter(pk=snapshot.pk).update(status="running", progress=40, progress_label="outcomes")
    assert coordinator.get(url("report_progress", snapshot.pk)).json()["label"] == "Counting outcomes"
    page = coordinator.get(detail).content.decode()
    assert 'value="40"' in page and "Counting outcomes" in page
    ReportSnapshot.objects.filter(pk=snapshot.pk).update(status="queued")
    services.report_build(snapshot_id=snapshot.pk, renderers={})
    done = coordinator.get(url("report_progress", snapshot.pk)).json()
    assert (done["status"], done["progress"], done["label"]) == ("done", 100, "Done")
    assert "report-progress-box" not in coordinator.get(detail).content.decode()


def test_a_failed_report_shows_why_and_retry_queues_it_again(db, module_world, coordinator):
    snapshot = services.report_queue(task_force=module_world.tf, month=datetime.date(2026, 6, 1), enqueue=False)

    def broken(snapshot, numbers):
        raise OSError("disk full")

    with pytest.raises(OSError):
        services.report_build(snapshot_id=snapshot.pk, renderers={"pdf": broken})
    detail = url("report_detail", snapshot.pk)
    page = coordinator.get(detail).content.decode()
    assert "The report could not be built." in page and "OSError: disk full" in page
    assert f'action="{url("report_retry", snapshot.pk)}"' in page
    assert coordinator.get(url("report_progress", snapshot.pk)).json()["error"] == "OSError: disk full"
    assert coordinator.get(url("report_download", snapshot.pk, "csv")).status_code == 404
    response = coordinator.post(url("report_retry", snapshot.pk), follow=True)
    assert response.redirect_chain == [(detail, 302)] and "The report was queued again." in response.content.decode()
    snapshot.refresh_from_db()
    assert snapshot.status == ReportStatus.QUEUED and snapshot.error == ""


def test_retrying_a_report_that_did_not_fail_changes_nothing(db, report, coordinator):
    response = coordinator.post(url("report_retry", report.pk), follow=True)
    assert "Only a failed report can be retried." in response.content.decode()
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE


def test_pages_that_change_nothing_refuse_other_methods(db, report, coordinator):
    assert coordinator.get(url("report_generate")).status_code == 405
    assert coordinator.get(url("report_retry", report.pk)).status_code == 405
    assert coordinator.post(url("report_detail", report.pk)).status_code == 405


# --- Downloads ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "version", "field", "content_type"),
    [
        ("csv", "full", "csv_file", "text/csv; charset=utf-8"),
        ("csv", "shared", "shared_csv_file", "text/csv; charset=utf-8"),
        ("pdf", "full", "pdf_file", "application/pdf"),
        ("pdf", "shared", "shared_pdf_file", "application/pdf"),
    ],
)
def test_a_download_serves_the_stored_file_as_an_attachment_and_is_audited(
    db, module_world, report, coordinator, fmt, version, field, content_type
):
    response = coordinator.get(url("report_download", report.pk, fmt), {"version": version})
    body = b"".join(response.streaming_content)
    suffix = "-shared" if version == "shared" else ""
    assert response.status_code == 200 and response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="wdt-2026-10-v1{suffix}.{fmt}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    with getattr(report, field).open("rb") as stored:
        assert body == stored.read()
    event = AuditEvent.objects.get(action="exported", object_id=str(report.pk))
    assert event.actor == module_world.user("coordinator") and event.task_force == module_world.tf
    assert event.changes == {"format": fmt, "version": version, "period": "2026-10", "report": 1}
    if fmt == "pdf":
        assert body.startswith(b"%PDF")


def test_the_csv_is_the_tidy_table_and_the_shared_one_carries_the_markers(db, report, coordinator):
    def rows(version):
        response = coordinator.get(url("report_download", report.pk, "csv"), {"version": version})
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))

    full, shared = rows("full"), rows("shared")
    assert full[0] == shared[0] == ["metric", "dimension", "value", "period"]
    assert ["referrals_by_receiving_partner", "Faith Coalition", "2", "2026-10"] in full
    assert ["referrals_by_receiving_partner", "Faith Coalition", "<5", "2026-10"] in shared
    assert ["referrals_made", "", "8", "2026-10"] in full


def test_a_download_of_nothing_is_not_found(db, module_world, report, coordinator):
    queued = services.report_queue(task_force=module_world.tf, month=OCTOBER, enqueue=False)
    assert coordinator.get(url("report_download", queued.pk, "csv")).status_code == 404
    assert coordinator.get(url("report_download", report.pk, "xlsx")).status_code == 404
    assert coordinator.get(url("report_download", report.pk, "csv"), {"version": "raw"}).status_code == 404
    assert not AuditEvent.objects.filter(action="exported").exists()


def test_a_report_built_without_a_pdf_offers_only_its_csv(db, module_world, coordinator):
    snapshot = services.report_queue(task_force=module_world.tf, month=datetime.date(2026, 5, 1), enqueue=False)
    services.report_build(snapshot_id=snapshot.pk, renderers={})
    page = coordinator.get(url("report_detail", snapshot.pk)).content.decode()
    assert url("report_download", snapshot.pk, "csv") in page
    assert url("report_download", snapshot.pk, "pdf") not in page
    assert coordinator.get(url("report_download", snapshot.pk, "pdf")).status_code == 404


# --- Definitions -------------------------------------------------------------------------------------------------


def test_the_glossary_lists_every_definition_for_every_member(db, module_world):
    from reports.metrics import DEFINITIONS

    for key in ("coordinator", "sending_member"):
        page = client_of(module_world, key).get(url("glossary")).content.decode()
        for text in DEFINITIONS.values():
            assert str(text).replace("'", "&#x27;") in page
        assert (f'href="{url("report_list")}"' in page) == (key == "coordinator")
