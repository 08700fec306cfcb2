"""How a report's numbers are shown. ``report_document`` turns a snapshot's stored numbers (the coordinators' or the
shared version's) into what the page and the PDF both render: the headline with its changes, the sections with
their tables, the charts with their data tables, the definitions. Everything comes from the numbers alone (no
query), formatted once here, so the page, the PDF and the CSV show the same numbers.

``renderers()`` names the file renderers a build uses beyond the CSV (the PDF).
"""

from __future__ import annotations

import base64
import datetime
import zoneinfo
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from . import charts, metrics, suppression

NO_VALUE = "—"
# A bar chart draws at most this many rows (a breakdown by partner may have dozens).
CHART_ROWS = 15


def renderers() -> dict:
    from . import pdf

    return {"pdf": pdf.render}


def labels() -> dict[str, str]:
    """Short names of the numbers (the definitions are ``metrics.DEFINITIONS``)."""
    return {
        "referrals_made": _("Referrals made"),
        "referrals_by_sending_partner": _("Referrals by sending partner"),
        "referrals_by_receiving_partner": _("Referrals by receiving partner"),
        "referrals_by_need": _("Referrals by need"),
        "acknowledged": _("Acknowledged"),
        "accepted": _("Accepted"),
        "declined": _("Declined"),
        "acceptance_rate": _("Acceptance rate"),
        "decline_reasons": _("Decline reasons"),
        "time_to_acknowledge": _("Time to acknowledge"),
        "time_to_first_contact": _("Time to first contact"),
        "time_to_close": _("Time to close"),
        "business_days": _("Business days"),
        "completed": _("Completed"),
        "closed_unsuccessful": _("Closed unsuccessful"),
        "outcomes_completed": _("Completed, by outcome"),
        "outcomes_unsuccessful": _("Closed unsuccessful, by reason"),
        "transferred": _("Transferred"),
        "withdrawn": _("Withdrawn"),
        "open_at_month_end": _("Open at month end"),
        "overdue_at_month_end": _("Overdue at month end"),
        "people_served": _("People served"),
        "people_new": _("New people"),
        "people_returning": _("Returning people"),
        "meetings_held": _("Meetings held"),
        "meetings_by_kind": _("Meetings held, by kind"),
        "attendance_by_partner": _("Attendance by partner"),
        "action_items_opened": _("Action items opened"),
        "action_items_closed": _("Action items closed"),
        "crime_by_offense": _("Violent crime by offense"),
        "crime_total": _("Violent crimes"),
    }


def _dimension_headers() -> dict[str, str]:
    return {
        "referrals_by_sending_partner": _("Sending partner"),
        "referrals_by_receiving_partner": _("Receiving partner"),
        "referrals_by_need": _("Need"),
        "decline_reasons": _("Reason"),
        "outcomes_completed": _("Outcome"),
        "outcomes_unsuccessful": _("Reason"),
        "meetings_by_kind": _("Kind"),
        "crime_by_offense": _("Offense"),
    }


# --- Values ---------------------------------------------------------------------------------------------------------


def show(value, *, rate: bool = False) -> str:
    """A number as the report prints it: a rate as a percentage, a marker ("<5", "*") as it is, none as a dash."""
    if value is None:
        return NO_VALUE
    if isinstance(value, str):
        return value
    if rate:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return f"{value:,}"


def show_change(change, *, rate: bool = False) -> str:
    if change is None:
        return NO_VALUE
    if rate:
        return _("%(points)s points") % {"points": f"{change * 100:+.1f}"}
    if isinstance(change, float) and not change.is_integer():
        return f"{change:+g}"
    return f"{int(change):+,}" if change else "0"


def month_name(label: str) -> str:
    """ "2026-10" -> "October 2026" (in the current language)."""
    return formats.date_format(metrics.month_of(label), "YEAR_MONTH_FORMAT")


