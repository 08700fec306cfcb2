"""Directory benchmark (issue 4, "Speed"): the directory search at full scale and HSDS export and import of
10,000 services, on PostgreSQL.

    .venv/bin/python bench/directory.py [--requests 50] [--skip-hsds] [--strict]

Uses the database ``psn_d_bench`` on the local PostgreSQL (127.0.0.1:5432, user postgres), creating it if needed,
or ``$DATABASE_URL`` when given (its database name must contain "bench", unless ``--allow-any-database``: the
benchmark writes demo data). Migrates, seeds the demo district at full scale (``seed_demo --scale full``: 150
partners, 3,000 services) unless it already is, then:

- times the directory's search pages (``partners:service_list``, ``partners:partner_list``) and the API's service
  search through Django's test client, signed in as the demo coordinator and as a member: median and p95 of the
  server time over ``--requests`` requests per query, their CPU time (this process and the PostgreSQL backend,
  which a busy machine inflates far less than wall-clock time) and the queries of a request;
- builds a second task force with 10,000 services (once, in bulk), times its HSDS export (JSON and the CSV
  package) and the import of each export into an empty task force (rolled back afterwards, so every run starts
  from the same database).

Prints one markdown table with PASS/MISS per target (search median under 50 ms, import of 10,000 services under
60 s) and writes it to bench/results.md with the machine, the date and the commit. Exit status 0 unless the
benchmark could not run (or, with ``--strict``, a target was missed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import math
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/psn_d_bench"

SEARCH_TARGET_MS = 50.0
IMPORT_TARGET_S = 60.0
HSDS_SERVICES = 10_000
HSDS_PARTNERS = 400
HSDS_SLUG = "bench-hsds"
WARMUP = 3

# The queries a directory user types: (label, parameters). Codes are the default taxonomy's.
SERVICE_QUERIES = [
    ("no filter", {}),
    ("word", {"q": "housing"}),
    ("typo", {"q": "mentorng"}),
    ("two words", {"q": "job training"}),
    ("category", {"category": "PSN-HOU"}),
    ("language", {"language": "es"}),
    (
        "word + category + language + accepting",
        {"q": "housing", "category": "PSN-HOU", "language": "es", "accepting": "true"},
    ),
    ("category + language", {"category": "PSN-MH", "language": "es"}),
    ("page 5", {"page": "5"}),
    ("word, page 5", {"q": "counselling", "page": "5"}),
]  # fmt: skip
PARTNER_QUERIES = [
    ("no filter", {}),
    ("word", {"q": "housing"}),
    ("typo", {"q": "workforse"}),
    ("kind", {"kind": "service_provider"}),
    ("category", {"category": "PSN-HOU"}),
    ("language", {"language": "es"}),
    (
        "word + kind + category + language",
        {"q": "housing", "kind": "service_provider", "category": "PSN-HOU", "language": "es"},
    ),
    ("page 5", {"page": "5"}),
]  # fmt: skip
API_QUERIES = [
    ("no filter", {}),
    ("word", {"q": "housing"}),
    ("typo", {"q": "mentorng"}),
    ("word + category + language", {"q": "housing", "category": "PSN-HOU", "language": "es"}),
]
USERS = [("coordinator", "coordinator@wdmo.example.org"), ("member", "member@wdmo.example.org")]


def configure(database_url: str) -> None:
    """The environment the settings read, before Django starts: the benchmark's database, production-like
    settings (DEBUG off: no query log slowing requests) and nothing that reaches the outside."""
    var_dir = Path(tempfile.mkdtemp(prefix="psn-bench-"))
    (var_dir / "static").mkdir()
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "PSN_HTTPS": "false",
            "PSN_REQUIRE_MFA": "false",
            "ALLOWED_HOSTS": "testserver",
            "EMAIL_URL": "",
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "PSN_VAR_DIR": str(var_dir),
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            # The benchmark sends a few hundred API requests a minute as one user.
            "PSN_API_USER_RATE": "1000000/minute",
        }
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-" + secrets.token_urlsafe(40))
    os.environ.setdefault("PSN_DEMO_PASSWORD", "bench-" + secrets.token_urlsafe(12))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psn.settings")
    sys.path.insert(0, str(ROOT))


@dataclass
class Row:
    what: str
    who: str
    median: float  # seconds
    p95: float | None  # seconds; None for a single run
    queries: int | None
    result: str
    cpu: str = ""  # CPU time per request: this process (view, template) + the database backend


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


# --- Setup ----------------------------------------------------------------------------------------------------


def ensure_database(allow_any: bool) -> None:
    import psycopg
    from django.conf import settings
    from psycopg import sql

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"bench/directory.py measures PostgreSQL; DATABASE_URL names {db['ENGINE']}.")
    if "bench" not in db["NAME"] and not allow_any:
        sys.exit(
            f"Refusing to write benchmark data into the database {db['NAME']!r}: its name does not contain "
            "'bench'. Pass --allow-any-database if you mean it."
        )
    params = {"dbname": "postgres", "autocommit": True, "connect_timeout": 10}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user"), ("PASSWORD", "password")):
        if db.get(key):
            params[name] = db[key]
    with psycopg.connect(**params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            print(f"Created the database {db['NAME']}.")


def vacuum_analyze() -> None:
    """What autovacuum does on a live server a minute after a bulk load: fresh planner statistics (without them
    the planner takes 3,000 services for 3 and picks nested loops: searches took 130 ms instead of 27 ms) and GIN
    pending lists merged into the full-text and trigram indexes (scanned linearly until then)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def setup() -> list[Row]:
    """The demo district at full scale and the HSDS benchmark's task force of 10,000 services (each built once),
    fresh planner statistics, and the time the bulk write of the full demo directory takes, measured into a
    throwaway task force that is rolled back."""
    from django.core.management import call_command
    from django.db import transaction

    from partners.demo_directory import FULL, Scale, seed_directory
    from partners.models import TaskForce
    from partners.services import taxonomy_seed

    rows = []
    wdmo = TaskForce.objects.filter(slug="wdmo").first()
    if wdmo is None or wdmo.partners.count() < FULL.partners or wdmo.services.count() < FULL.services:
        started = time.perf_counter()
        call_command("seed_demo", scale="full", stdout=io.StringIO())
        elapsed = time.perf_counter() - started
        rows.append(Row("`seed_demo --scale full` (first run, with accounts)", "system", elapsed, None, None, ""))
    # The HSDS benchmark's task force lives in the same database, as other tenants do on a server: the search
    # of one task force is measured with it present, on every run alike.
    source, _ = TaskForce.objects.get_or_create(
        slug=HSDS_SLUG, defaults={"name": f"Benchmark: HSDS {HSDS_SERVICES:,} services"}
    )
    taxonomy_seed(task_force=source)
    if source.services.count() != HSDS_SERVICES:
        started = time.perf_counter()
        with transaction.atomic():
            seed_directory(source, Scale(partners=HSDS_PARTNERS, services=HSDS_SERVICES))
        elapsed = time.perf_counter() - started
        rows.append(Row("Bulk write of the HSDS benchmark's task force (first run)", "system", elapsed, None, None, ""))
    with transaction.atomic():
        scratch = TaskForce.objects.create(slug="bench-seed", name="Benchmark: seed")
        taxonomy_seed(task_force=scratch)
        started = time.perf_counter()
        created = seed_directory(scratch, FULL)
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    rows.append(
        Row(
            "Bulk write of the full demo directory (`seed_directory`, rolled back)",
            "system",
            elapsed,
            None,
            None,
            f"{created['partners']} partners, {created['services']:,} services",
        )
    )
    vacuum_analyze()  # after the rolled-back rows too: their dead tuples and index entries
    return rows


