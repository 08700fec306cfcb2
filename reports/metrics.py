"""Every number of the monthly outcome report, computed for one task force and one month with aggregate queries.

Definitions (DESIGN.md "Report metrics"; ``DEFINITIONS`` below is the glossary shown with each report, and is the one
place they are written). All dates are in the task force's time zone; a month runs from its first day 00:00 to the
next month's first day 00:00 there.

- Referrals made: referrals submitted in the month (``submitted_at`` in it; drafts never count). By sending partner,
  receiving partner and need: a referral with two needs counts once per need in the by-need table and once in the
  total. A transfer closes the first referral (outcome "transferred") and makes a new, submitted referral to the new
  partner: the new one counts as made in the month of the transfer. Withdrawn referrals count as made.
- Acknowledged: referrals accepted or declined in the month (the move out of "submitted"). Acceptance rate: accepted
  divided by acknowledged (none when nothing was acknowledged). Decline reasons: the declines of the month by code.
  A referral transferred or withdrawn before anyone accepted or declined it is never acknowledged.
- Time to acknowledge: submission to accept or decline; time to first contact: submission to the first recorded
  contact; time to close: submission to completed or closed unsuccessful. Each as the median over the referrals whose
  end event falls in the month, in business days (business days after the submission's date up to and including the
  end event's date: weekends and U.S. federal holidays, as observed, do not count; the same day is 0) and in calendar
  days (days between the two dates).
- Outcomes: referrals completed in the month by outcome code; closed unsuccessful by reason code; transferred;
  withdrawn (each by the date it was closed).
- Open at month end: submitted, accepted or in progress at the last instant of the month (submitted before the month
  ended and not closed by then). Overdue at month end: of those, still unacknowledged with the acknowledgement deadline
  (the task force's business-day window) passed by the month's end.
- People served: distinct people with a referral made in the month. New: no referral of theirs was made before the
  month; returning: the rest.
- Meetings held: meetings recorded as held whose start is in the month, by kind. Attendance by partner: for those
  meetings, each invited partner's count of meetings it was invited to and present / absent / excused at (its
  recorded attendance). Action items opened: created in the month; closed: marked done in the month.
- Violent crime: the police partner's counts for the month by offense, and their total.
- Change: each headline number against the previous month and the same month a year before (the same definitions;
  ``suppression.change_of`` computes it, for both versions).
- Trend: the headline numbers for the twelve months ending with the month.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    Aggregate,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    FloatField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Person, Referral, Status, Transition
from meetings.models import ActionItem, Attendance, Meeting, MeetingKind, MeetingPartner, MeetingStatus
from partners.models import TaskForce

from .calendar import calendar_covers
from .models import CalendarDay, CrimeCount, Offense

DEFINITIONS_VERSION = 1

# The glossary shown with every report (page, PDF) and written into the CSV's metric names.
DEFINITIONS: dict[str, str] = {
    "referrals_made": _("Referrals submitted in the month (drafts never count; withdrawn ones do)."),
    "referrals_by_sending_partner": _("Referrals made, by the partner that sent them."),
    "referrals_by_receiving_partner": _("Referrals made, by the partner they were sent to."),
    "referrals_by_need": _("Referrals made, once per need (a referral with two needs counts in both rows)."),
    "acknowledged": _("Referrals accepted or declined in the month."),
    "accepted": _("Referrals accepted in the month."),
    "declined": _("Referrals declined in the month."),
    "acceptance_rate": _("Accepted divided by acknowledged in the month."),
    "decline_reasons": _("Declines of the month by their coded reason."),
    "time_to_acknowledge": _(
        "Median time from submission to accept or decline, over referrals acknowledged in the month."
    ),
    "time_to_first_contact": _(
        "Median time from submission to the first recorded contact, over first contacts in the month."
    ),
    "time_to_close": _(
        "Median time from submission to completed or closed unsuccessful, over referrals closed so in the month."
    ),
    "business_days": _(
        "Business days after the start date up to and including the end date; weekends and U.S. federal holidays "
        "(as observed) do not count."
    ),
    "outcomes_completed": _("Referrals completed in the month, by outcome."),
    "outcomes_unsuccessful": _("Referrals closed unsuccessful in the month, by reason."),
    "transferred": _("Referrals transferred to another partner in the month (each new referral counts as made)."),
    "withdrawn": _("Referrals withdrawn by the sender in the month after they were submitted."),
    "open_at_month_end": _("Referrals submitted, accepted or in progress at the last instant of the month."),
    "overdue_at_month_end": _(
        "Of those, referrals still not acknowledged with their acknowledgement deadline passed by the month's end."
    ),
    "people_served": _("Distinct people with a referral made in the month."),
    "people_new": _("People served whose first referral was made in the month."),
    "people_returning": _("People served who had a referral made before the month."),
    "meetings_held": _("Meetings recorded as held that started in the month."),
    "meetings_by_kind": _("Meetings held, by kind."),
    "attendance_by_partner": _("For the meetings held: each invited partner's invitations and attendance."),
    "action_items_opened": _("Action items created in the month."),
    "action_items_closed": _("Action items marked done in the month."),
    "crime_by_offense": _("Violent crimes in the month by offense, as reported by the police partner."),
    "crime_total": _("All violent crimes reported for the month."),
}

# The numbers compared with other months and drawn as 12-month trends.
HEADLINE = (
    "referrals_made",
    "acknowledged",
    "accepted",
    "declined",
    "acceptance_rate",
    "open_at_month_end",
    "overdue_at_month_end",
    "people_served",
    "people_new",
    "people_returning",
    "meetings_held",
    "action_items_opened",
    "action_items_closed",
    "crime_total",
)
TREND_MONTHS = 12


class Median(Aggregate):
    """The median (the mean of the two middle values for an even count): PostgreSQL's ``percentile_cont(0.5)``;
    on SQLite the ``psn_median`` aggregate registered by ``reports.apps``."""

    function = "psn_median"
    name = "Median"
    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="percentile_cont(0.5) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra_context,
        )


@dataclass(frozen=True)
class Period:
    task_force: TaskForce
    month: datetime.date  # the first day

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.task_force.timezone)

    @property
    def start(self) -> datetime.datetime:
        return datetime.datetime.combine(self.month, datetime.time(), tzinfo=self.tz)

    @property
    def next_month(self) -> datetime.date:
        return (self.month + datetime.timedelta(days=32)).replace(day=1)

    @property
    def end(self) -> datetime.datetime:
        """The first instant after the month (exclusive bound)."""
        return datetime.datetime.combine(self.next_month, datetime.time(), tzinfo=self.tz)

    @property
    def label(self) -> str:
        return f"{self.month:%Y-%m}"

    def shifted(self, months: int) -> Period:
        index = self.month.year * 12 + self.month.month - 1 + months
        return Period(self.task_force, datetime.date(index // 12, index % 12 + 1, 1))

    def within(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})


def month_of(value: str | datetime.date) -> datetime.date:
    """``"2026-10"`` or any date in the month -> its first day (ValueError for anything else)."""
    if isinstance(value, datetime.date):
        return value.replace(day=1)
    return datetime.datetime.strptime(value.strip(), "%Y-%m").date()


# --- Referrals ---------------------------------------------------------------------------------------------------


def _made(period: Period):
    return Referral.objects.filter(period.within("submitted_at"), task_force=period.task_force)


def _rows(queryset, *, key: str, label: str, prefix: str) -> list[dict]:
    return [
        {"key": f"{prefix}:{row[key]}", "dimension": row[label] or "", "value": row["value"]}
        for row in queryset.order_by(label, key)
    ]


def referrals_made(period: Period) -> dict:
    made = _made(period)
    total = made.count()
    sending = made.values("sending_partner_id", "sending_partner__name").annotate(value=Count("pk"))
    receiving = made.values("receiving_partner_id", "receiving_partner__name").annotate(value=Count("pk"))
    needs = (
        Referral.needs.through.objects.filter(referral__in=made)
        .values("taxonomyterm_id", "taxonomyterm__name")
        .annotate(value=Count("referral_id"))
    )
    return {
        "headline": {"referrals_made": total},
        "tables": [
            _table(
                "referrals_by_sending_partner",
                _rows(sending, key="sending_partner_id", label="sending_partner__name", prefix="partner"),
                total="referrals_made",
            ),
            _table(
                "referrals_by_receiving_partner",
                _rows(receiving, key="receiving_partner_id", label="receiving_partner__name", prefix="partner"),
                total="referrals_made",
            ),
            # Not additive: a referral with two needs is in two rows.
            _table("referrals_by_need", _rows(needs, key="taxonomyterm_id", label="taxonomyterm__name", prefix="need")),
        ],
    }


def _table(metric: str, rows: list[dict], *, total: str | None = None) -> dict:
    """A breakdown: its rows; ``total`` names the headline number its rows add up to (for suppression)."""
    return {"metric": metric, "rows": rows, "total": total}


def acknowledgement(period: Period) -> dict:
    acks = Transition.objects.filter(
        period.within("at"),
        task_force=period.task_force,
        from_status=Status.SUBMITTED,
        to_status__in=[Status.ACCEPTED, Status.DECLINED],
    )
    counts = acks.aggregate(
        accepted=Count("pk", filter=Q(to_status=Status.ACCEPTED)),
        declined=Count("pk", filter=Q(to_status=Status.DECLINED)),
    )
    acknowledged = counts["accepted"] + counts["declined"]
    reasons = acks.filter(to_status=Status.DECLINED).values("reason_id", "reason__label").annotate(value=Count("pk"))
    return {
        "headline": {
            "acknowledged": acknowledged,
            "accepted": counts["accepted"],
            "declined": counts["declined"],
            "acceptance_rate": round(counts["accepted"] / acknowledged, 4) if acknowledged else None,
        },
        "tables": [
            _table(
                "decline_reasons",
                _rows(reasons, key="reason_id", label="reason__label", prefix="reason"),
                total="declined",
            )
        ],
    }


def _calendar(field: str, column: str, period: Period):
    """The calendar row's ``column`` for the local date of the outer row's ``field``."""
    day = TruncDate(ExpressionWrapper(OuterRef(field), output_field=DateTimeField()), tzinfo=period.tz)
    return Subquery(CalendarDay.objects.filter(day=day).values(column)[:1])


def _durations(queryset, *, start: str, end: str, period: Period) -> dict:
    """The medians of ``end - start`` over ``queryset``, in business and calendar days, and how many."""

    def between(column: str):
        return _calendar(end, column, period) - _calendar(start, column, period)

    result = queryset.aggregate(
        n=Count("pk"), business=Median(between("business_index")), calendar=Median(between("day_number"))
    )
    return {
        "n": result["n"],
        "median_business_days": None if result["business"] is None else round(result["business"], 2),
        "median_calendar_days": None if result["calendar"] is None else round(result["calendar"], 2),
    }


def timing(period: Period) -> dict:
    referrals = Referral.objects.filter(task_force=period.task_force, submitted_at__isnull=False)
    return {
        "timing": [
            {
                "metric": "time_to_acknowledge",
                **_durations(
                    referrals.filter(period.within("acknowledged_at")),
                    start="submitted_at",
                    end="acknowledged_at",
                    period=period,
                ),
            },
            {
                "metric": "time_to_first_contact",
                **_durations(
                    referrals.filter(period.within("first_contact_at")),
                    start="submitted_at",
                    end="first_contact_at",
                    period=period,
                ),
            },
            {
                "metric": "time_to_close",
                **_durations(
                    referrals.filter(
                        period.within("closed_at"), status__in=[Status.COMPLETED, Status.CLOSED_UNSUCCESSFUL]
                    ),
                    start="submitted_at",
                    end="closed_at",
                    period=period,
                ),
            },
        ]
    }


def outcomes(period: Period) -> dict:
    closed = Referral.objects.filter(period.within("closed_at"), task_force=period.task_force)
    counts = closed.aggregate(
        completed=Count("pk", filter=Q(status=Status.COMPLETED)),
        closed_unsuccessful=Count("pk", filter=Q(status=Status.CLOSED_UNSUCCESSFUL)),
        transferred=Count("pk", filter=Q(status=Status.TRANSFERRED)),
        withdrawn=Count("pk", filter=Q(status=Status.WITHDRAWN, submitted_at__isnull=False)),
    )

    def by_reason(status: str):
        return closed.filter(status=status).values("close_reason_id", "close_reason__label").annotate(value=Count("pk"))

    return {
        "headline": counts,
        "tables": [
            _table(
                "outcomes_completed",
                _rows(by_reason(Status.COMPLETED), key="close_reason_id", label="close_reason__label", prefix="reason"),
                total="completed",
            ),
            _table(
                "outcomes_unsuccessful",
                _rows(
                    by_reason(Status.CLOSED_UNSUCCESSFUL),
                    key="close_reason_id",
                    label="close_reason__label",
                    prefix="reason",
                ),
                total="closed_unsuccessful",
            ),
        ],
    }


def open_at_month_end(period: Period) -> dict:
    still_open = Referral.objects.filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=period.end),
        task_force=period.task_force,
        submitted_at__lt=period.end,
    )
    counts = still_open.aggregate(
        open=Count("pk"),
        overdue=Count(
            "pk",
            filter=(Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=period.end))
            & Q(acknowledge_by__lt=period.end),
        ),
    )
    return {"headline": {"open_at_month_end": counts["open"], "overdue_at_month_end": counts["overdue"]}}


def people(period: Period) -> dict:
    earlier = Referral.objects.filter(
        task_force=period.task_force, person_id=OuterRef("pk"), submitted_at__lt=period.start
    )
    served = Person.objects.filter(pk__in=_made(period).values("person_id"))
    counts = served.aggregate(served=Count("pk"), returning=Count("pk", filter=Q(Exists(earlier))))
    return {
        "headline": {
            "people_served": counts["served"],
            "people_new": counts["served"] - counts["returning"],
            "people_returning": counts["returning"],
        }
    }


# --- Meetings and crime ------------------------------------------------------------------------------------------


def meetings(period: Period) -> dict:
    held = Meeting.objects.filter(period.within("start"), task_force=period.task_force, status=MeetingStatus.HELD)
    kinds = dict(held.values_list("kind").annotate(value=Count("pk")))
    by_kind = [
        {"key": f"kind:{kind}", "dimension": str(label), "value": kinds.get(kind, 0)}
        for kind, label in MeetingKind.choices
    ]
    attendance = (
        MeetingPartner.objects.filter(meeting__in=held)
        .values("partner_id", "partner__name")
        .annotate(
            invited=Count("pk"),
            present=Count("pk", filter=Q(attendance=Attendance.PRESENT)),
            absent=Count("pk", filter=Q(attendance=Attendance.ABSENT)),
            excused=Count("pk", filter=Q(attendance=Attendance.EXCUSED)),
        )
        .order_by("partner__name", "partner_id")
    )
    items = ActionItem.objects.filter(task_force=period.task_force)
    return {
        "headline": {
            "meetings_held": sum(kinds.values()),
            "action_items_opened": items.filter(period.within("created_at")).count(),
            "action_items_closed": items.filter(period.within("done_at")).count(),
        },
        "tables": [_table("meetings_by_kind", by_kind, total="meetings_held")],
        "attendance": [
            {
                "key": f"partner:{row['partner_id']}",
                "dimension": row["partner__name"],
                "invited": row["invited"],
                "present": row["present"],
                "absent": row["absent"],
                "excused": row["excused"],
                "unrecorded": row["invited"] - row["present"] - row["absent"] - row["excused"],
            }
            for row in attendance
        ],
    }


def crime(period: Period) -> dict:
    counts = dict(
        CrimeCount.objects.filter(task_force=period.task_force, month=period.month).values_list("offense", "count")
    )
    rows = [
        {"key": f"offense:{code}", "dimension": str(label), "value": counts.get(code, 0)}
        for code, label in Offense.choices
    ]
    return {
        "headline": {"crime_total": sum(counts.values()) if counts else None},
        "crime_reported": bool(counts),
        "tables": [_table("crime_by_offense", rows, total="crime_total")],
    }


# --- The report ----------------------------------------------------------------------------------------------------

SECTIONS: tuple[tuple[str, Callable[[Period], dict]], ...] = (
    ("referrals", referrals_made),
    ("acknowledgement", acknowledgement),
    ("timing", timing),
    ("outcomes", outcomes),
    ("open", open_at_month_end),
    ("people", people),
    ("meetings", meetings),
    ("crime", crime),
)
HEADLINE_SECTIONS = (referrals_made, acknowledgement, open_at_month_end, people, meetings, crime)


def headline(period: Period) -> dict:
    """The headline numbers of a month (for the change columns and the trends)."""
    numbers: dict = {}
    for section in HEADLINE_SECTIONS:
        numbers.update(section(period)["headline"])
    return {name: numbers.get(name) for name in HEADLINE}


def compute(task_force: TaskForce, month: datetime.date, *, progress: Callable[[int, str], None] | None = None) -> dict:
    """Every number of the month as JSON-ready data (the snapshot stores it as it is). ``progress(percent, label)``
    is told after each section."""
    period = Period(task_force, month_of(month))
    calendar_covers(period.next_month + datetime.timedelta(days=366))
    numbers: dict = {
        "meta": {
            "task_force": task_force.slug,
            "task_force_name": task_force.name,
            "period": period.label,
            "timezone": task_force.timezone,
            "computed_at": timezone.now().isoformat(),
            "definitions_version": DEFINITIONS_VERSION,
        },
        "headline": {},
        "tables": [],
        "timing": [],
        "attendance": [],
        "crime_reported": False,
    }
    steps = len(SECTIONS) + 2
    for done, (name, section) in enumerate(SECTIONS, start=1):
        part = section(period)
        numbers["headline"].update(part.get("headline", {}))
        numbers["tables"] += part.get("tables", [])
        numbers["timing"] += part.get("timing", [])
        numbers["attendance"] += part.get("attendance", [])
        numbers["crime_reported"] = numbers["crime_reported"] or part.get("crime_reported", False)
        if progress:
            progress(int(done * 80 / steps), name)
    previous, last_year = period.shifted(-1), period.shifted(-12)
    # Each month's headline once: the previous month is both compared with and drawn in the trend.
    headlines = {period.label: numbers["headline"]}

    def headline_of(other: Period) -> dict:
        if other.label not in headlines:
            headlines[other.label] = headline(other)
        return headlines[other.label]

    numbers["comparison"] = {
        "previous_month": {"period": previous.label, "headline": headline_of(previous)},
        "same_month_last_year": {"period": last_year.label, "headline": headline_of(last_year)},
    }
    if progress:
        progress(int((len(SECTIONS) + 1) * 80 / steps), "comparison")
    months = [period.shifted(-back) for back in range(TREND_MONTHS - 1, -1, -1)]
    trend = {p.label: headline_of(p) for p in months}
    numbers["trend"] = {
        "months": [p.label for p in months],
        "series": {name: [trend[p.label].get(name) for p in months] for name in HEADLINE},
    }
    if progress:
        progress(80, "trend")
    return numbers