def _axis_months(months: list[str]) -> list[str]:
    """Short month names for a chart's axis, with the year under the first month and each January."""
    names = []
    for index, label in enumerate(months):
        month = metrics.month_of(label)
        name = formats.date_format(month, "M")
        names.append(f"{name}\n{month:%Y}" if index == 0 or month.month == 1 else name)
    return names


# --- The document ---------------------------------------------------------------------------------------------------


@dataclass
class Table:
    id: str
    caption: str
    headers: list[str]
    rows: list[list[str]]  # the first cell of each row is its header
    empty: str = ""


@dataclass
class Figure:
    id: str
    title: str
    svg: str
    table: Table
    notes: list[str] = field(default_factory=list)
    table_open: bool = False  # the table is the section's own (shown), not only the chart's text alternative

    @property
    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode("ascii")


@dataclass
class Fact:
    name: str
    label: str
    value: str


@dataclass
class Section:
    id: str
    title: str
    facts: list[Fact] = field(default_factory=list)
    blocks: list[Table | Figure] = field(default_factory=list)  # in reading order
    notes: list[str] = field(default_factory=list)

    @property
    def figures(self) -> list[Figure]:
        return [block for block in self.blocks if isinstance(block, Figure)]


@dataclass
class HeadlineRow:
    name: str
    label: str
    value: str
    previous: str
    previous_change: str
    last_year: str
    last_year_change: str


@dataclass
class Document:
    task_force_name: str
    period: str
    period_name: str
    version: int | None
    shared: bool
    computed_at: datetime.datetime | None
    previous_name: str
    last_year_name: str
    headline: list[HeadlineRow]
    trends: list[Figure]
    trend_table: Table | None  # every trend's numbers in one table (the PDF's, under its grid of small charts)
    sections: list[Section]
    definitions: list[tuple[str, str]]
    has_markers: bool


def report_document(numbers: dict) -> Document:
    """Everything the page and the PDF show of one version of a report, from its numbers."""
    meta = numbers["meta"]
    comparison = numbers.get("comparison", {})
    previous = comparison.get("previous_month", {}).get("period", "")
    last_year = comparison.get("same_month_last_year", {}).get("period", "")
    return Document(
        task_force_name=meta.get("task_force_name", ""),
        period=meta["period"],
        period_name=month_name(meta["period"]),
        version=meta.get("version"),
        shared=bool(meta.get("shared")),
        computed_at=_computed_at(meta),
        previous_name=month_name(previous) if previous else "",
        last_year_name=month_name(last_year) if last_year else "",
        headline=_headline(numbers),
        trends=_trends(numbers),
        trend_table=_trend_table(numbers),
        sections=_sections(numbers),
        definitions=definitions(),
        has_markers=_has_markers(numbers),
    )


def definitions() -> list[tuple[str, str]]:
    names = labels()
    return [
        (names.get(key, key.replace("_", " ").capitalize()), str(text)) for key, text in metrics.DEFINITIONS.items()
    ]


def _computed_at(meta: dict) -> datetime.datetime | None:
    if not meta.get("computed_at"):
        return None
    moment = datetime.datetime.fromisoformat(meta["computed_at"])
    return moment.astimezone(zoneinfo.ZoneInfo(meta.get("timezone") or "UTC"))


def _has_markers(numbers: dict) -> bool:
    def walk(value) -> bool:
        if isinstance(value, dict):
            return any(walk(v) for v in value.values())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return value in (suppression.SMALL, suppression.HIDDEN)

    return walk({key: value for key, value in numbers.items() if key != "meta"})


def _headline(numbers: dict) -> list[HeadlineRow]:
    names = labels()
    comparison = numbers.get("comparison", {})
    rows = []
    for name in metrics.HEADLINE:
        if name == "crime_total" and not _crime_shown(numbers):
            continue
        rate = name == "acceptance_rate"
        then = {key: comparison.get(key, {}).get("headline", {}).get(name) for key in comparison}
        rows.append(
            HeadlineRow(
                name=name,
                label=names[name],
                value=show(numbers["headline"].get(name), rate=rate),
                previous=show(then.get("previous_month"), rate=rate),
                previous_change=show_change(suppression.change_of(numbers, name, "previous_month"), rate=rate),
                last_year=show(then.get("same_month_last_year"), rate=rate),
                last_year_change=show_change(suppression.change_of(numbers, name, "same_month_last_year"), rate=rate),
            )
        )
    return rows


