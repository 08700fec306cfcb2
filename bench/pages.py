"""Page benchmark (issue 8): the pages the directory, referral and report benchmarks do not time, at full scale on
PostgreSQL: the person duplicate check (the people page's form and the API), the meeting list (upcoming, past, a
month) and its API, and the calendar feed; with the baseline they are all compared with.

    .venv/bin/python bench/pages.py [--requests 50] [--strict] [--no-write]

The same database and set-up as bench/referrals.py (``$DATABASE_URL``, a name containing "bench"; the demo district
at full scale, seeded when it is not: 60,000 people, 120,000 referrals, ~5,000 meetings). Signed in as the demo
district's referral staff (Second Chance Workforce Center) and coordinator, each page over ``--requests`` requests
through Django's test client: median, p95, CPU per request and queries, and the median as a multiple of the
baseline (``bench/baseline_urls.py``: a signed-in view that runs one query), measured before and after the pages.

The duplicate check posts a person who is a near copy of one on record (a letter of the first name swapped, the same
last name and date of birth): the page shows the candidates and writes nothing, the API answers 409 with them. The
calendar feed is the coordinator's (every meeting of the task force they are invited to and their action items),
read without signing in, as a calendar program reads it.

Targets (DESIGN.md, issue 8): median under 100 ms, p95 under 250 ms, under 10x the baseline.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    WARMUP,
    Row,
    baseline,
    baseline_row,
    client_for,
    format_ms,
    parser,
    report,
    start,
    time_requests,
)
from bench.referrals import COORDINATOR, STAFF, setup

TARGET_MS = 100.0
TARGET_P95_MS = 250.0
TARGET_RATIO = 10.0


def _near_copy(task_force) -> dict:
    """The names and date of birth of a person on record, the first name's middle letters swapped: what a caseworker
    types for someone already there."""
    from cases.models import Person

    person = (
        Person.objects.filter(task_force=task_force, merged_into__isnull=True, date_of_birth__isnull=False)
        .exclude(given_name="")
        .order_by("pk")
        .first()
    )
    given = person.given_name
    if len(given) > 3:
        middle = len(given) // 2
        given = given[: middle - 1] + given[middle] + given[middle - 1] + given[middle + 1 :]
    return {"given_name": given, "family_name": person.family_name, "date_of_birth": f"{person.date_of_birth:%Y-%m-%d}"}


def _feed_path(task_force) -> str:
    """A calendar feed address of the coordinator's, made once per run (making one revokes the one before)."""
    from django.contrib.auth import get_user_model

    from meetings import feed

    coordinator = get_user_model().objects.get(email=COORDINATOR)
    url = feed.calendar_feed_create(user=coordinator)
    return "/" + url.split("://", 1)[-1].split("/", 1)[1]


def pages(task_force) -> list[tuple[str, str, str, dict, dict | None, int]]:
    """(label, who, URL, headers, POST data or None, expected status) of every measured request."""
    from django.urls import reverse
    from django.utils import timezone

    person = _near_copy(task_force)
    api = {"X-Task-Force": task_force.slug}
    api_json = {**api, "Content-Type": "application/json"}
    meetings = reverse("meetings:meeting_list")
    month = f"{timezone.localdate(timezone=task_force.tzinfo):%Y-%m}"
    return [
        ("Person duplicate check (the form, candidates shown)", STAFF, reverse("people:person_create"), {}, person,
         200),
        ("API person duplicate check (409 with candidates)", STAFF, "/api/v1/people/", api_json, person, 409),
        ("Meeting list: upcoming", STAFF, meetings, {}, None, 200),
        ("Meeting list: past", STAFF, _url(meetings, {"when": "past"}), {}, None, 200),
        ("Meeting list: upcoming", COORDINATOR, meetings, {}, None, 200),
        ("Meeting list: past", COORDINATOR, _url(meetings, {"when": "past"}), {}, None, 200),
        ("Meeting list: a month's calendar", COORDINATOR, _url(meetings, {"view": "month", "month": month}), {},
         None, 200),
        ("Action items", COORDINATOR, reverse("meetings:action_item_list"), {}, None, 200),
        ("API meetings", COORDINATOR, "/api/v1/meetings/", api, None, 200),
        ("Calendar feed (.ics, no sign-in)", "anonymous", _feed_path(task_force), {}, None, 200),
    ]  # fmt: skip


