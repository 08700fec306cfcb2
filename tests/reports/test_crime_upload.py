"""The police partner's crime-count upload (reports/crime.py): who may upload, every refusal of a bad file (nothing
written, every bad line named), the atomic replacement of each month in the file, and the audit event."""

import codecs
import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners.models import PartnerKind
from psn.models import AuditEvent
from reports import crime
from reports.models import CrimeCount, CrimeCountUpload
from tests.factories import PartnerFactory
from tests.meetings.support import actor

pytestmark = pytest.mark.django_db

GOOD = "month,offense,count\n2026-08,homicide,2\n2026-08,robbery,40\n2026-09,homicide,3\n2026-09,robbery,35\n"


def _file(content: str | bytes, name: str = "counts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, "text/csv")


def _upload(world, content, *, key: str = "sending_referral_staff", partner=None):
    return crime.crime_counts_upload(
        actor=actor(world, key), partner=partner or world.sending, uploaded_file=_file(content)
    )


def _stored(task_force) -> dict[tuple[str, str], int]:
    return {(f"{row.month:%Y-%m}", row.offense): row.count for row in CrimeCount.objects.filter(task_force=task_force)}


def _state() -> tuple[int, int, int, list]:
    return (
        CrimeCount.objects.count(),
        CrimeCountUpload.objects.count(),
        AuditEvent.objects.filter(action="imported").count(),
        sorted(CrimeCount.objects.values_list("month", "offense", "count")),
    )


def _refusal(world, content) -> list[str]:
    """Upload a bad file over existing counts: refused, and nothing at all changed. Returns the messages."""
    before = _state()
    with pytest.raises(ValidationError) as refused:
        _upload(world, content)
    assert _state() == before
    return refused.value.message_dict["file"]


@pytest.fixture
def existing(world):
    """Counts already stored for August and September 2026."""
    return _upload(world, GOOD)


def test_the_police_partners_staff_upload_counts_stored_with_the_upload_and_audited(world):
    made = _upload(world, GOOD)

    assert _stored(world.tf) == {
        ("2026-08", "homicide"): 2,
        ("2026-08", "robbery"): 40,
        ("2026-09", "homicide"): 3,
        ("2026-09", "robbery"): 35,
    }
    assert (made.months, made.rows, made.filename) == (["2026-08", "2026-09"], 4, "counts.csv")
    assert (made.partner, made.task_force) == (world.sending, world.tf)
    assert made.uploaded_by == world.user("sending_referral_staff")
    event = AuditEvent.objects.get(action="imported")
    assert event.actor == world.user("sending_referral_staff") and event.task_force == world.tf
    assert event.object_id == str(made.pk)
    # The months and how many rows, never the counts themselves.
    assert event.changes == {"months": ["2026-08", "2026-09"], "rows": 4, "partner": world.sending.pk}


def test_offenses_by_code_or_english_label_in_any_case_columns_in_any_order_and_a_bom(world):
    content = codecs.BOM_UTF8 + (
        b"Count, OFFENSE ,Month\r\n"
        b"7,Non-fatal Shooting,2026-07\r\n1,HOMICIDE,2026-07\r\n0,aggravated assault,2026-07\r\n"
        b"\r\n"  # a blank line is skipped
    )

    _upload(world, content)

    assert _stored(world.tf) == {
        ("2026-07", "non_fatal_shooting"): 7,
        ("2026-07", "homicide"): 1,
        ("2026-07", "aggravated_assault"): 0,
    }


def test_an_offense_left_out_of_a_month_is_not_reported_rather_than_zero(world):
    _upload(world, "month,offense,count\n2026-06,robbery,12\n")

    assert _stored(world.tf) == {("2026-06", "robbery"): 12}


def test_each_month_in_the_file_is_replaced_whole_and_other_months_are_kept(world, existing):
    newer = _upload(world, "month,offense,count\n2026-09,carjacking,4\n2026-10,robbery,30\n", key="coordinator")

    assert _stored(world.tf) == {
        ("2026-08", "homicide"): 2,  # August was not in the file: untouched
        ("2026-08", "robbery"): 40,
        ("2026-09", "carjacking"): 4,  # September replaced: homicide and robbery of the old upload are gone
        ("2026-10", "robbery"): 30,
    }
    assert set(CrimeCount.objects.filter(month__gte=datetime.date(2026, 9, 1)).values_list("upload", flat=True)) == {
        newer.pk
    }
    assert CrimeCountUpload.objects.count() == 2  # the history of uploads stays


def test_an_upload_replaces_the_months_of_its_own_task_force_only(world, existing):
    foreign_actor = actor(world, "foreign_coordinator")
    crime.crime_counts_upload(
        actor=foreign_actor, partner=world.foreign, uploaded_file=_file("month,offense,count\n2026-09,rape,1\n")
    )

    assert _stored(world.other_tf) == {("2026-09", "rape"): 1}
    assert _stored(world.tf)[("2026-09", "homicide")] == 3


def test_the_current_month_is_accepted(world):
    this_month = timezone.localdate(timezone=world.tf.tzinfo).replace(day=1)

    _upload(world, f"month,offense,count\n{this_month:%Y-%m},robbery,5\n")

    assert _stored(world.tf) == {(f"{this_month:%Y-%m}", "robbery"): 5}


@pytest.mark.parametrize(
    "key", ["receiving_referral_staff", "receiving_partner_admin", "sending_member", "outsider_partner_admin"]
)
def test_only_the_referral_staff_and_admins_of_a_law_enforcement_partner_upload(world, existing, key):
    before = _state()
    with pytest.raises(PermissionDenied):
        _upload(world, GOOD, key=key)
    assert _state() == before


def test_staff_upload_only_for_their_own_police_partner(world, existing):
    county = PartnerFactory(task_force=world.tf, name="County Sheriff", kind=PartnerKind.LAW_ENFORCEMENT)
    before = _state()

    with pytest.raises(PermissionDenied):
        _upload(world, GOOD, partner=county)
    with pytest.raises(PermissionDenied):  # another task force's police: never
        _upload(world, GOOD, key="coordinator", partner=world.foreign)
    with pytest.raises(PermissionDenied):  # a partner that is not law enforcement
        _upload(world, GOOD, key="coordinator", partner=world.receiving)
    assert _state() == before
    _upload(world, "month,offense,count\n2026-01,robbery,9\n", key="coordinator", partner=county)  # coordinators may


def test_a_file_over_one_megabyte_is_refused(world, existing):
    line = "2026-01,robbery,1\n"
    content = "month,offense,count\n" + line * (crime.MAX_BYTES // len(line) + 1)

    assert _refusal(world, content) == ["The file is larger than 1 MB: split it into several uploads."]


def test_a_file_that_is_not_utf8_is_refused_naming_the_line(world, existing):
    content = "month,offense,count\n2026-01,robbery,1\n2026-01,homicide,2 caf\xe9\n".encode("latin-1")

    assert _refusal(world, content) == ["The file is not UTF-8 text (line 3): save it as “CSV UTF-8”."]


def test_a_utf16_file_is_refused_as_not_utf8(world, existing):
    content = GOOD.encode("utf-16")  # with its BOM

    assert _refusal(world, content) == ["The file is not UTF-8 text: save it as “CSV UTF-8”."]


def test_a_binary_file_is_refused(world, existing):
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"

    assert _refusal(world, content) == ["This is not a CSV file (it holds binary data)."]


@pytest.mark.parametrize("content", ["", "\n \n", codecs.BOM_UTF8])
def test_an_empty_file_is_refused(world, existing, content):
    assert _refusal(world, content) == ["The file is empty."]


def test_a_file_without_its_header_is_refused(world, existing):
    assert _refusal(world, "2026-01,robbery,1\n2026-02,robbery,2\n") == [
        "The first line must be the header: month,offense,count."
    ]


@pytest.mark.parametrize("header", ["month,offense", "month,crime,count", "month,offense,count,notes", "a;b;c"])
def test_a_wrong_header_is_refused(world, existing, header):
    [message] = _refusal(world, f"{header}\n2026-01,robbery,1\n")

    assert message.startswith("The header must name the columns month, offense and count")


def test_a_header_without_counts_is_refused(world, existing):
    assert _refusal(world, "month,offense,count\n") == ["The file has a header but no counts."]


def test_more_than_5000_lines_are_refused(world, existing):
    content = "month,offense,count\n" + "2026-01,robbery,1\n" * (crime.MAX_LINES + 1)

    assert _refusal(world, content) == ["The file has 5001 lines of counts; at most 5000 are accepted in one upload."]


def test_the_same_month_and_offense_twice_is_refused_naming_both_lines(world, existing):
    content = "month,offense,count\n2026-01,robbery,1\n2026-01,homicide,1\n2026-01,Robbery,2\n"

    assert _refusal(world, content) == ["Line 4: 2026-01 robbery is already on line 2."]


def test_a_month_in_the_future_is_refused(world, existing):
    next_month = (timezone.localdate(timezone=world.tf.tzinfo).replace(day=1) + datetime.timedelta(days=32)).replace(
        day=1
    )

    assert _refusal(world, f"month,offense,count\n{next_month:%Y-%m},robbery,1\n") == [
        f"Line 2: the month {next_month:%Y-%m} is in the future."
    ]


def test_a_month_before_2000_is_refused(world, existing):
    assert _refusal(world, "month,offense,count\n1999-12,robbery,1\n") == ["Line 2: the month 1999-12 is before 2000."]


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "10/2026", "2026-10-01", ""])
def test_a_month_that_is_not_yyyy_mm_is_refused(world, existing, month):
    assert _refusal(world, f"month,offense,count\n{month},robbery,1\n") == [
        f"Line 2: the month “{month}” is not a month as YYYY-MM."
    ]