def _crime_shown(numbers: dict) -> bool:
    """Crime counts appear once the police partner has reported any month of the trend."""
    series = numbers.get("trend", {}).get("series", {}).get("crime_total", [])
    return bool(numbers.get("crime_reported")) or any(value is not None for value in series)


TRENDS = (
    ("referrals_made", False),
    ("acceptance_rate", True),
    ("people_served", False),
    ("meetings_held", False),
    ("crime_total", False),
)


def _marker_notes(values) -> list[str]:
    notes = []
    if any(isinstance(value, str) for value in values):
        notes.append(_("Values shown as “<5” or “*” are suppressed small numbers: they are not drawn."))
    if any(value is None for value in values):
        notes.append(_("A dash (—) means there is no value for that month: nothing is drawn there."))
    return notes


def _trends(numbers: dict) -> list[Figure]:
    names = labels()
    trend = numbers.get("trend") or {}
    months = trend.get("months", [])
    if not months:
        return []
    axis = _axis_months(months)
    figures = []
    for name, rate in TRENDS:
        if name == "crime_total" and not _crime_shown(numbers):
            continue
        values = trend["series"].get(name, [None] * len(months))
        title = _("%(number)s, 12 months to %(month)s") % {"number": names[name], "month": month_name(months[-1])}
        if name == "crime_total":
            # The crime counts beside the referral work, month by month.
            headers = [_("Month"), names["crime_total"], names["referrals_made"], names["people_served"]]
            series = [values, trend["series"].get("referrals_made", []), trend["series"].get("people_served", [])]
            rows = [
                [month_name(month)] + [show(column[index]) for column in series] for index, month in enumerate(months)
            ]
        else:
            headers = [_("Month"), names[name]]
            rows = [[month_name(month), show(value, rate=rate)] for month, value in zip(months, values, strict=True)]
        figures.append(
            Figure(
                id=f"trend-{name.replace('_', '-')}",
                title=title,
                svg=charts.trend(tuple(axis), tuple(values), percent=rate),
                table=Table(id=f"trend-{name.replace('_', '-')}-table", caption=title, headers=headers, rows=rows),
                notes=_marker_notes(values),
            )
        )
    return figures


def _trend_table(numbers: dict) -> Table | None:
    names = labels()
    trend = numbers.get("trend") or {}
    months = trend.get("months", [])
    if not months:
        return None
    shown = [(name, rate) for name, rate in TRENDS if name != "crime_total" or _crime_shown(numbers)]
    return Table(
        id="trend-table",
        caption=_("Twelve-month trends"),
        headers=[_("Month")] + [names[name] for name, _rate in shown],
        rows=[
            [month_name(month)]
            + [show(trend["series"].get(name, [None] * len(months))[index], rate=rate) for name, rate in shown]
            for index, month in enumerate(months)
        ],
    )


def _table_of(numbers: dict, metric: str) -> dict:
    for table in numbers.get("tables", []):
        if table["metric"] == metric:
            return table
    return {"metric": metric, "rows": [], "total": None}


def _breakdown(numbers: dict, metric: str) -> Table:
    names = labels()
    table = _table_of(numbers, metric)
    return Table(
        id=metric.replace("_", "-"),
        caption=names[metric],
        headers=[_dimension_headers()[metric], _("Count")],
        rows=[[row["dimension"] or NO_VALUE, show(row["value"])] for row in table["rows"]],
        empty=_("None this month."),
    )


