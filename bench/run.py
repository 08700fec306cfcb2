"""Run every benchmark (``make bench``), then print and write the summary: one table of every page and API list with
its query count, median, p95 and multiple of the baseline, and the jobs (seeding, a month's report, HSDS export and
import, a worker's peak memory), each against its target.

Each benchmark is a script of this folder run in its own process (each configures Django for itself) and keeps its
rows in var/bench/<name>.<database>.json; the summary is built from those. Arguments are passed to every benchmark
(``--requests 20``, ``--strict``...).

``--smoke`` (CI, ``.ci/run``): every benchmark on the small demo with a few requests, nothing written to results.md;
the run fails when a benchmark fails, or when a page's query count differs from the one recorded at full scale
(bench/query_counts.json, written by every full run): the same page must cost the same number of queries on 400
people as on 60,000. Times are not judged.

Exit status: the first non-zero status of a benchmark, else 1 when the smoke run's query counts differ, else 0.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import (  # noqa: E402 - after the path
    BASELINE_LABEL,
    DEFAULT_DATABASE_URL,
    Row,
    format_ms,
    format_s,
    load_rows,
    machine_lines_without_django,
    table,
    write_results,
)

# In the order they run. Each prints its table and updates its own section of bench/results.md.
BENCHMARKS = ["directory.py", "referrals.py", "reports.py", "pages.py", "memory.py"]
NAMES = {script: script.removesuffix(".py") for script in BENCHMARKS}
QUERY_COUNTS = HERE / "query_counts.json"
# Fewer matching rows than this in a smoke run means the comparison itself broke (labels changed): a failure.
MIN_COMPARED = 20
TARGET_MS, TARGET_P95_MS, TARGET_RATIO = 100.0, 250.0, 10.0


def _database() -> str:
    return (os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL).rsplit("/", 1)[-1].split("?", 1)[0]


def _is_page(row: Row) -> bool:
    """A timed page or API list (many requests), not a job timed once."""
    return row.p95 is not None


def collect(database: str) -> dict[str, list[Row]]:
    return {name: load_rows(name, database) for name in NAMES.values()}


def summary(rows_by_bench: dict[str, list[Row]]) -> tuple[list[str], bool]:
    """The summary table and its verdicts: every page against the page targets (its multiple of the baseline its own
    benchmark measured around it), every job as its benchmark judged it."""
    rows, missed, references = [], [], []
    for name, bench_rows in rows_by_bench.items():
        base = next((row for row in bench_rows if row.what == BASELINE_LABEL), None)
        if base is not None:
            references.append(base.median)
            rows.append(Row(f"{base.what} ({name})", base.who, base.median, None, None, "1.0x"))
        for row in bench_rows:
            if row is base:
                continue
            if _is_page(row):
                ratio = row.median / base.median if base else None
                verdicts = [row.median * 1000 < TARGET_MS, row.p95 * 1000 < TARGET_P95_MS]
                if ratio is not None:
                    verdicts.append(ratio < TARGET_RATIO)
                verdict = "PASS" if all(verdicts) else "MISS"
                shown = f"{verdict} · {ratio:.1f}x" if ratio is not None else verdict
                rows.append(Row(f"{row.what} ({name})", row.who, row.median, row.p95, row.queries, shown, row.cpu))
            else:
                verdict = "MISS" if "MISS" in row.result else ("PASS" if "PASS" in row.result else "")
                rows.append(Row(f"{row.what} ({name})", row.who, row.median, None, row.queries, row.result, row.cpu))
            if verdict == "MISS":
                missed.append(rows[-1])
    lines = table(rows)
    pages = [row for row in rows if row.p95 is not None]
    baselines = ", ".join(format_ms(value) for value in references) or "not measured"
    lines += [
        "",
        "Targets (DESIGN.md, issue 8): every page and API list: median under "
        f"{TARGET_MS:.0f} ms, p95 under {TARGET_P95_MS:.0f} ms, under {TARGET_RATIO:.0f}x the baseline its benchmark "
        f"measured around it ({baselines}); a month's report under 10 s; an HSDS import of 10,000 services under "
        "60 s.",
        "",
        f"- Pages: {sum(not row.result.startswith('MISS') for row in pages)} of {len(pages)} meet every target.",
    ]
    lines += [f"- MISS: {row.what}, {row.who}: {_shown(row)}" for row in missed]
    if not missed:
        lines.append("- PASS: every row.")
    return lines, bool(missed)


def _shown(row: Row) -> str:
    if row.p95 is None:
        return f"{format_s(row.median)} ({row.result})"
    return f"median {format_ms(row.median)}, p95 {format_ms(row.p95)}, {row.result}"


def _empty(row: Row) -> bool:
    """A page that found nothing: it skips the queries of its rows' details (a search the small demo cannot match)."""
    return row.result.split(" ", 1)[0] == "0"