# --- Search ---------------------------------------------------------------------------------------------------


def _client_for(email: str, task_force):
    from django.contrib.auth import get_user_model
    from django.test import Client

    from psn.middleware import SESSION_KEY

    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    session = client.session
    session[SESSION_KEY] = task_force.pk  # the coordinator also serves edmo: act in wdmo
    session.save()
    return client


def _count_in(response) -> str:
    """How many rows matched: the API's ``count``, or the number in the page's table caption."""
    if response["Content-Type"].startswith("application/json"):
        return f"{response.json()['count']:,}"
    match = re.search(rb"<caption[^>]*>\s*([\d,]+)", response.content)
    return f"{int(match.group(1).replace(b',', b'')):,}" if match else "?"


def _backend_pid() -> int | None:
    """The PostgreSQL backend serving this process, when it runs on this machine (its CPU time is readable)."""
    from django.db import connection

    if connection.settings_dict.get("HOST") not in ("", "127.0.0.1", "localhost", "::1"):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid if _process_cpu(pid) is not None else None


def _process_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of a process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_requests(client, url: str, n: int, headers: dict | None = None) -> tuple[float, float, int, str, str]:
    """Median and p95 of ``n`` requests (after a warm-up), the CPU time they took (this process and the database
    backend: what a request costs whatever else the machine runs), the fewest queries of three more requests and
    the result count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    for _ in range(WARMUP):
        client.get(url, headers=headers)
    pid = _backend_pid()
    app_cpu, db_cpu = time.process_time(), _process_cpu(pid)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    app_cpu = (time.process_time() - app_cpu) / n
    if pid is not None and _backend_pid() == pid:
        cpu = f"{app_cpu * 1000:.0f} + {(_process_cpu(pid) - db_cpu) / n * 1000:.0f} ms"
    else:
        cpu = f"{app_cpu * 1000:.0f} ms + ?"
    counts = []
    for _ in range(3):  # the fewest: now and then the session middleware adds its writes to a request
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, headers=headers)
        counts.append(len(queries))
    return statistics.median(samples), p95(samples), min(counts), _count_in(response), cpu


def search(n: int) -> list[Row]:
    from django.urls import reverse

    from partners.models import TaskForce

    wdmo = TaskForce.objects.get(slug="wdmo")
    pages = [
        ("Service list", reverse("partners:service_list"), SERVICE_QUERIES, {}),
        ("Partner list", reverse("partners:partner_list"), PARTNER_QUERIES, {}),
        ("API services", "/api/v1/services/", API_QUERIES, {"X-Task-Force": "wdmo"}),
    ]
    rows = []
    for who, email in USERS:
        client = _client_for(email, wdmo)
        for page, path, queries, headers in pages:
            for label, params in queries:
                url = path + ("?" + urlencode(params) if params else "")
                median, high, count, result, cpu = time_requests(client, url, n, headers)
                shown = f"`{urlencode(params)}`" if params else "(none)"
                rows.append(Row(f"{page}: {label} {shown}", who, median, high, count, result, cpu))
                print(
                    f"  {who:<12} {_ms(median):>9} {_ms(high):>9} {cpu:>13} {count:>3} q  {page}: {label}", flush=True
                )
    return rows


# --- HSDS export and import -----------------------------------------------------------------------------------


def hsds(n_services: int) -> tuple[list[Row], list[str]]:
    """Export the task force of ``n_services`` services, then import each export into an empty task force."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from partners.models import TaskForce
    from partners.services import taxonomy_seed

    try:
        from partners.hsds import importer, reader
        from partners.hsds.export import write_datapackage, write_json
    except ImportError as error:
        return [], [f"HSDS export/import not measured: {error}."]

    source = TaskForce.objects.get(slug=HSDS_SLUG)
    rows, notes = [], []
    who = "system"
    with tempfile.TemporaryDirectory(prefix="psn-bench-hsds-") as folder:
        files = {"json": Path(folder) / "directory.json", "zip": Path(folder) / "directory.zip"}
        for file_format, path in files.items():
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                if file_format == "json":
                    with path.open("w", encoding="utf-8", newline="") as out:
                        write_json(source, out)
                else:
                    with path.open("wb") as out:
                        write_datapackage(source, out)
            elapsed = time.perf_counter() - started
            size = f"{path.stat().st_size / 1024 / 1024:.1f} MB"
            label = "JSON" if file_format == "json" else "CSV package (zip)"
            rows.append(Row(f"HSDS export, {label}: {n_services:,} services", who, elapsed, None, len(queries), size))
            print(f"  {rows[-1].what:<80} {_s(elapsed):>9} {len(queries)} q {size}", flush=True)

        for file_format, path in files.items():
            label = "JSON" if file_format == "json" else "CSV package (zip)"
            try:
                with transaction.atomic():
                    target = TaskForce.objects.create(slug=f"bench-import-{file_format}", name=f"Benchmark: {label}")
                    taxonomy_seed(task_force=target)  # as task_force_create gives every task force
                    started = time.perf_counter()
                    read = reader.read_file(path, filename=path.name)
                    read_time = time.perf_counter() - started
                    with CaptureQueriesContext(connection) as queries:
                        result = importer.import_tables(task_force=target, read=read, dry_run=False)
                    total = time.perf_counter() - started
                    imported = target.services.count()
                    transaction.set_rollback(True)
            except Exception as error:  # reported in the table (a MISS), then the next file
                notes.append(f"The {label} import failed: {type(error).__name__}: {error}")
                failed = f"failed ({type(error).__name__})"
                rows.append(Row(f"HSDS import, {label}, into an empty task force", who, math.nan, None, None, failed))
                continue
            errors = [p for p in [*read.problems, *result.problems] if p.severity == "error"]
            outcome = f"{imported:,} services" + (
                f", {len(errors)} errors (first: {errors[0].message})" if errors else ""
            )
            if imported != n_services:
                notes.append(f"The {label} import made {imported:,} services, not {n_services:,}.")
            rows.append(
                Row(
                    f"HSDS import, {label}, into an empty task force (read {_s(read_time)})",
                    who,
                    total,
                    None,
                    len(queries),
                    outcome,
                )
            )
            print(f"  {rows[-1].what:<80} {_s(total):>9} {len(queries)} q {outcome}", flush=True)
    return rows, notes


