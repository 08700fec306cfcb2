"""The service-level clock: a submitted referral is to be acknowledged (accepted or declined) by the end of the
Nth business day after its submission (``TaskForce.sla_business_days``), counted in the task force's time zone.
Weekends and U.S. federal holidays (5 U.S.C. 6103, as observed: a Saturday holiday on the Friday before, a Sunday
one on the Monday after) do not count.
"""

from __future__ import annotations

import datetime

import holidays

from partners.models import TaskForce

# The statutory federal holidays ("public" category of the holidays package, observed days included). Not the
# "government" category: that adds one-off executive-order closures (Christmas Eve...) announced late.
FEDERAL_HOLIDAYS = holidays.country_holidays("US", observed=True)


def is_business_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in FEDERAL_HOLIDAYS


def next_business_day(day: datetime.date) -> datetime.date:
    day += datetime.timedelta(days=1)
    while not is_business_day(day):
        day += datetime.timedelta(days=1)
    return day


def acknowledge_deadline(task_force: TaskForce, submitted_at: datetime.datetime) -> datetime.datetime:
    """The last instant of the Nth business day after the day of ``submitted_at`` in the task force's zone
    (an aware datetime in that zone). The submission day itself never counts, even when it is a business day."""
    zone = task_force.tzinfo
    day = submitted_at.astimezone(zone).date()
    for _ in range(task_force.sla_business_days):
        day = next_business_day(day)
    # Wall-clock end of that day: correct across DST changes because the zone resolves the offset of that date.
    return datetime.datetime.combine(day, datetime.time.max, tzinfo=zone)


def business_days_between(task_force: TaskForce, start: datetime.datetime, end: datetime.datetime) -> int:
    """Business days from ``start`` to ``end`` for the reports: the business days after start's date up to and
    including end's date, in the task force's zone (0 the same day; acknowledged on the deadline's day = N).
    Negative when ``end`` is before ``start``."""
    if end < start:
        return -business_days_between(task_force, end, start)
    zone = task_force.tzinfo
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    count = 0
    while day < last:
        day += datetime.timedelta(days=1)
        count += is_business_day(day)
    return count
