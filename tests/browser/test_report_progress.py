"""A coordinator generates last month's report from the Reports page and watches its progress bar move to done
without the page reloading, opens the report, sees its charts (inline SVG images that load under the strict CSP)
and switches to the shared version. Every page passes the page checks (CSP, console, 375 px, axe-core).

The build runs the way the worker runs it, but in a thread of this process (the tests' Celery is eager, which would
build the report inside the request), slowed a little at each step so that the bar is seen between 0 and 100."""

import datetime
import re
import threading
import time
import zoneinfo

import pytest
from django.db import connection, transaction
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Status
from partners.models import Partner
from reports import services
from reports.models import ReportSnapshot, ReportStatus
from reports.rendering import renderers
from tests.factories import ReferralFactory

pytestmark = pytest.mark.browser

DETAIL = re.compile(r"/reports/(\d+)/$")
STEP_SECONDS = 0.3


@pytest.fixture
def worker(transactional_db, monkeypatch):
    """Builds each queued report in a background thread once the request that queued it has committed."""
    threads: list[threading.Thread] = []

    def build(snapshot_id: int) -> None:
        try:
            services.report_build(
                snapshot_id=snapshot_id, renderers=renderers(), echo=lambda percent, label: time.sleep(STEP_SECONDS)
            )
        finally:
            connection.close()

    def enqueue(snapshot: ReportSnapshot) -> None:
        def start() -> None:
            thread = threading.Thread(target=build, args=(snapshot.pk,), daemon=True)
            threads.append(thread)
            thread.start()

        transaction.on_commit(start)

    monkeypatch.setattr(services, "_enqueue", enqueue)
    yield threads
    for thread in threads:
        thread.join(timeout=120)


@pytest.fixture
def last_month(people):
    """Eight referrals last month: six to the workforce center, two to the U.S. Attorney's Office (shared: "<5")."""
    police = Partner.objects.get(task_force=people.tf, name="City Police")
    local = zoneinfo.ZoneInfo(people.tf.timezone)  # the page proposes last month on the task force's clock
    first = timezone.localdate(timezone=local).replace(day=1)
    submitted = datetime.datetime.combine(first - datetime.timedelta(days=10), datetime.time(15), tzinfo=local)
    for name, count in (("Workforce Center", 6), ("U.S. Attorney's Office", 2)):
        receiving = Partner.objects.get(task_force=people.tf, name=name)
        for _ in range(count):
            ReferralFactory(
                sending_partner=police, receiving_partner=receiving, status=Status.SUBMITTED, submitted_at=submitted
            )
    return f"{first - datetime.timedelta(days=1):%Y-%m}"


def test_a_coordinator_watches_the_report_being_built_and_reads_it(ui, people, worker, last_month):
    page = ui.page
    ui.log_in(people.coordinator.email)
    ui.expect_path("/")
    ui.follow_menu("Reports")
    ui.expect_path("/reports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Monthly reports")
    expect(page.get_by_role("textbox", name="Month")).to_have_value(last_month)
    ui.check()

    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(DETAIL)
    bar = page.locator("#report-progress")
    expect(bar).to_be_visible()
    ui.check()
    ui.screenshot("report-progress")
    # From here on the page must not reload: a mark left on this document must still be there at the end.
    page.evaluate("window.__sameDocument = true")
    seen = set()
    deadline = time.monotonic() + 60
    while not page.get_by_role("link", name="Show the report").is_visible():
        seen.add(int(bar.evaluate("element => element.value")))
        assert time.monotonic() < deadline, f"the bar stopped at {sorted(seen)}"
        page.wait_for_timeout(150)
    assert any(0 < value < 100 for value in seen), f"the bar only showed {sorted(seen)}"
    assert bar.evaluate("element => element.value") == 100
    expect(page.locator("#report-stage")).to_have_text("Done")
    assert page.evaluate("window.__sameDocument") is True
    ui.check()
    snapshot = ReportSnapshot.objects.get()
    assert snapshot.status == ReportStatus.DONE and snapshot.generated_by == people.coordinator

    page.get_by_role("link", name="Show the report").click()
    expect(page.get_by_role("heading", name="Headline numbers")).to_be_visible()
    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(5)  # four trends and the receiving partners (no needs, no crime counts)
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), f"chart {index} did not load"
    expect(page.locator("figure.chart figcaption").first).to_contain_text("Referrals made, 12 months to")
    expect(page.get_by_role("row", name=re.compile(r"^Workforce Center 6$"))).to_be_visible()
    ui.check()

    page.get_by_role("link", name="Shared version (as others see it)").click()
    expect(page.get_by_text("Shared version — small numbers suppressed")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"^U\.S\. Attorney's Office <5$"))).to_be_visible()
    expect(page.get_by_text(people.coordinator.full_name)).to_have_count(0)
    ui.check()
    ui.screenshot("report-shared")
