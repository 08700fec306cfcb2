"""Small-number suppression for the "shared" version of a report (audiences beyond coordinators).

Every count from 1 to 4 is shown as ``SMALL`` ("<5"). Where a hidden count could be worked out from a total and the
other cells it adds up to (a row or column total, the accepted and declined that make the acknowledged, the new and
returning that make the people served...), one more cell of that sum is hidden too, marked ``HIDDEN``: the smallest
other non-zero cell, or else the total. This repeats until no sum has exactly one hidden cell, since a cell hidden
for one sum may be the only hidden cell of another.

Also hidden: a median computed over 1 to 4 referrals (it would be one person's own time), a rate whose parts are
hidden, an attendance row's cells likewise, and a month-on-month change where either month's number is hidden.
The shared version carries no names of users (nor of people: reports have none).
"""

from __future__ import annotations

import copy

SMALL = "<5"
HIDDEN = "*"

# The headline sums: total -> the headline numbers it is the sum of.
HEADLINE_SUMS = (
    ("acknowledged", ("accepted", "declined")),
    ("people_served", ("people_new", "people_returning")),
)
RATES = {"acceptance_rate": ("accepted", "declined", "acknowledged")}
NOT_COUNTS = {"acceptance_rate"}
ATTENDANCE_CELLS = ("present", "absent", "excused", "unrecorded")


def _is_small(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def hidden_cells(values: dict[str, int | None], sums: list[tuple[str, list[str]]]) -> dict[str, str]:
    """Which cells to hide and how: ``SMALL`` for a count 1-4, ``HIDDEN`` for a cell hidden so that a small one cannot
    be recovered. ``values`` maps cell keys to counts; ``sums`` lists (total key, part keys) that add up."""
    marks = {key: SMALL for key, value in values.items() if _is_small(value)}
    changed = True
    while changed:
        changed = False
        for total, parts in sums:
            cells = [total, *parts]
            if sum(1 for cell in cells if cell in marks) != 1:
                continue
            candidates = sorted(
                (values[cell], cell)
                for cell in parts
                if cell not in marks and isinstance(values.get(cell), int) and values[cell] > 0
            )
            if candidates:
                marks[candidates[0][1]] = HIDDEN
            elif total not in marks:
                marks[total] = HIDDEN
            else:
                continue  # the total is the only hidden cell and every part is 0: nothing to recover
            changed = True
    return marks


def _headline_sums(numbers: dict) -> list[tuple[str, list[str]]]:
    sums = [(f"headline:{total}", [f"headline:{p}" for p in parts]) for total, parts in HEADLINE_SUMS]
    for table in numbers.get("tables", []):
        if table.get("total"):
            sums.append((f"headline:{table['total']}", [f"{table['metric']}:{row['key']}" for row in table["rows"]]))
    return sums


def _headline_only(headline: dict) -> dict:
    """The shared form of a headline alone (another month's, in the comparison and trend)."""
    values = {f"headline:{k}": v for k, v in headline.items() if k not in NOT_COUNTS}
    sums = [(f"headline:{total}", [f"headline:{p}" for p in parts]) for total, parts in HEADLINE_SUMS]
    marks = hidden_cells(values, sums)
    shared = {k: marks.get(f"headline:{k}", v) for k, v in headline.items()}
    _hide_rates(shared)
    return shared


def _hide_rates(headline: dict) -> None:
    for rate, parts in RATES.items():
        if rate in headline and any(isinstance(headline.get(p), str) for p in parts):
            headline[rate] = HIDDEN


def suppress(numbers: dict) -> dict:
    """The shared version of a report's numbers (a new dict; the coordinators' numbers are left as they are)."""
    shared = copy.deepcopy(numbers)
    values = {f"headline:{k}": v for k, v in numbers["headline"].items() if k not in NOT_COUNTS}
    for table in numbers.get("tables", []):
        for row in table["rows"]:
            values[f"{table['metric']}:{row['key']}"] = row["value"]
    marks = hidden_cells(values, _headline_sums(numbers))
    shared["headline"] = {k: marks.get(f"headline:{k}", v) for k, v in numbers["headline"].items()}
    _hide_rates(shared["headline"])
    for table in shared.get("tables", []):
        for row in table["rows"]:
            row["value"] = marks.get(f"{table['metric']}:{row['key']}", row["value"])
    for timing in shared.get("timing", []):
        if _is_small(timing["n"]):
            timing["n"] = SMALL
            timing["median_business_days"] = timing["median_calendar_days"] = HIDDEN
    for row in shared.get("attendance", []):
        cells = {cell: row.get(cell, 0) for cell in ("invited", *ATTENDANCE_CELLS)}
        row_marks = hidden_cells(cells, [("invited", list(ATTENDANCE_CELLS))])
        row.update({cell: row_marks.get(cell, value) for cell, value in cells.items()})
    for comparison in shared.get("comparison", {}).values():
        comparison["headline"] = _headline_only(comparison["headline"])
    trend = shared.get("trend")
    if trend:
        by_month = [
            _headline_only({name: series[i] for name, series in trend["series"].items()})
            for i in range(len(trend["months"]))
        ]
        trend["series"] = {name: [month[name] for month in by_month] for name in trend["series"]}
    shared["meta"] = {**shared["meta"], "shared": True}
    return shared


def change_of(numbers: dict, name: str, against: str):
    """The change of a headline number against another month, or None where either side is unknown or hidden."""
    now = numbers["headline"].get(name)
    then = numbers.get("comparison", {}).get(against, {}).get("headline", {}).get(name)
    if not isinstance(now, int | float) or not isinstance(then, int | float) or isinstance(now, bool):
        return None
    return round(now - then, 4)
