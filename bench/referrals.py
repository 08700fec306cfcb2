"""Referral benchmark (issue 5, "Speed"): the inbox, the referral list with its common filters, a referral detail
with a long timeline, and the API's referral list, at full scale on PostgreSQL.

    .venv/bin/python bench/referrals.py [--requests 50] [--strict] [--no-write]

The same database and set-up as bench/directory.py (the helpers both use are in bench/common.py: the environment,
the database, the timing of requests, the baseline, the table and the section of results.md): ``psn_d_bench`` unless
``$DATABASE_URL`` names another (its name must contain "bench"). Seeds the demo district at full scale
(``seed_demo --scale full``: 60,000 people, 120,000 referrals with their transitions and notes) unless it
already is, and once a benchmark referral with the whole legal chain of moves and 50 notes (the lifecycle allows at
most five moves a referral: its timeline is made long by notes). Then, signed in as the demo district's referral
staff of the receiving partner (Second Chance Workforce Center, ~2,800 referrals received) and as the
coordinator (every referral of the task force), times each page over ``--requests`` requests: median, p95, CPU
per request and queries; and the baseline: the cheapest signed-in page (the profile), measured in the same run, so
that a busy machine shows as a higher baseline rather than as slow pages ("x baseline" in the result column).

Prints a markdown table with PASS/MISS per target (median under 100 ms, the same query count for a referral with 50
notes as for one with none, and for the list whatever the filter) and writes it to its own section of
bench/results.md. Exit status 0 unless the benchmark could not run (or, with ``--strict``, a target was missed).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BASELINE_LABEL,
    WARMUP,
    Row,
    baseline,
    baseline_row,
    client_for,
    format_ms,
    parser,
    report,
    scale,
    start,
    time_requests,
    vacuum_analyze,
)

TARGET_MS = 100.0
FULL_REFERRALS = 100_000  # below this the district is not at full scale yet: seed it
BENCH_REASON = "Benchmark referral: the whole chain of moves and 50 notes (bench/referrals.py)."
NOTES = 50
STAFF = "staff@wdmo.example.org"
COORDINATOR = "coordinator@wdmo.example.org"
OFFICER = "officer@wdmo.example.org"


# --- Setup ----------------------------------------------------------------------------------------------------


def setup(args=None) -> tuple[list[Row], dict]:
    """The full-scale district (seeded once), the benchmark referral (made once, through the services), fresh
    planner statistics; returns the set-up rows and the ids the pages need."""
    from django.core.management import call_command

    from cases.models import Note, Referral, Transition
    from partners.models import TaskForce

    rows = []
    size = scale(args) if args is not None else "full"
    wdmo = TaskForce.objects.filter(slug="wdmo").first()
    enough = FULL_REFERRALS if size == "full" else 1
    if wdmo is None or Referral.objects.filter(task_force=wdmo).count() < enough:
        out = io.StringIO()
        started = time.perf_counter()
        call_command("seed_demo", scale=size, stdout=out)
        elapsed = time.perf_counter() - started
        wdmo = TaskForce.objects.get(slug="wdmo")
        created = next((line.strip() for line in out.getvalue().splitlines() if "created now" in line), "")
        rows.append(Row(f"`seed_demo --scale {size}` (first run: directory, accounts, history)", "system", elapsed,
                        None, None, created.removeprefix("created now: ")))  # fmt: skip
    long_one = Referral.objects.filter(task_force=wdmo, reason=BENCH_REASON).first() or _bench_referral(wdmo)
    # A referral of the same partners with the fewest notes: the detail's query count must not depend on them.
    short_one = (
        Referral.objects.filter(
            task_force=wdmo, receiving_partner=long_one.receiving_partner, status=long_one.status, notes__isnull=True
        )
        .order_by("-created_at")
        .first()
    )
    vacuum_analyze()
    long_size = (Transition.objects.filter(referral=long_one).count(), Note.objects.filter(referral=long_one).count())
    ids = {
        "task_force": wdmo,
        "long": long_one.pk,
        "short": short_one.pk if short_one else long_one.pk,
        "long_size": long_size,
        "need": wdmo.taxonomy_terms.get(code="PSN-EMP").pk,
        "received": Referral.objects.filter(task_force=wdmo, receiving_partner=long_one.receiving_partner).count(),
        "total": Referral.objects.filter(task_force=wdmo).count(),
    }
    return rows, ids


def _bench_referral(task_force):
    """Filed by the police officer to the staff's partner and walked through submit, accept, contact, start, with
    50 notes of both partners (shared and internal), all through the services as the web pages call them."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from cases import lifecycle, notes
    from cases.models import Consent, ConsentScope, Person
    from partners.models import Partner
    from psn.access import actor_for

    users = get_user_model().objects
    officer = actor_for(users.get(email=OFFICER), requested_slug=task_force.slug)
    staff = actor_for(users.get(email=STAFF), requested_slug=task_force.slug)
    sender = Partner.objects.get(task_force=task_force, name="Kansas City Police Department")
    receiver = Partner.objects.get(task_force=task_force, name="Second Chance Workforce Center")
    with transaction.atomic():
        person = Person.objects.filter(task_force=task_force, merged_into__isnull=True).order_by("pk").first()
        today = person.created_at.date()
        Consent.objects.create(task_force=task_force, person=person, scope=ConsentScope.TASK_FORCE,
                               shares=["contact", "needs"], method="verbal", given_on=today)  # fmt: skip
        referral = lifecycle.referral_create(
            actor=officer,
            person=person,
            sending_partner=sender,
            receiving_partner=receiver,
            needs=list(task_force.taxonomy_terms.filter(code__in=["PSN-EMP", "PSN-REN"])),
            reason=BENCH_REASON,
        )
        referral = lifecycle.referral_submit(actor=officer, referral=referral)
        referral = lifecycle.referral_accept(actor=staff, referral=referral)
        for index in range(NOTES):
            author = staff if index % 3 else officer
            visibility = "internal" if index % 5 == 4 else "shared"
            notes.note_add(actor=author, referral=referral, body=f"Benchmark note {index + 1}.", visibility=visibility,
                           is_contact=index == 1)  # fmt: skip
            if index == 2:
                referral = lifecycle.referral_start(actor=staff, referral=referral)
    return referral