# --- Report ---------------------------------------------------------------------------------------------------


def machine() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Commit: {_commit()}",
        f"- Machine: {os.cpu_count()} cores, {memory} RAM, {platform.platform()} (load average {load})",
        f"- Python {platform.python_version()}, PostgreSQL {postgres}, database `{connection.settings_dict['NAME']}`",
    ]


def _commit() -> str:
    def git(*args: str) -> str:
        # Read-only git commands with fixed arguments.
        completed = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603, S607
        return completed.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| Measure | Who | Median | p95 | CPU per request (app + db) | Queries | Result |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        single = row.p95 is None
        median = _s(row.median) if single else _ms(row.median)
        high = "(one run)" if single else _ms(row.p95)
        queries = "" if row.queries is None else str(row.queries)
        lines.append(f"| {row.what} | {row.who} | {median} | {high} | {row.cpu} | {queries} | {row.result} |")
    return lines


def verdicts(search_rows: list[Row], hsds_rows: list[Row]) -> tuple[list[str], bool]:
    lines, missed = [], False
    if search_rows:
        worst = max(search_rows, key=lambda row: row.median)
        ok = worst.median < SEARCH_TARGET_MS / 1000
        missed |= not ok
        lines.append(
            f"- {'PASS' if ok else 'MISS'}: search median under {SEARCH_TARGET_MS:.0f} ms for every query "
            f"({sum(row.median < SEARCH_TARGET_MS / 1000 for row in search_rows)} of {len(search_rows)} rows under it; "
            f"slowest median {_ms(worst.median)}: {worst.what}, {worst.who})"
        )
    imports = [row for row in hsds_rows if row.what.startswith("HSDS import")]
    if imports:
        for row in imports:
            ok = row.median < IMPORT_TARGET_S and row.result.startswith(f"{HSDS_SERVICES:,} services")
            missed |= not ok
            lines.append(
                f"- {'PASS' if ok else 'MISS'}: import of {HSDS_SERVICES:,} services under {IMPORT_TARGET_S:.0f} s "
                f"({row.what.split(',')[1].strip()}: {_s(row.median)}, {row.result})"
            )
    else:
        missed = True
        lines.append(f"- MISS: import of {HSDS_SERVICES:,} services under {IMPORT_TARGET_S:.0f} s: not measured")
    return lines, missed


