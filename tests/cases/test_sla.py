"""The acknowledgement clock: business days in the task force's zone, without weekends and federal holidays."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from cases.sla import acknowledge_deadline, business_days_between, is_business_day
from partners.models import TaskForce

CHICAGO = ZoneInfo("America/Chicago")
UTC = datetime.UTC


def tf(days: int = 2, zone: str = "America/Chicago") -> TaskForce:
    return TaskForce(name="t", slug="t", timezone=zone, sla_business_days=days)  # unsaved: the clock reads two fields


def at(y, m, d, h=10, zone=CHICAGO) -> datetime.datetime:
    return datetime.datetime(y, m, d, h, tzinfo=zone)


def end_of(y, m, d, zone=CHICAGO) -> datetime.datetime:
    return datetime.datetime.combine(datetime.date(y, m, d), datetime.time.max, tzinfo=zone)


def test_a_friday_submission_is_due_at_the_end_of_tuesday():
    assert acknowledge_deadline(tf(), at(2026, 11, 20)) == end_of(2026, 11, 24)


def test_the_submission_day_never_counts_even_late_on_a_business_day():
    assert acknowledge_deadline(tf(1), at(2026, 11, 16, 23)) == end_of(2026, 11, 17)


def test_a_weekend_submission_counts_from_monday():
    assert acknowledge_deadline(tf(), at(2026, 11, 21)) == end_of(2026, 11, 24)


def test_thanksgiving_does_not_count():
    # Wednesday before Thanksgiving (Thu 2026-11-26): Friday is a business day, then Monday.
    assert acknowledge_deadline(tf(), at(2026, 11, 25)) == end_of(2026, 11, 30)
    assert acknowledge_deadline(tf(), at(2026, 11, 24)) == end_of(2026, 11, 27)


def test_july_fourth_on_a_saturday_is_observed_on_friday():
    assert not is_business_day(datetime.date(2026, 7, 3))
    # Thursday 2 July: Friday 3 (observed), the weekend, then Monday 6 and Tuesday 7.
    assert acknowledge_deadline(tf(), at(2026, 7, 2)) == end_of(2026, 7, 7)


@pytest.mark.parametrize(
    ("submitted", "deadline_utc"),
    [
        # Fall back on Sunday 2026-11-01: Monday ends at 23:59:59 CST (UTC-6).
        (at(2026, 10, 30), datetime.datetime(2026, 11, 3, 5, 59, 59, 999999, tzinfo=UTC)),
        # Spring forward on Sunday 2026-03-08: Monday ends at 23:59:59 CDT (UTC-5).
        (at(2026, 3, 6), datetime.datetime(2026, 3, 10, 4, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_the_deadline_is_the_local_end_of_day_across_daylight_saving_changes(submitted, deadline_utc):
    assert acknowledge_deadline(tf(1), submitted) == deadline_utc


def test_the_task_forces_time_zone_decides_the_submission_day():
    # 03:00 UTC on Tuesday 24 November is still Monday evening in Chicago.
    submitted = datetime.datetime(2026, 11, 24, 3, tzinfo=UTC)
    assert acknowledge_deadline(tf(), submitted) == end_of(2026, 11, 25)
    # In a UTC task force it is Tuesday: Wednesday, then Friday (Thanksgiving skipped).
    assert acknowledge_deadline(tf(zone="UTC"), submitted) == end_of(2026, 11, 27, zone=ZoneInfo("UTC"))


def test_the_deadline_is_in_the_task_forces_zone():
    assert acknowledge_deadline(tf(), at(2026, 11, 20)).tzinfo == CHICAGO


def test_federal_holidays_and_weekends_are_not_business_days():
    for day in ("2026-01-01", "2026-01-19", "2026-05-25", "2026-06-19", "2026-12-25", "2026-11-28"):
        assert not is_business_day(datetime.date.fromisoformat(day))
    for day in ("2026-11-27", "2026-12-24", "2026-11-23"):  # the day after Thanksgiving, Christmas Eve: work days
        assert is_business_day(datetime.date.fromisoformat(day))


def test_business_days_between_for_the_reports():
    assert business_days_between(tf(), at(2026, 11, 20), at(2026, 11, 20, 17)) == 0
    assert business_days_between(tf(), at(2026, 11, 20), at(2026, 11, 23)) == 1  # Friday to Monday
    assert business_days_between(tf(), at(2026, 11, 25), at(2026, 11, 27)) == 1  # over Thanksgiving
    assert business_days_between(tf(), at(2026, 11, 20), at(2026, 11, 24, 23)) == 2
    assert business_days_between(tf(), at(2026, 11, 23), at(2026, 11, 20)) == -1


def test_deadline_and_business_days_agree():
    submitted = at(2026, 12, 23)
    for days in range(1, 8):
        deadline = acknowledge_deadline(tf(days), submitted)
        assert business_days_between(tf(days), submitted, deadline) == days
