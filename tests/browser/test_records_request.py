"""A coordinator answers a records request: finds the person by the request's name and date of birth (a person no
referral of theirs shows them), exports the record, watches the progress bar move to done without the page
reloading, and downloads the zip. Every page passes the page checks (CSP, console, 375 px, axe-core).

The build runs the way the worker runs it, but in a thread of this process once the request has committed (the
tests' Celery is eager, which would build it inside the request), its PDF step slowed so the bar is seen mid-way."""

import datetime
import io
import json
import re
import threading
import time
import zipfile

import pytest
from django.db import connection, transaction
from playwright.sync_api import expect

from cases import person_record
from cases.models import PersonRecordJob
from partners.models import Partner
from tests.factories import PersonFactory, ReferralFactory

pytestmark = pytest.mark.browser

JOB = re.compile(r"/people/record-exports/(\d+)/$")
PDF_SECONDS = 1.5


@pytest.fixture
def worker(transactional_db, monkeypatch):
    threads: list[threading.Thread] = []
    real_pdf = person_record.person_record_pdf

    def slow_pdf(data):
        time.sleep(PDF_SECONDS)
        return real_pdf(data)

    def build(job_id: int) -> None:
        try:
            person_record.person_record_build(job_id=job_id)
        finally:
            connection.close()

    def enqueue(task, job_id: int) -> None:
        def start() -> None:
            thread = threading.Thread(target=build, args=(job_id,), daemon=True)
            threads.append(thread)
            thread.start()

        transaction.on_commit(start)

    monkeypatch.setattr(person_record, "person_record_pdf", slow_pdf)
    monkeypatch.setattr(person_record, "enqueue_on_commit", enqueue)
    yield threads
    for thread in threads:
        thread.join(timeout=120)


def test_a_coordinator_finds_the_person_of_a_request_and_downloads_their_record(ui, people, worker):
    police = Partner.objects.get(task_force=people.tf, name="City Police")
    workforce = Partner.objects.get(task_force=people.tf, name="Workforce Center")
    person = PersonFactory(
        task_force=people.tf, given_name="Dominique", family_name="Arceneaux", date_of_birth=datetime.date(1998, 3, 9)
    )
    ReferralFactory(sending_partner=police, receiving_partner=workforce, person=person)
    page = ui.page
    ui.log_in(people.coordinator.email)
    ui.goto("/people/")
    page.get_by_role("link", name="Records request").click()
    ui.expect_path("/people/records-request/")
    ui.check()

    page.get_by_role("textbox", name="First name").fill("dominique")
    page.get_by_role("textbox", name="Last name").fill("ARCENEAUX")
    page.get_by_label("Date of birth").fill("1998-03-09")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name="1 record found")).to_be_visible()
    assert "1998-03-09" not in page.url and "ARCENEAUX" not in page.url  # posted, never in the address
    ui.check()
    ui.screenshot("records-request")

    page.get_by_role("link", name="Export this record").click()
    ui.expect_path(f"/people/{person.pk}/record/")
    ui.check()
    page.get_by_role("button", name="Export the record").click()
    page.wait_for_url(JOB)
    bar = page.locator("#report-progress")
    expect(bar).to_be_visible()
    ui.check()
    ui.screenshot("record-export-progress")
    page.evaluate("window.__sameDocument = true")
    seen = set()
    deadline = time.monotonic() + 60
    while not page.get_by_role("link", name="Show the download").is_visible():
        seen.add(int(bar.evaluate("element => element.value")))
        assert time.monotonic() < deadline, f"the bar stopped at {sorted(seen)}"
        page.wait_for_timeout(150)
    assert any(0 < value < 100 for value in seen), f"the bar only showed {sorted(seen)}"
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_role("link", name="Show the download").click()
    ui.check()
    ui.screenshot("record-export-done")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the record (zip)").click()
    download = download_info.value
    assert re.fullmatch(rf"person-record-{person.pk}-\d{{4}}-\d{{2}}-\d{{2}}\.zip", download.suggested_filename)
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert {"record.json", "record.pdf", "manifest.json"} <= set(archive.namelist())
    assert json.loads(archive.read("record.json"))["person"]["family_name"] == "Arceneaux"
    assert PersonRecordJob.objects.get().status == "done"
