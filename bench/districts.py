"""Multi-district benchmark (issue 8, item 5): every page of one district as fast with ten districts in the
database as with one.

    .venv/bin/python bench/districts.py [--requests 50] [--rounds 2] [--reuse] [--strict] [--no-write]

Runs the page benchmarks (bench/referrals.py, and bench/directory.py with ``--skip-hsds``), each in its own process
with ``--no-write`` (their sections of bench/results.md stay as they are), on the one-district database
(``psn_d_bench``: ``seed_demo --scale full``) and on the ten-district one (``psn_m_bench``: ``seed_demo --scale full
--task-forces 10``, seeded beforehand: this script seeds nothing). Both measure the demo district wdmo, signed in as
its demo accounts. Each run leaves its rows in var/bench/<name>.<database>.json (``common.save_rows``); the runs
take turns between the databases, ``--rounds`` times, and each page's better median of its rounds is kept: the
machine is shared, and a page slowed by a neighbour's burst in one round is not slowed in the next.
``--reuse`` compares the rows the last runs left without running anything.

Prints one table, page by page: the median with one district and with ten, their ratio and the queries of each;
PASS when every page's median with ten districts is within 25 % (or 5 ms) of the one-district figure. Writes its
section "districts" of bench/results.md unless ``--no-write``. Exit status 0 unless a benchmark could not run (or,
with ``--strict``, the target was missed).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    DEFAULT_DATABASE_URL,
    LAST_RUNS,
    ROOT,
    Row,
    configure,
    format_ms,
    load_rows,
    machine,
    parser,
    save_rows,
    write_results,
)

ONE = "psn_d_bench"  # seed_demo --scale full
MANY = "psn_m_bench"  # seed_demo --scale full --task-forces 10
# The page benchmarks: (name of their rows, script, its extra arguments).
BENCHMARKS = [("referrals", "referrals.py", []), ("directory", "directory.py", ["--skip-hsds"])]
RATIO = 1.25  # with ten districts a page may take a quarter longer...
SLACK_S = 0.005  # ...or 5 ms: a 20 ms page varies by that much from run to run


def database_url(name: str) -> str:
    return DEFAULT_DATABASE_URL.rsplit("/", 1)[0] + "/" + name


def run(script: str, extra: list[str], database: str, args) -> None:
    """One page benchmark on ``database``, in its own process; its rows land in var/bench."""
    command = [sys.executable, str(ROOT / "bench" / script), "--requests", str(args.requests), "--no-write", *extra]
    if args.allow_any_database:
        command.append("--allow-any-database")
    env = {**os.environ, "DATABASE_URL": database_url(database)}
    print(f"== bench/{script} on {database} ==", flush=True)
    started = time.perf_counter()
    # The same interpreter (the project's virtualenv), a fixed script of this folder.
    completed = subprocess.run(command, env=env, check=False, capture_output=True, text=True)  # noqa: S603
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-3000:])
        sys.exit(f"bench/{script} on {database} failed (exit {completed.returncode}).")
    print(f"   {time.perf_counter() - started:.0f} s", flush=True)


def page_key(row: Row) -> tuple[str, str]:
    """A page as both databases name it: its label without the query string, which holds ids and page numbers
    that differ between them (``need=1``, ``page=4794``)."""
    return row.what.split(" `", 1)[0], row.who


def best(runs: list[list[Row]]) -> dict[tuple[str, str], Row]:
    """Each page's row with the lowest median over the runs (the setup rows, timed once, left out)."""
    kept: dict[tuple[str, str], Row] = {}
    for rows in runs:
        for row in rows:
            if row.p95 is None:
                continue
            key = page_key(row)
            if key not in kept or row.median < kept[key].median:
                kept[key] = row
    return kept


