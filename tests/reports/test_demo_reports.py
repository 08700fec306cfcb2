"""seed_demo's report data (reports/demo_reports.py): the police partner's crime counts and last month's report,
made once."""

import pytest

from reports import demo_reports
from reports.models import CrimeCount, CrimeCountUpload, Offense, ReportSnapshot, ReportStatus

pytestmark = pytest.mark.django_db


def test_crime_counts_are_uploaded_by_the_police_partner_once(world):
    assert demo_reports.seed_crime_counts(world.tf, months=18) == 18
    assert CrimeCount.objects.filter(task_force=world.tf).count() == 18 * len(Offense.values)
    upload = CrimeCountUpload.objects.get(task_force=world.tf)
    assert upload.partner == world.sending and upload.uploaded_by.memberships.filter(partner=world.sending).exists()
    assert demo_reports.seed_crime_counts(world.tf, months=18) == 0
    assert CrimeCountUpload.objects.filter(task_force=world.tf).count() == 1


def test_last_months_report_is_built_once_with_its_crime_counts(world):
    demo_reports.seed_crime_counts(world.tf, months=3)
    snapshot = demo_reports.seed_last_report(world.tf)
    assert snapshot.status == ReportStatus.DONE and snapshot.pdf_file and snapshot.shared_csv_file
    assert snapshot.numbers["crime_reported"] and snapshot.numbers["headline"]["crime_total"] > 0
    assert demo_reports.seed_last_report(world.tf) is None
    assert ReportSnapshot.objects.filter(task_force=world.tf).count() == 1
