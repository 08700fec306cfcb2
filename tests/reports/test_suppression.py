"""Small-number suppression (reports/suppression.py): counts 1-4 become "<5", and no hidden cell can be worked out
from a total and the other cells of its sum."""

import itertools

from reports.suppression import HIDDEN, SMALL, change_of, hidden_cells, suppress


def _numbers(**headline):
    base = {
        "referrals_made": 20,
        "acknowledged": 12,
        "accepted": 9,
        "declined": 3,
        "acceptance_rate": 0.75,
        "people_served": 18,
        "people_new": 15,
        "people_returning": 3,
        "meetings_held": 0,
        "crime_total": None,
    }
    base.update(headline)
    return {
        "meta": {"period": "2026-10", "generated_by": "someone"},
        "headline": base,
        "tables": [
            {
                "metric": "referrals_by_sending_partner",
                "total": "referrals_made",
                "rows": [
                    {"key": "partner:1", "dimension": "Police", "value": 13},
                    {"key": "partner:2", "dimension": "Probation", "value": 5},
                    {"key": "partner:3", "dimension": "Schools", "value": 2},
                ],
            },
            {
                "metric": "referrals_by_need",
                "total": None,
                "rows": [{"key": "need:1", "dimension": "Jobs", "value": 3}],
            },
        ],
        "timing": [{"metric": "time_to_acknowledge", "n": 3, "median_business_days": 2.0, "median_calendar_days": 4.0}],
        "attendance": [
            {
                "key": "partner:1",
                "dimension": "Police",
                "invited": 6,
                "present": 5,
                "absent": 1,
                "excused": 0,
                "unrecorded": 0,
            }
        ],
        "comparison": {"previous_month": {"period": "2026-09", "headline": dict(base, referrals_made=2, accepted=4)}},
        "trend": {"months": ["2026-09", "2026-10"], "series": {"referrals_made": [2, 20], "accepted": [4, 9]}},
    }


def _recoverable(values: dict, sums, marks) -> list[str]:
    """The hidden cells whose value follows from a sum with only that cell hidden."""
    found = []
    for total, parts in sums:
        hidden = [c for c in [total, *parts] if c in marks]
        if len(hidden) == 1:
            found.append(hidden[0])
    return found


def test_small_counts_show_as_less_than_five_and_their_complement_is_hidden():
    shared = suppress(_numbers())
    rows = {r["dimension"]: r["value"] for r in shared["tables"][0]["rows"]}
    # Schools (2) is small; Probation (5), the smallest other cell, is hidden so that 20 - 13 - x cannot give it.
    assert rows == {"Police": 13, "Probation": HIDDEN, "Schools": SMALL}
    assert shared["headline"]["referrals_made"] == 20
    # declined 3 is small: accepted (9) is hidden with it, and the rate too (it would give accepted back).
    assert (shared["headline"]["declined"], shared["headline"]["accepted"]) == (SMALL, HIDDEN)
    assert shared["headline"]["acceptance_rate"] == HIDDEN
    assert (shared["headline"]["people_returning"], shared["headline"]["people_new"]) == (SMALL, HIDDEN)
    # A table that is not a sum of its total only hides its small cells.
    assert shared["tables"][1]["rows"][0]["value"] == SMALL
    assert shared["meta"]["shared"] is True


def test_a_median_of_a_few_referrals_and_a_small_attendance_are_hidden():
    shared = suppress(_numbers())
    assert shared["timing"][0] == {
        "metric": "time_to_acknowledge",
        "n": SMALL,
        "median_business_days": HIDDEN,
        "median_calendar_days": HIDDEN,
    }
    row = shared["attendance"][0]
    assert (row["absent"], row["present"], row["invited"]) == (SMALL, HIDDEN, 6)


def test_other_months_are_suppressed_and_changes_against_hidden_numbers_are_not_shown():
    numbers = _numbers()
    shared = suppress(numbers)
    assert shared["comparison"]["previous_month"]["headline"]["referrals_made"] == SMALL
    assert change_of(numbers, "referrals_made", "previous_month") == 18
    assert change_of(shared, "referrals_made", "previous_month") is None
    assert shared["trend"]["series"]["referrals_made"] == [SMALL, 20]


def test_the_coordinators_numbers_are_left_untouched():
    numbers = _numbers()
    suppress(numbers)
    assert numbers["headline"]["declined"] == 3 and numbers["tables"][0]["rows"][2]["value"] == 2


def test_zeros_are_not_suppressed_and_a_lone_small_total_with_zero_parts_needs_nothing_more():
    marks = hidden_cells({"t": 3, "a": 3, "b": 0}, [("t", ["a", "b"])])
    assert marks == {"t": SMALL, "a": SMALL}


def test_no_hidden_cell_is_ever_recoverable_from_its_sums():
    """Every combination of small and large values over two overlapping sums (a total shared by two breakdowns)."""
    keys = ["t", "a1", "a2", "a3", "b1", "b2"]
    for a1, a2, a3, b1 in itertools.product([0, 1, 4, 5, 9], repeat=4):
        total = a1 + a2 + a3
        b2 = total - b1
        if b2 < 0:
            continue
        values = dict(zip(keys, [total, a1, a2, a3, b1, b2], strict=True))
        sums = [("t", ["a1", "a2", "a3"]), ("t", ["b1", "b2"])]
        marks = hidden_cells(values, sums)
        assert all(marks.get(k) for k, v in values.items() if 1 <= v <= 4), values
        assert _recoverable(values, sums, marks) == [], (values, marks)
