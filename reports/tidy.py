"""A report's numbers as one tidy table (metric, dimension, value, period): the CSV download, and the rows the page
and the PDF read, so that the three show the same numbers."""

from __future__ import annotations

import csv
import io

from cases.export import safe_cell

COLUMNS = ("metric", "dimension", "value", "period")
TIMING_VALUES = ("n", "median_business_days", "median_calendar_days")
ATTENDANCE_VALUES = ("invited", "present", "absent", "excused", "unrecorded")


def _value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def tidy_rows(numbers: dict) -> list[dict[str, str]]:
    """Every number of the report, one per row, in the report's order; ``period`` is the month the number is of
    (the comparison and trend rows carry their own month)."""
    period = numbers["meta"]["period"]
    rows: list[dict[str, str]] = []

    def add(metric: str, dimension: str, value, month: str = period) -> None:
        rows.append({"metric": metric, "dimension": dimension, "value": _value(value), "period": month})

    for name, value in numbers["headline"].items():
        add(name, "", value)
    for table in numbers["tables"]:
        for row in table["rows"]:
            add(table["metric"], row["dimension"], row["value"])
    for timing in numbers["timing"]:
        for part in TIMING_VALUES:
            add(f"{timing['metric']}_{part}", "", timing[part])
    for row in numbers["attendance"]:
        for part in ATTENDANCE_VALUES:
            add(f"attendance_{part}", row["dimension"], row[part])
    for comparison in numbers.get("comparison", {}).values():
        for name, value in comparison["headline"].items():
            add(name, "", value, comparison["period"])
    trend = numbers.get("trend", {})
    for name, series in trend.get("series", {}).items():
        for month, value in zip(trend["months"], series, strict=True):
            if month != period:
                add(name, "", value, month)
    return _deduplicated(rows)


def _deduplicated(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """A month's headline appears in the comparison and in the trend: keep each (metric, dimension, period) once."""
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for row in rows:
        key = (row["metric"], row["dimension"], row["period"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def csv_bytes(numbers: dict) -> bytes:
    """The tidy table as UTF-8 CSV (with a byte-order mark, so spreadsheet programs read names right). A name that
    starts like a formula is prefixed with an apostrophe (CSV injection); values are numbers or markers."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in tidy_rows(numbers):
        writer.writerow({**row, "dimension": safe_cell(row["dimension"])})
    return ("\ufeff" + out.getvalue()).encode()