def write_results(section: list[str]) -> None:
    """Replace this benchmark's section of bench/results.md (other benchmarks keep theirs)."""
    start, end = "<!-- bench:directory -->", "<!-- /bench:directory -->"
    block = "\n".join([start, *section, end])
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per query (default 50)")
    parser.add_argument("--skip-hsds", action="store_true", help="measure the search only")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md as it is")
    parser.add_argument("--allow-any-database", action="store_true", help="write into a database not named *bench*")
    args = parser.parse_args(argv)

    configure(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    ensure_database(args.allow_any_database)
    call_command("migrate", interactive=False, verbosity=0)
    print("Setting up: the demo district at full scale, the HSDS task force (once)...", flush=True)
    setup_rows = setup()
    print(f"Search: {args.requests} requests per query and user...", flush=True)
    search_rows = search(args.requests)
    hsds_rows, notes = ([], ["HSDS export/import skipped (--skip-hsds)."]) if args.skip_hsds else ([], [])
    if not args.skip_hsds:
        print(f"HSDS: export and import of {HSDS_SERVICES:,} services...", flush=True)
        hsds_rows, notes = hsds(HSDS_SERVICES)

    target_lines, missed = verdicts(search_rows, hsds_rows)
    section = [
        "## Directory (bench/directory.py)",
        "",
        *machine(),
        f"- Search: {args.requests} timed requests per row after {WARMUP} warm-up requests, through Django's test "
        "client (the server's time: middleware, view, queries, template; no network), demo district at full "
        "scale (150 partners, 3,000 services) with the HSDS benchmark's task force (10,000 services) in the same "
        "database, as other tenants would be; queries: the fewest of three more requests. CPU per request: this "
        "process plus the PostgreSQL backend, from /proc; on a busy machine the wall-clock times include waiting for "
        "a core, the CPU times much less so.",
        "",
        *table(setup_rows + search_rows + hsds_rows),
        "",
        "Targets:",
        "",
        *target_lines,
        *([""] + [f"- Note: {note}" for note in notes] if notes else []),
        "",
    ]
    print()
    print("\n".join(section))
    if not args.no_write:
        write_results(section)
        print(f"Written to {RESULTS.relative_to(ROOT)}.")
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