def test_an_unknown_offense_is_refused_listing_the_codes(world, existing):
    [message] = _refusal(world, "month,offense,count\n2026-01,burglary,1\n")

    assert message.startswith("Line 2: the offense “burglary” is not one of: homicide, non_fatal_shooting,")


@pytest.mark.parametrize("count", ["-1", "1.5", "ten", "", "1e3", "2147483648"])
def test_a_count_that_is_not_a_whole_number_from_0_is_refused(world, existing, count):
    [message] = _refusal(world, f"month,offense,count\n2026-01,robbery,{count}\n")

    assert message.startswith("Line 2: the count")


@pytest.mark.parametrize("line", ["2026-01,robbery", "2026-01,robbery,1,extra"])
def test_a_line_with_the_wrong_number_of_values_is_refused(world, existing, line):
    [message] = _refusal(world, f"month,offense,count\n{line}\n")

    assert message.startswith("Line 2: expected 3 values, found")


def test_every_bad_line_is_reported_with_its_number_and_every_reason(world, existing):
    content = (
        "month,offense,count\n"
        "2026-01,robbery,1\n"  # 2: good
        "2026-13,robbery,1\n"  # 3: month
        "2026-01,homicide,1\n"  # 4: good
        "\n"  # 5: blank, skipped (the numbers stay the file's)
        "1999-01,arson,-2\n"  # 6: month, offense and count
        "2026-01,robbery,3\n"  # 7: duplicate of line 2
    )

    assert _refusal(world, content) == [
        "Line 3: the month “2026-13” is not a month as YYYY-MM.",
        "Line 6: the month 1999-01 is before 2000; the offense “arson” is not one of: homicide, non_fatal_shooting, "
        "aggravated_assault, robbery, rape, carjacking, other_violent; the count “-2” is not a whole number from 0.",
        "Line 7: 2026-01 robbery is already on line 2.",
    ]


def test_a_line_the_csv_reader_cannot_read_is_refused_not_an_error(world, existing):
    content = 'month,offense,count\n2026-01,"' + "x" * 140_000 + '",1\n'

    [message] = _refusal(world, content)

    assert message.startswith("Line 2 cannot be read as CSV")
