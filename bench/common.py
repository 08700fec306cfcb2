"""What every benchmark of this folder shares: the environment and database it runs against, the timing of pages
through Django's test client (with the baseline page), the machine lines, the markdown table and the writing of a
benchmark's own section of bench/results.md.

Imported before Django is configured: the functions that need Django import it themselves, after ``start``.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.md"
# The rows of each benchmark's last run, as JSON (``<name>.<database>.json``): ``bench/run.py`` builds the summary
# table from them, and runs on two databases (one district, ten) can be compared. Not committed.
LAST_RUNS = ROOT / "var" / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/psn_d_bench"
WARMUP = 3


@dataclass
class Row:
    what: str
    who: str
    median: float  # seconds
    p95: float | None  # seconds; None for a single run
    queries: int | None
    result: str
    cpu: str = ""  # CPU time per request: this process (view, template) + the database backend


def format_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def format_s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def p95(samples: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


# --- Start ----------------------------------------------------------------------------------------------------


def parser(description: str, *, per: str) -> argparse.ArgumentParser:
    """The options every benchmark takes (``per``: what ``--requests`` counts, "query" or "page")."""
    parsed = argparse.ArgumentParser(description=description)
    parsed.add_argument("--requests", type=int, default=50, help=f"timed requests per {per} (default 50)")
    parsed.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parsed.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md as it is")
    parsed.add_argument("--allow-any-database", action="store_true", help="write into a database not named *bench*")
    parsed.add_argument(
        "--smoke",
        action="store_true",
        help="CI's run: the small demo, a few requests, nothing written to results.md; checks that the benchmark "
        "runs and counts its queries (its times mean nothing)",
    )
    return parsed


def scale(args: argparse.Namespace) -> str:
    """The demo's scale the benchmark runs on: ``full``, or ``small`` for a smoke run."""
    return "small" if getattr(args, "smoke", False) else "full"


def start(args: argparse.Namespace, *, extra_env: dict[str, str] | None = None) -> None:
    """Django configured for the benchmark's database (``$DATABASE_URL`` or the default) and ``extra_env``, the
    database created when missing and migrated. A smoke run requests a few times and writes no results."""
    configure(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    os.environ.update(extra_env or {})
    if getattr(args, "smoke", False):
        args.requests = min(args.requests, 3)
        args.no_write = True
    import django

    django.setup()
    from django.core.management import call_command

    ensure_database(args.allow_any_database)
    call_command("migrate", interactive=False, verbosity=0)
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.baseline_urls"  # the app's URLs and the baseline view


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
            # The benchmark sends a few hundred API requests a minute as one user, and reads one calendar feed
            # 56 times in a row (the feed's limits are per ten minutes).
            "PSN_API_USER_RATE": "1000000/minute",
            "PSN_CALENDAR_FEED_TOKEN_RATE": "1000000",
            "PSN_CALENDAR_FEED_IP_RATE": "1000000",
        }
    )
    os.environ.setdefault("SECRET_KEY", "bench-only-" + secrets.token_urlsafe(40))
    os.environ.setdefault("PSN_DEMO_PASSWORD", "bench-" + secrets.token_urlsafe(12))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psn.settings")
    sys.path.insert(0, str(ROOT))


def ensure_database(allow_any: bool) -> None:
    import psycopg
    from django.conf import settings
    from psycopg import sql

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit(f"The benchmarks measure PostgreSQL; DATABASE_URL names {db['ENGINE']}.")
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
    the planner takes 3,000 services for 3 and picks nested loops: searches took 130 ms instead of 27 ms), GIN
    pending lists merged into the full-text and trigram indexes (scanned linearly until then) and the visibility
    map set (index-only scans read no heap)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


# --- Timing ---------------------------------------------------------------------------------------------------


def client_for(email: str, task_force):
    """A test client signed in as ``email``, acting in ``task_force``."""
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
    """How many rows matched: the API's ``count`` (or its ``candidates``), the number in the page's table caption,
    the candidates a duplicate check offers, or the events and to-dos of a calendar."""
    content_type = response["Content-Type"]
    if content_type.startswith("application/json"):
        body = response.json()
        if "count" in body:
            return f"{body['count']:,}"
        return f"{len(body['candidates']):,} candidates" if "candidates" in body else "?"
    if content_type.startswith("text/calendar"):
        return f"{response.content.count(b'BEGIN:VEVENT') + response.content.count(b'BEGIN:VTODO'):,} entries"
    match = re.search(rb"<caption[^>]*>\s*([\d,]+)", response.content)
    if match:
        return f"{int(match.group(1).replace(b',', b'')):,}"
    offered = response.content.count(b'name="use"')
    return f"{offered:,} candidates" if offered else "?"


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


def _is_list_audit(sql: str) -> bool:
    return sql.startswith('INSERT INTO "psn_auditevent"') and '"listed"' in sql


