"""bench/run.py's judgements, which CI's smoke run relies on: a page whose query count differs between the small demo
and the full scale fails the run, an empty search is not compared, too few matches fail, and the summary flags a
page over its targets."""

import json

import pytest

from bench import run
from bench.common import BASELINE_LABEL, Row


def _page(what, queries, result="25 · 3.0x", median=0.04, p95=0.06):
    return Row(what, "staff", median, p95, queries, result)


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    path = tmp_path / "query_counts.json"
    counts = {f"Page {n} | staff": 8 for n in range(run.MIN_COMPARED)} | {"Search | staff": 9}
    path.write_text(json.dumps({"referrals": counts}))
    monkeypatch.setattr(run, "QUERY_COUNTS", path)
    return counts


def test_the_same_counts_pass_and_an_empty_search_is_not_compared(recorded):
    rows = [_page(f"Page {n}", 8) for n in range(run.MIN_COMPARED)] + [_page("Search", 6, result="0 · 2.0x")]
    lines, ok = run.compare_counts({"referrals": rows})
    assert ok, lines
    assert f"{run.MIN_COMPARED} pages compared" in lines[-1]


def test_a_page_with_more_queries_on_the_small_demo_fails(recorded):
    rows = [_page(f"Page {n}", 8) for n in range(run.MIN_COMPARED)]
    rows[3] = _page("Page 3", 9)
    lines, ok = run.compare_counts({"referrals": rows})
    assert not ok
    assert "Page 3 | staff: 9 queries on the small demo, 8 at full scale" in lines[0]


def test_too_few_matching_pages_fail(recorded):
    lines, ok = run.compare_counts({"referrals": [_page("Page 1", 8)]})
    assert not ok and "Only 1 pages matched" in lines[0]


def test_the_summary_divides_by_the_benchmarks_own_baseline_and_flags_misses():
    rows = {
        "pages": [
            Row(BASELINE_LABEL, "staff", 0.010, None, None, "1.0x"),
            _page("Fast page", 5, median=0.040, p95=0.050),
            _page("Heavy page", 5, median=0.120, p95=0.130),
        ],
        "reports": [Row("Build the report", "worker", 12.0, None, None, "MISS")],
    }
    lines, missed = run.summary(rows)
    text = "\n".join(lines)
    assert missed
    assert "| Fast page (pages) | staff | 40.0 ms | 50.0 ms |  | 5 | PASS · 4.0x |" in text
    assert "- MISS: Heavy page (pages), staff: median 120.0 ms, p95 130.0 ms, MISS · 12.0x" in text
    assert "- MISS: Build the report (reports), worker: 12.00 s (MISS)" in text