def _bar_figure(numbers: dict, metric: str) -> Figure | None:
    """A breakdown as bars with its table. A long one draws only its largest rows (the table has every row)."""
    table = _table_of(numbers, metric)
    if not table["rows"]:
        return None
    rows = table["rows"]
    values = [row["value"] for row in rows]
    notes = _marker_notes(values)
    if len(rows) > CHART_ROWS:
        numeric = [row for row in rows if charts.is_number(row["value"])]
        rows = sorted(numeric, key=lambda row: -row["value"])[:CHART_ROWS]
        notes.insert(
            0,
            _("The %(drawn)s largest of %(count)s are drawn; the table lists them all.")
            % {"drawn": len(rows), "count": len(table["rows"])},
        )
    return Figure(
        id=f"chart-{metric.replace('_', '-')}",
        title=labels()[metric],
        svg=charts.bars(tuple(row["dimension"] or NO_VALUE for row in rows), tuple(row["value"] for row in rows)),
        table=_breakdown(numbers, metric),
        notes=notes,
        table_open=True,
    )


def _facts(numbers: dict, *names: str) -> list[Fact]:
    label = labels()
    return [
        Fact(name=name, label=label[name], value=show(numbers["headline"].get(name), rate=name == "acceptance_rate"))
        for name in names
    ]


def _sections(numbers: dict) -> list[Section]:
    names = labels()
    referrals = Section(
        id="referrals",
        title=_("Referrals"),
        facts=_facts(numbers, "referrals_made"),
        blocks=[_breakdown(numbers, "referrals_by_sending_partner")],
    )
    for metric in ("referrals_by_receiving_partner", "referrals_by_need"):
        referrals.blocks.append(_bar_figure(numbers, metric) or _breakdown(numbers, metric))
    acknowledgement = Section(
        id="acknowledgement",
        title=_("Acknowledgement"),
        facts=_facts(numbers, "acknowledged", "accepted", "declined", "acceptance_rate"),
        blocks=[_breakdown(numbers, "decline_reasons")],
    )
    timing = Section(
        id="timing",
        title=_("Time taken"),
        blocks=[
            Table(
                id="timing-table",
                caption=_("Median times (business days and calendar days)"),
                headers=[_("Measure"), _("Referrals (n)"), _("Median business days"), _("Median calendar days")],
                rows=[
                    [
                        names[row["metric"]],
                        show(row["n"]),
                        show(row["median_business_days"]),
                        show(row["median_calendar_days"]),
                    ]
                    for row in numbers.get("timing", [])
                ],
            )
        ],
    )
    outcomes = Section(
        id="outcomes",
        title=_("Outcomes and open referrals"),
        facts=_facts(
            numbers,
            "completed",
            "closed_unsuccessful",
            "transferred",
            "withdrawn",
            "open_at_month_end",
            "overdue_at_month_end",
        ),
        blocks=[_breakdown(numbers, "outcomes_completed"), _breakdown(numbers, "outcomes_unsuccessful")],
    )
    people = Section(
        id="people", title=_("People served"), facts=_facts(numbers, "people_served", "people_new", "people_returning")
    )
    meetings = Section(
        id="meetings",
        title=_("Meetings and action items"),
        facts=_facts(numbers, "meetings_held", "action_items_opened", "action_items_closed"),
        blocks=[
            _breakdown(numbers, "meetings_by_kind"),
            Table(
                id="attendance-table",
                caption=names["attendance_by_partner"],
                headers=[_("Partner"), _("Invited"), _("Present"), _("Absent"), _("Excused"), _("Not recorded")],
                rows=[
                    [row["dimension"]]
                    + [show(row[part]) for part in ("invited", "present", "absent", "excused", "unrecorded")]
                    for row in numbers.get("attendance", [])
                ],
                empty=_("No meetings were held this month."),
            ),
        ],
    )
    crime = Section(id="crime", title=_("Violent crime"))
    if numbers.get("crime_reported"):
        crime.facts = _facts(numbers, "crime_total")
        figure = _bar_figure(numbers, "crime_by_offense")
        if figure:
            crime.blocks.append(figure)
    else:
        crime.notes.append(_("The police partner has not reported violent-crime counts for this month."))
    return [referrals, acknowledgement, timing, outcomes, people, meetings, crime]