# --- Pages ----------------------------------------------------------------------------------------------------


def pages(ids: dict) -> list[tuple[str, str, str, dict]]:
    """(label, who, URL, headers) of every measured request."""
    from django.urls import reverse

    listing = reverse("cases:referral_list")
    api = "/api/v1/referrals/"
    header = {"X-Task-Force": "wdmo"}
    filters = [
        ("no filter", {}),
        ("status", {"status": "submitted"}),
        ("overdue", {"overdue": "true"}),
        ("need", {"need": str(ids["need"])}),
        ("text search", {"q": "johnson"}),
        ("reference search", {"q": "R-2026-0001"}),
        ("page 5", {"page": "5"}),
    ]
    rows = [("Inbox (home page)", STAFF, reverse("home"), {})]
    rows += [(f"Referral list: {label}", STAFF, _url(listing, params), {}) for label, params in filters]
    rows += [
        (f"Referral detail: {ids['long_size'][0]} moves, {ids['long_size'][1]} notes", STAFF,
         reverse("cases:referral_detail", args=[ids["long"]]), {}),
        ("Referral detail: no notes", STAFF, reverse("cases:referral_detail", args=[ids["short"]]), {}),
        ("API referrals: no filter", STAFF, api, header),
        ("API referrals: status", STAFF, _url(api, {"status": "submitted"}), header),
        ("API referrals: text search", STAFF, _url(api, {"q": "johnson"}), header),
        ("Inbox (home page)", COORDINATOR, reverse("home"), {}),
        ("Referral list: no filter", COORDINATOR, listing, {}),
        ("Referral list: overdue", COORDINATOR, _url(listing, {"overdue": "true"}), {}),
        ("Referral list: text search", COORDINATOR, _url(listing, {"q": "johnson"}), {}),
        ("API referrals: no filter", COORDINATOR, api, header),
        # The last pages of the whole history: the offset walked on the ids alone (psn/pagination.py).
        ("Referral list: last page", COORDINATOR, _url(listing, {"page": str(last_page(ids["total"], 25))}), {}),
        ("API referrals: last page", COORDINATOR, _url(api, {"page": str(last_page(ids["total"], 50))}), header),
    ]  # fmt: skip
    return rows


