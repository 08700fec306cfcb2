"""The business-day calendar table (``CalendarDay``) the report metrics count business days with.

A business day is a weekday that is not a U.S. federal holiday as observed (the same rule as the referral clock,
``cases.sla.is_business_day``). The table runs from ``FIRST_DAY``; ``calendar_fill`` extends it (idempotent), and the
metrics make sure it covers the months they read.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from cases.sla import is_business_day

from .models import CalendarDay

FIRST_DAY = datetime.date(2000, 1, 1)


def calendar_fill(*, until: datetime.date) -> int:
    """Add the days after the table's last one up to ``until``; returns how many were added."""
    with transaction.atomic():
        last = CalendarDay.objects.select_for_update().order_by("-day").first()
        day = FIRST_DAY if last is None else last.day + datetime.timedelta(days=1)
        index = 0 if last is None else last.business_index
        rows = []
        while day <= until:
            business = is_business_day(day)
            index += int(business)
            rows.append(
                CalendarDay(
                    day=day,
                    day_number=(day - FIRST_DAY).days,
                    is_business_day=business,
                    business_index=index,
                )
            )
            day += datetime.timedelta(days=1)
        # Two fills at once write the same rows (the calendar is deterministic): the second's are skipped.
        CalendarDay.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def calendar_covers(until: datetime.date) -> None:
    """Make sure the table reaches ``until`` (one indexed read when it does)."""
    if not CalendarDay.objects.filter(day=until).exists():
        calendar_fill(until=until)