def page_counts(rows_by_bench: dict[str, list[Row]], *, skip_empty: bool = False) -> dict[str, dict[str, int]]:
    return {
        name: {
            f"{row.what} | {row.who}": row.queries
            for row in rows
            if _is_page(row) and row.queries is not None and not (skip_empty and _empty(row))
        }
        for name, rows in rows_by_bench.items()
    }


def compare_counts(rows_by_bench: dict[str, list[Row]]) -> tuple[list[str], bool]:
    """The smoke run's query counts against the full run's (``QUERY_COUNTS``)."""
    if not QUERY_COUNTS.exists():
        return [f"No {QUERY_COUNTS.name}: run `make bench` at full scale once."], False
    recorded = json.loads(QUERY_COUNTS.read_text(encoding="utf-8"))
    lines, compared, ok = [], 0, True
    for name, counts in page_counts(rows_by_bench, skip_empty=True).items():
        for key, queries in counts.items():
            full = recorded.get(name, {}).get(key)
            if full is None:
                continue
            compared += 1
            if full != queries:
                ok = False
                lines.append(f"DIFFERENT: {name}: {key}: {queries} queries on the small demo, {full} at full scale")
    if compared < MIN_COMPARED:
        ok = False
        lines.append(f"Only {compared} pages matched {QUERY_COUNTS.name} (at least {MIN_COMPARED} expected).")
    lines.append(f"Query counts: {compared} pages compared with the full scale: {'the same' if ok else 'see above'}.")
    return lines, ok


def main(argv: list[str]) -> int:
    smoke = "--smoke" in argv
    status = 0
    for script in BENCHMARKS:
        print(f"== bench/{script} ==", flush=True)
        started = time.perf_counter()
        # The same interpreter (the project's virtualenv), a fixed script of this folder.
        completed = subprocess.run([sys.executable, str(HERE / script), *argv], check=False)  # noqa: S603
        print(f"== bench/{script}: exit {completed.returncode} after {time.perf_counter() - started:.0f} s ==")
        status = status or completed.returncode
    rows_by_bench = collect(_database())
    if smoke:
        lines, ok = compare_counts(rows_by_bench)
        print("\n".join(lines))
        return status or (0 if ok else 1)
    lines, _missed = summary(rows_by_bench)
    section = [
        "## Summary: every page and job (bench/run.py)",
        "",
        *machine_lines_without_django(_database()),
        "- From the runs of this `make bench` (each benchmark's own section below says how it measured). Pages: "
        "median, p95 and queries as measured; the result: PASS when the median, the p95 and the multiple of the "
        "baseline meet their targets, then the multiple.",
        "",
        *lines,
        "",
    ]
    print("\n".join(section))
    if "--no-write" not in argv:
        write_results("summary", section, first=True)
        QUERY_COUNTS.write_text(json.dumps(page_counts(rows_by_bench), indent=1, sort_keys=True) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