def last_page(count: int, per_page: int) -> int:
    return max(1, -(-count // per_page))


def _url(path: str, params: dict) -> str:
    return path + ("?" + urlencode(params) if params else "")


def measure(ids: dict, n: int) -> tuple[list[Row], float]:
    """Each page ``n`` times; the baseline (``common.baseline``) before and after, its median the reference."""
    task_force = ids["task_force"]
    clients = {email: client_for(email, task_force) for email in (STAFF, COORDINATOR)}
    baselines = [baseline(clients[STAFF], n)]
    rows = []
    for label, who, url, headers in pages(ids):
        median, high, count, result, cpu = time_requests(clients[who], url, n, headers)
        name = who.split("@")[0]
        rows.append(Row(label + (f" `{url.split('?', 1)[1]}`" if "?" in url else ""), name, median, high, count,
                        result, cpu))  # fmt: skip
        timing = f"{format_ms(median):>9} {format_ms(high):>9} {cpu:>13} {count:>3} q"
        print(f"  {name:<12} {timing}  {label}", flush=True)
    baselines.append(baseline(clients[STAFF], n))
    reference = statistics.median(baselines)
    for row in rows:
        row.result = f"{row.result} · {row.median / reference:.1f}x"
    return [baseline_row(reference, "staff"), *rows], reference


def verdicts(rows: list[Row]) -> tuple[list[str], bool]:
    rows = [row for row in rows if row.what != BASELINE_LABEL]
    lines, missed = [], False
    for row in rows:
        if row.median >= TARGET_MS / 1000:
            missed = True
            lines.append(f"- MISS: {row.what} ({row.who}): median {format_ms(row.median)}, target {TARGET_MS:.0f} ms")
    passed = sum(row.median < TARGET_MS / 1000 for row in rows)
    lines.insert(
        0, f"- {'PASS' if not missed else 'MISS'}: median under {TARGET_MS:.0f} ms ({passed} of {len(rows)} rows)"
    )
    details = {row.queries for row in rows if row.what.startswith("Referral detail")}
    lists = {(row.who, row.queries) for row in rows if row.what.startswith("Referral list")}
    # A need filter reads its terms' ids first (one query more, whatever the rows: cases/selectors.py).
    constant = len(details) == 1 and len({q for _who, q in lists}) <= 2
    missed |= not constant
    lines.append(
        f"- {'PASS' if constant else 'MISS'}: constant query counts (detail with 50 notes and with none: "
        f"{sorted(details)}; list, every filter: {sorted({q for _w, q in lists})})"
    )
    return lines, missed


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__.splitlines()[0], per="page")
    options.add_argument("--skip-hsds", action="store_true", help=argparse.SUPPRESS)  # bench/run.py passes it on
    args = options.parse_args(argv)

    start(args)
    print("Setting up: the demo district at full scale with its history, the benchmark referral (once)...", flush=True)
    setup_rows, ids = setup(args)
    print(f"Pages: {args.requests} requests each...", flush=True)
    rows, reference = measure(ids, args.requests)
    target_lines, missed = verdicts(rows)
    method = (
        f"- {args.requests} timed requests per row after {WARMUP} warm-up requests, through Django's test client "
        f"(the server's time), demo district at full scale ({ids['total']:,} referrals; the staff's partner "
        f"received {ids['received']:,}), as `staff` (referral staff of Second Chance Workforce Center, the receiving "
        "partner) and `coordinator` (every referral of the task force, metadata only where no party). Queries: the "
        "fewest of three more requests. Result: rows found, then the median as a multiple of the baseline, the "
        f"baseline's median in the same run ({format_ms(reference)}: a signed-in view that runs one query)."
    )
    # A new section goes before the hand-written analysis that follows the directory's.
    return report(
        args,
        name="referrals",
        heading="## Referrals (bench/referrals.py)",
        method=method,
        rows=setup_rows + rows,
        targets=target_lines,
        missed=missed,
        after="directory",
    )


if __name__ == "__main__":
    sys.exit(main())