def time_requests(
    client, url: str, n: int, headers: dict | None = None, *, data: dict | None = None, expect: int = 200
) -> tuple[float, float, int, str, str]:
    """Median and p95 of ``n`` requests (after a warm-up), the CPU time they took (this process and the database
    backend: what a request costs whatever else the machine runs), the fewest queries of three more requests and
    the result count. With ``data`` the requests are POSTs of it (a form, or JSON with a JSON ``Content-Type``
    header); each must answer ``expect``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}

    def request():
        if data is None:
            return client.get(url, headers=headers)
        if headers.get("Content-Type") == "application/json":
            return client.post(url, data, content_type="application/json", headers=headers)
        return client.post(url, data, headers=headers)

    for _ in range(WARMUP):
        request()
    pid = _backend_pid()
    app_cpu, db_cpu = time.process_time(), _process_cpu(pid)
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = request()
        samples.append(time.perf_counter() - started)
        if response.status_code != expect:
            raise RuntimeError(f"{url} answered {response.status_code}, not {expect}")
    app_cpu = (time.process_time() - app_cpu) / n
    if pid is not None and _backend_pid() == pid:
        cpu = f"{app_cpu * 1000:.0f} + {(_process_cpu(pid) - db_cpu) / n * 1000:.0f} ms"
    else:
        cpu = f"{app_cpu * 1000:.0f} ms + ?"
    counts = []
    for _ in range(3):  # the fewest: now and then the session middleware adds its writes to a request
        with CaptureQueriesContext(connection) as queries:
            response = request()
        # A list's audit event is written only when the page shows someone's person (psn/audit.py record_listed,
        # its changes name the "listed" rows): whether it does depends on the data, not on the scale: not counted.
        counts.append(sum(1 for query in queries if not _is_list_audit(query["sql"])))
    return statistics.median(samples), p95(samples), min(counts), _count_in(response), cpu


BASELINE_LABEL = "Baseline: a signed-in view that runs one query"


def baseline_row(reference: float, who: str) -> Row:
    """The row of a benchmark's baseline (its median over the runs before and after the pages): bench/run.py divides
    that benchmark's pages by it."""
    return Row(BASELINE_LABEL, who, reference, None, None, "1.0x")


def baseline(client, n: int) -> float:
    """The median of the baseline over ``n`` requests: a trivial signed-in view that runs one query
    (``bench/baseline_urls.py``: every middleware, the session, the user, the actor, then one query). Measured in the
    same run as the pages, it shows a busy machine as a higher baseline rather than as slow pages."""
    from bench.baseline_urls import BASELINE_PATH

    return time_requests(client, BASELINE_PATH, n)[0]


# --- Report ---------------------------------------------------------------------------------------------------


def machine_lines_without_django(database: str) -> list[str]:
    """``machine()`` for a process that has not set Django up (bench/run.py): no server version."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Commit: {_commit()}",
        f"- Machine: {os.cpu_count()} cores, {platform.platform()} (load average at the end {load})",
        f"- Python {platform.python_version()}, database `{database}`",
    ]


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
        median = format_s(row.median) if single and row.median >= 1 else format_ms(row.median)
        high = "(one run)" if single and row.what != BASELINE_LABEL else ("" if single else format_ms(row.p95))
        queries = "" if row.queries is None else str(row.queries)
        lines.append(f"| {row.what} | {row.who} | {median} | {high} | {row.cpu} | {queries} | {row.result} |")
    return lines


def report(
    args: argparse.Namespace,
    *,
    name: str,
    heading: str,
    method: str,
    rows: list[Row],
    targets: list[str],
    missed: bool,
    notes: list[str] = (),
    after: str | None = None,
) -> int:
    """Print the benchmark's section (its heading, the machine, how it measured, the table, the targets and any
    notes), write it to bench/results.md unless ``--no-write``; the exit status (1 for a missed target with
    ``--strict``)."""
    section = [
        heading,
        "",
        *machine(),
        method,
        "",
        *table(rows),
        "",
        "Targets:",
        "",
        *targets,
        *([""] + [f"- Note: {note}" for note in notes] if notes else []),
        "",
    ]
    print()
    print("\n".join(section))
    save_rows(name, rows)
    if not args.no_write:
        write_results(name, section, after=after)
        print(f"Written to {RESULTS.relative_to(ROOT)}.")
    return 1 if (missed and args.strict) else 0


def save_rows(name: str, rows: list[Row]) -> Path:
    """Keep the rows of this run in ``var/bench/<name>.<database>.json`` (see ``LAST_RUNS``)."""
    import json
    from dataclasses import asdict

    from django.db import connection

    LAST_RUNS.mkdir(parents=True, exist_ok=True)
    path = LAST_RUNS / f"{name}.{connection.settings_dict['NAME']}.json"
    payload = {"name": name, "database": connection.settings_dict["NAME"], "commit": _commit(), "rows": []}
    payload["rows"] = [asdict(row) for row in rows]
    path.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return path


def load_rows(name: str, database: str) -> list[Row]:
    """The rows ``save_rows`` kept for ``name`` on ``database`` (empty when that benchmark has not run there)."""
    import json

    path = LAST_RUNS / f"{name}.{database}.json"
    if not path.exists():
        return []
    return [Row(**row) for row in json.loads(path.read_text(encoding="utf-8"))["rows"]]


def write_results(name: str, section: list[str], *, after: str | None = None, first: bool = False) -> None:
    """Replace the section ``name`` of bench/results.md (other benchmarks keep theirs). A new section goes right
    after the section ``after`` when there is one (before the hand-written analysis that follows it), or before
    every other section with ``first``, else at the end."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = "\n".join([start, *section, end])
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        text = before + block + rest.split(end, 1)[1]
    elif first and "<!-- bench:" in text:
        head, rest = text.split("<!-- bench:", 1)
        text = head + block + "\n\n<!-- bench:" + rest
    elif after is not None and f"<!-- /bench:{after} -->" in text:
        marker = f"<!-- /bench:{after} -->"
        text = text.replace(marker, marker + "\n\n" + block, 1)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text, encoding="utf-8")
