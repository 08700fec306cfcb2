"""Report benchmark (issue 7, "Speed"): building one month's report of the demo district at full scale on PostgreSQL,
including both PDFs, with the time of each phase; and the report page of the finished snapshot.

    .venv/bin/python bench/reports.py [--requests 50] [--strict] [--no-write] [--month YYYY-MM]

The same database and set-up as bench/referrals.py (``$DATABASE_URL``, a name containing "bench"): the demo district
at full scale (``seed_demo --scale full``: 120,000 referrals with their transitions, ~5,000 meetings) is seeded when
it is not yet. The month is the last complete one of the seeded history unless ``--month`` says otherwise. Each
phase is timed as the build runs it (metrics by section, the comparison months, the 12-month trend, suppression,
CSVs, the two PDFs with their charts, the save), over ``--builds`` builds (default 3, each a new version), and the
page of the last one over ``--requests`` requests.

Target: a month's report in under 10 s, PDFs included; the page's median under 100 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    WARMUP,
    Row,
    baseline,
    baseline_row,
    client_for,
    format_ms,
    format_s,
    parser,
    report,
    scale,
    start,
    time_requests,
    vacuum_analyze,
)
from bench.referrals import COORDINATOR, FULL_REFERRALS

TARGET_BUILD_S = 10.0
# The build tells its progress after each section of the numbers (named after it), and before its last two steps
# (named after what comes next): the time up to each label, named for what it measured.
STEP_NAMES = {"files": "suppression (the shared version)", "saving": "files: the two CSVs and the two PDFs"}
TARGET_PAGE_MS = 100.0


def district(args):
    """The demo district with its history and meetings (seeded at the run's scale when it is not), fresh statistics."""
    import io

    from django.core.management import call_command

    from cases.models import Referral
    from meetings.models import Meeting
    from partners.models import TaskForce

    size = scale(args)
    wdmo = TaskForce.objects.filter(slug="wdmo").first()
    seeded = (
        wdmo is not None
        and Referral.objects.filter(task_force=wdmo).count() >= (FULL_REFERRALS if size == "full" else 1)
        and Meeting.objects.filter(task_force=wdmo).exists()
    )
    if not seeded:  # seed_demo is idempotent: on a district seeded before meetings existed it adds only them
        call_command("seed_demo", scale=size, stdout=io.StringIO())
        wdmo = TaskForce.objects.get(slug="wdmo")
    vacuum_analyze()
    return wdmo


def _timed_renderers(phases: dict[str, list[float]]) -> dict:
    """The real PDF renderer, timed per call (the full and the shared PDF)."""
    from reports.rendering import renderers

    pdf = renderers()["pdf"]

    def timed(snapshot, numbers):
        started = time.perf_counter()
        content = pdf(snapshot, numbers)
        version = "shared" if numbers["meta"].get("shared") else "full"
        label = f"within the files: the {version} version's PDF (charts included)"
        phases.setdefault(label, []).append(time.perf_counter() - started)
        return content

    return {"pdf": timed}


def build(task_force, month, builds: int) -> tuple[list[float], dict[str, list[float]], object]:
    """``builds`` builds of the month: the total time of each and the time of each phase."""
    from reports import services

    phases: dict[str, list[float]] = {}
    totals = []
    snapshot = None
    for _ in range(builds):
        marks: list[tuple[float, str]] = []
        queued = services.report_queue(task_force=task_force, month=month, enqueue=False)
        started = time.perf_counter()
        snapshot = services.report_build(
            snapshot_id=queued.pk,
            renderers=_timed_renderers(phases),
            echo=lambda percent, label, marks=marks: marks.append((time.perf_counter(), label)),
        )
        finished = time.perf_counter()
        totals.append(finished - started)
        previous = started
        for moment, label in marks:
            phases.setdefault(STEP_NAMES.get(label, f"numbers: {label}"), []).append(moment - previous)
            previous = moment
        phases.setdefault("saving the snapshot", []).append(finished - previous)
    return totals, phases, snapshot


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__.split("\n\n")[0], per="page")
    options.add_argument("--builds", type=int, default=3, help="builds of the month (default 3)")
    options.add_argument("--month", default="", help="the month, YYYY-MM (default: the last complete one)")
    args = options.parse_args(argv)
    start(args)

    from django.urls import reverse
    from django.utils import timezone

    from reports import metrics

    wdmo = district(args)
    if args.smoke:
        args.builds = 1
    today = timezone.localdate(timezone=wdmo.tzinfo)
    month = metrics.month_of(args.month) if args.month else metrics.Period(wdmo, today.replace(day=1)).shifted(-1).month
    totals, phases, snapshot = build(wdmo, month, args.builds)
    rows = [
        Row(
            f"Build the report of {month:%Y-%m} (numbers, CSVs, both PDFs)",
            "worker",
            statistics.median(totals),
            None,
            None,
            "PASS" if statistics.median(totals) < TARGET_BUILD_S else "MISS",
        )
    ]
    for label, samples in phases.items():
        rows.append(Row(f"  phase: {label}", "worker", statistics.median(samples), None, None, ""))
    client = client_for(COORDINATOR, wdmo)
    base = baseline(client, args.requests)
    url = reverse("reports:report_detail", kwargs={"pk": snapshot.pk})
    median, high, queries, _count, cpu = time_requests(client, url, args.requests)
    rows.append(baseline_row(base, "coordinator"))
    rows.append(
        Row(
            "Report page (done snapshot)",
            "coordinator",
            median,
            high,
            queries,
            f"{'PASS' if median * 1000 < TARGET_PAGE_MS else 'MISS'} ({median / base:.1f}x baseline)",
            cpu,
        )
    )
    build_ok = statistics.median(totals) < TARGET_BUILD_S
    page_ok = median * 1000 < TARGET_PAGE_MS
    targets = [
        f"- A month's report under {TARGET_BUILD_S:.0f} s, PDFs included: "
        f"{'PASS' if build_ok else 'MISS'} ({format_s(statistics.median(totals))}, median of {len(totals)} builds)",
        f"- The report page under {TARGET_PAGE_MS:.0f} ms: {'PASS' if page_ok else 'MISS'} ({format_ms(median)})",
    ]
    method = (
        f"- Method: {len(totals)} builds of one month through `reports.services.report_build` in this process (as "
        f"the worker runs it), each phase timed from the build's own progress steps; the page over {args.requests} "
        f"requests after {WARMUP} warm-up ones, baseline (a signed-in view that runs one query) {format_ms(base)}."
    )
    return report(
        args,
        name="reports",
        heading="## Reports: a month's build and its page (issue 7)",
        method=method,
        rows=rows,
        targets=targets,
        missed=not (build_ok and page_ok),
        after="referrals",
    )


if __name__ == "__main__":
    sys.exit(main())