def measure(args) -> dict[str, dict[str, dict[tuple[str, str], Row]]]:
    """{benchmark: {database: {(page, who): best row}}}, running the benchmarks unless ``--reuse``."""
    runs: dict[str, dict[str, list[list[Row]]]] = {name: {ONE: [], MANY: []} for name, _s, _e in BENCHMARKS}
    for round_number in range(0 if args.reuse else args.rounds):
        # Turns: one district first in odd rounds, ten first in even ones.
        order = [ONE, MANY] if round_number % 2 == 0 else [MANY, ONE]
        for name, script, extra in BENCHMARKS:
            for database in order:
                run(script, extra, database, args)
                runs[name][database].append(load_rows(name, database))
    if args.reuse:
        for name, _script, _extra in BENCHMARKS:
            for database in (ONE, MANY):
                runs[name][database].append(load_rows(name, database))
                if not runs[name][database][0]:
                    sys.exit(f"No rows of {name} on {database} in {LAST_RUNS}: run without --reuse first.")
    return {name: {database: best(found) for database, found in per.items()} for name, per in runs.items()}


def compare(measured) -> tuple[list[str], list[Row], bool]:
    """The side-by-side table, the rows to keep (ten districts' figures) and whether a page missed."""
    lines = [
        "| Page | Who | Median, 1 district | Median, 10 districts | Ratio | Queries (1 / 10) | Verdict |",
        "|---|---|--:|--:|--:|--:|---|",
    ]
    rows, missed = [], False
    for name, per in measured.items():
        for key, one in per[ONE].items():
            many = per[MANY].get(key)
            if many is None:
                lines.append(f"| {one.what} | {one.who} | {format_ms(one.median)} | not measured | | | MISS |")
                missed = True
                continue
            ratio = many.median / one.median
            ok = many.median <= one.median * RATIO or many.median - one.median <= SLACK_S
            same = one.queries == many.queries
            missed |= not ok or not same
            queries = f"{one.queries} / {many.queries}" + ("" if same else " (differ)")
            verdict = "PASS" if ok and same else "MISS"
            lines.append(
                f"| {one.what} | {one.who} | {format_ms(one.median)} | {format_ms(many.median)} | {ratio:.2f} "
                f"| {queries} | {verdict} |"
            )
            rows.append(
                Row(
                    f"{name}: {one.what}",
                    one.who,
                    many.median,
                    many.p95,
                    many.queries,
                    f"{ratio:.2f}x of one district ({format_ms(one.median)})",
                    many.cpu,
                )
            )
    return lines, rows, missed


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__.splitlines()[0], per="page")
    options.add_argument("--rounds", type=int, default=2, help="runs of each benchmark on each database (default 2)")
    options.add_argument("--reuse", action="store_true", help="compare the rows the last runs left; run nothing")
    args = options.parse_args(argv)

    measured = measure(args)
    # Django for the machine lines and the rows file: the ten-district database, read only.
    configure(database_url(MANY))
    import django

    django.setup()
    lines, rows, missed = compare(measured)
    within = sum(line.endswith("| PASS |") for line in lines)
    rounds = "the rows of the last runs (--reuse)" if args.reuse else f"the better of {args.rounds} runs"
    section = [
        "## Ten districts against one (bench/districts.py)",
        "",
        *machine(),
        f"- The page benchmarks (bench/referrals.py, bench/directory.py --skip-hsds) with {args.requests} requests "
        f"per page, on `{ONE}` (the demo district at full scale) and on `{MANY}` (the demo district and nine "
        f"generated ones, all at full scale: `seed_demo --scale full --task-forces 10`), taking turns; each "
        f"page's median is {rounds}. Both measure the demo district wdmo as its demo accounts.",
        "",
        *lines,
        "",
        "Target:",
        "",
        f"- {'MISS' if missed else 'PASS'}: every page's median with ten districts within {RATIO - 1:.0%} (or "
        f"{SLACK_S * 1000:.0f} ms) of the one-district figure, with the same queries ({within} of {len(lines) - 2} "
        "pages)",
        "",
    ]
    print()
    print("\n".join(section))
    save_rows("districts", rows)
    if not args.no_write:
        write_results("districts", section, after="referrals")
        print(f"Written to {Path('bench/results.md')}.")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