def _url(path: str, params: dict) -> str:
    return path + ("?" + urlencode(params) if params else "")


def measure(task_force, n: int) -> tuple[list[Row], float]:
    """Each page ``n`` times between two baselines; the result column: rows found and the multiple of the
    baseline."""
    from django.test import Client

    clients = {email: client_for(email, task_force) for email in (STAFF, COORDINATOR)}
    clients["anonymous"] = Client()
    from bench.baseline_urls import BASELINE_PATH

    first = time_requests(clients[STAFF], BASELINE_PATH, n)
    rows = []
    for label, who, url, headers, data, expect in pages(task_force):
        median, high, count, result, cpu = time_requests(clients[who], url, n, headers, data=data, expect=expect)
        name = who.split("@")[0]
        shown = label + (f" `{url.split('?', 1)[1]}`" if "?" in url else "")
        rows.append(Row(shown, name, median, high, count, result, cpu))
        print(f"  {name:<12} {format_ms(median):>9} {format_ms(high):>9} {cpu:>13} {count:>3} q  {label}", flush=True)
    reference = statistics.median([first[0], baseline(clients[STAFF], n)])
    rows.insert(0, baseline_row(reference, "staff"))
    for row in rows[1:]:
        row.result = f"{row.result} · {row.median / reference:.1f}x"
    return rows, reference


def verdicts(rows: list[Row], reference: float) -> tuple[list[str], bool]:
    pages_only = rows[1:]
    slow = [row for row in pages_only if row.median * 1000 >= TARGET_MS]
    spiky = [row for row in pages_only if row.p95 is not None and row.p95 * 1000 >= TARGET_P95_MS]
    heavy = [row for row in pages_only if row.median / reference >= TARGET_RATIO]
    checks = [
        (f"median under {TARGET_MS:.0f} ms", slow, lambda row: format_ms(row.median)),
        (f"p95 under {TARGET_P95_MS:.0f} ms", spiky, lambda row: format_ms(row.p95)),
        (f"under {TARGET_RATIO:.0f}x the baseline", heavy, lambda row: f"{row.median / reference:.1f}x"),
    ]
    lines = []
    for name, missed, shown in checks:
        detail = "; ".join(f"{row.what} ({row.who}): {shown(row)}" for row in missed)
        counted = f"{len(pages_only) - len(missed)} of {len(pages_only)} rows"
        lines.append(f"- {'MISS' if missed else 'PASS'}: {name} ({counted}){': ' + detail if detail else ''}")
    return lines, bool(slow or spiky or heavy)


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__.splitlines()[0], per="page")
    args = options.parse_args(argv)
    start(args)
    print("Setting up: the demo district at full scale (once)...", flush=True)
    setup_rows, ids = setup(args)
    task_force = ids["task_force"]
    print(f"Pages: {args.requests} requests each...", flush=True)
    rows, reference = measure(task_force, args.requests)
    targets, missed = verdicts(rows, reference)
    method = (
        f"- {args.requests} timed requests per row after {WARMUP} warm-up requests, through Django's test client "
        f"(the server's time), demo district at full scale ({ids['total']:,} referrals), as `staff` (referral staff "
        "of Second Chance Workforce Center) and `coordinator`; the calendar feed without signing in. Queries: the "
        "fewest of three more requests. Result: rows found (where the page says), then the median as a multiple of "
        f"the baseline ({format_ms(reference)}, the median of a run before and one after the pages)."
    )
    return report(
        args,
        name="pages",
        heading="## People, meetings and the calendar feed (bench/pages.py)",
        method=method,
        rows=setup_rows + rows,
        targets=targets,
        missed=missed,
        after="reports",
    )


if __name__ == "__main__":
    sys.exit(main())
