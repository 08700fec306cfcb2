"""Load test (issue 8): 50 people using the site at once for 3 minutes, through gunicorn with 4 workers on PostgreSQL
and Redis, as in production; zero errors and a p95 under 500 ms are the targets.

    .venv/bin/python bench/load.py [--users 50] [--duration 180] [--think 3-10] [--spawn-rate 10] [--keep]
                                   [--strict] [--no-write]

1. The database ``psn_l_bench`` (or ``$DATABASE_URL``, whose name must contain "bench"; never ``psn_d_bench``, which
   the other benchmarks use at the same time): created, migrated and seeded at full scale (``seed_demo --scale
   full``, ~3 minutes, then VACUUM ANALYZE) unless it already is.
2. What the mix needs, through the project's own services: referrals filed by the police and submitted to Second
   Chance Workforce Center (``cases.lifecycle``; those left over from a run are used by the next), split between the
   simulated users of that partner so that no two ever race onto one referral; a signed-in session for each
   simulated user (as ``django.test.Client.force_login`` makes it: nobody goes through the sign-in form, which
   django-axes would lock after a few hundred sign-ins, and no second factor); the referrals each account may write
   notes on. All of it goes to locust in a JSON file of a private temporary folder.
3. gunicorn with 4 sync workers on 127.0.0.1 (a free port) with production settings (DEBUG off, Redis for the cache
   and the broker, persistent database connections) and nothing reaching outside: mail goes to files in the
   temporary folder. One Celery worker, as production runs one beside the web: the referral emails of accepts and
   notes are sent by its tasks after the commit; after the load the driver waits for the queue to drain and checks
   that every notification of the run was emailed once (eager tasks would hide a task that never ran).
4. Waits for /readyz, warms each worker with a few pages, runs locust (bench/load_locustfile.py, in its own
   virtualenv .venv-load: ``make loadtest`` makes it) headless for ``--duration`` seconds with a hard timeout, then
   stops locust and gunicorn (their process groups), always, on Ctrl-C or an error too.
5. Prints one table from locust's CSV: requests, failures, requests/s, p50, p95, p99 and max per request type and
   in all; the verdicts (zero errors, p95 under 500 ms); the consistency of what was written (every accepted
   referral with its one Transition and audit event, as many notes in the database as locust saw added); the load
   average before, during and after, and where the CPU went (gunicorn, PostgreSQL, locust, other processes: other
   benchmarks and tests may share the machine) with the most responses/s the machine could serve at that cost, and
   whether requests waited for row locks. Writes the section "load" of bench/results.md unless ``--no-write``.

Exit status 0 unless the test could not run (or, with ``--strict``, a target was missed or the data is inconsistent).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, ROOT, configure, ensure_database, machine, vacuum_analyze, write_results

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/psn_l_bench"
SHARED_BENCH_DATABASE = "psn_d_bench"  # bench/run.py's: other benchmarks run on it while this one does
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/11"  # 13 to 15 are the test suite's
LOCUST = ROOT / ".venv-load" / "bin" / "locust"
LOCUSTFILE = ROOT / "bench" / "load_locustfile.py"
WORKERS = 4
P95_TARGET_MS = 500.0
FULL_REFERRALS = 100_000  # below this the district is not at full scale yet: seed it

LOAD_REASON = "Load test referral (bench/load.py): filed and submitted before the run, accepted during it."
NOTE_PREFIX = "Load test note"
TASK_FORCE = "wdmo"
SENDER = "Kansas City Police Department"
RECEIVER = "Second Chance Workforce Center"
OFFICER = "officer@wdmo.example.org"
# Who each kind of simulated user signs in as (sessions go round the accounts), and its share of the users.
ACCOUNTS = {
    "receiving": ["staff@wdmo.example.org", "partneradmin@wdmo.example.org"],
    "sending": [OFFICER],  # and the demo partners' caseworkers (seed_caseworkers), added at run time
    "coordinator": ["coordinator@wdmo.example.org"],
    "member": ["member@wdmo.example.org", "research@wdmo.example.org"],
}
# The locust user class of each kind (bench/load_locustfile.py): locust runs only those given users.
ROLE_CLASSES = {
    "receiving": "ReceivingStaff",
    "sending": "SendingStaff",
    "coordinator": "Coordinator",
    "member": "PartnerMember",
}
SHARES = {"receiving": 0.36, "sending": 0.34, "coordinator": 0.10, "member": 0.20}
# The most a receiving user accepts: "accept" is 2 of its 13 task weights, a task a second at most (at the default
# think time; with less, a user who has accepted all of its share reads the inbox instead).
ACCEPTS_PER_SECOND = 2 / 13
NOTE_REFERRALS = 60  # referrals each account writes its notes on (picked at random among its partners' open ones)
WORDS = [
    "housing",
    "job training",
    "mental health",
    "counselling",
    "substance use",
    "legal aid",
    "mentoring",
    "food",
    "reentry",
    "GED",
    "tattoo removal",
    "transportation",
    "youth",
    "mentorng",  # people mistype
]


# --- Locust's CSV and the verdicts ---------------------------------------------------------------------------


@dataclass
class Stat:
    """One row of locust's ``<prefix>_stats.csv``; times in milliseconds (None when the row had no request)."""

    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None

    @property
    def label(self) -> str:
        return "All requests" if self.name == "Aggregated" else f"{self.name} ({self.method})"


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def read_stats(path: Path) -> list[Stat]:
    """Every request type, then the ``Aggregated`` row, as locust wrote them."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            Stat(
                method=row["Type"],
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=float(row["Requests/s"]),
                p50=_ms(row["50%"]),
                p95=_ms(row["95%"]),
                p99=_ms(row["99%"]),
                max=_ms(row["Max Response Time"]),
            )
            for row in csv.DictReader(handle)
        ]


def read_failures(path: Path) -> list[dict]:
    """Locust's ``<prefix>_failures.csv`` (or ``_exceptions.csv``): one dict per distinct failure."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def aggregated(stats: list[Stat]) -> Stat:
    for stat in stats:
        if stat.name == "Aggregated":
            return stat
    raise ValueError("locust's CSV has no Aggregated row")


def succeeded(stats: list[Stat], name: str, method: str = "POST") -> int:
    """How many requests of one type locust counted as successful."""
    return sum(stat.requests - stat.failures for stat in stats if stat.name == name and stat.method == method)


def verdicts(stats: list[Stat], *, exceptions: int = 0, server_errors: int = 0) -> tuple[list[str], bool]:
    """The target lines (PASS/MISS) and whether one was missed: zero errors (no failed request, no exception in
    the simulated users, no 5xx in gunicorn's log) and an aggregated p95 under 500 ms. A run without a request
    passes nothing."""
    total = aggregated(stats)
    ran = total.requests > 0
    clean = ran and total.failures == 0 and exceptions == 0 and server_errors == 0
    fast = ran and total.p95 is not None and total.p95 < P95_TARGET_MS
    errors = (
        f"{total.failures} failed of {total.requests:,} requests, {exceptions} exceptions in the simulated users, "
        f"{server_errors} server errors (5xx) in gunicorn's log"
    )
    p95 = "no request" if total.p95 is None else f"{total.p95:.0f} ms"
    lines = [
        f"- {'PASS' if clean else 'MISS'}: zero errors ({errors}).",
        f"- {'PASS' if fast else 'MISS'}: p95 under {P95_TARGET_MS:.0f} ms over all requests ({p95}).",
    ]
    slow = [stat.label for stat in stats if stat.name != "Aggregated" and (stat.p95 or 0) >= P95_TARGET_MS]
    if slow:
        lines.append(f"- Request types with a p95 of {P95_TARGET_MS:.0f} ms or more: {', '.join(slow)}.")
    return lines, not (clean and fast)


def table(stats: list[Stat]) -> list[str]:
    def ms(value: float | None) -> str:
        return "–" if value is None else f"{value:.0f} ms"

    lines = ["| Request | Requests | Failures | Req/s | p50 | p95 | p99 | Max |", "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for stat in stats:
        bold = "**" if stat.name == "Aggregated" else ""
        lines.append(
            f"| {bold}{stat.label}{bold} | {stat.requests:,} | {stat.failures} | {stat.rps:.1f} | {ms(stat.p50)} | "
            f"{ms(stat.p95)} | {ms(stat.p99)} | {ms(stat.max)} |"
        )
    return lines


def allocate(users: int) -> dict[str, int]:
    """The simulated users of each kind (largest remainders of ``SHARES``; one of each kind at least when there
    are enough users)."""
    exact = {role: users * share for role, share in SHARES.items()}
    counts = {role: math.floor(value) for role, value in exact.items()}
    for role in sorted(exact, key=lambda r: exact[r] - counts[r], reverse=True)[: users - sum(counts.values())]:
        counts[role] += 1
    if users >= len(SHARES):
        for role in SHARES:
            if counts[role] == 0:
                counts[max(counts, key=counts.get)] -= 1
                counts[role] = 1
    return counts


def server_log(path: Path) -> dict:
    """gunicorn's access log (``--access-logformat '%(s)s %(m)s %(U)s %(M)s'``): responses by status class and the
    server's own median and p95 (ms) per request, queueing in the listen backlog excluded."""
    codes: dict[str, int] = {}
    times = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 4 and parts[0].isdigit():
                codes[parts[0][0] + "xx"] = codes.get(parts[0][0] + "xx", 0) + 1
                times.append(float(parts[3]))
    times.sort()

    def rank(q: float) -> float | None:
        return times[math.ceil(q * len(times)) - 1] if times else None

    return {"codes": codes, "p50": rank(0.5), "p95": rank(0.95), "count": len(times)}


# --- Setting up ------------------------------------------------------------------------------------------------


def prepare_database(url: str) -> list[str]:
    """Django on the load test's database: created, migrated, seeded at full scale when it is not. Returns notes."""
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if name == SHARED_BENCH_DATABASE:
        sys.exit(f"{SHARED_BENCH_DATABASE} is the other benchmarks' database (they may be running): use another.")
    configure(url)
    import django

    django.setup()
    from django.core.management import call_command

    from cases.models import Referral
    from partners.models import TaskForce

    ensure_database(False)
    call_command("migrate", interactive=False, verbosity=0)
    task_force = TaskForce.objects.filter(slug=TASK_FORCE).first()
    if task_force is not None and Referral.objects.filter(task_force=task_force).count() >= FULL_REFERRALS:
        return []
    print("Seeding the demo district at full scale (seed_demo --scale full, about 3 minutes)...", flush=True)
    started = time.perf_counter()
    call_command("seed_demo", scale="full", stdout=io.StringIO())  # not printed: its output shows the password
    vacuum_analyze()
    return [f"The database was seeded at full scale for this run in {time.perf_counter() - started:.0f} s."]


def _actor(email: str, task_force):
    from django.contrib.auth import get_user_model

    from psn.access import actor_for

    return actor_for(get_user_model().objects.get(email=email), requested_slug=task_force.slug)


def accept_pool(task_force, size: int) -> tuple[list[int], int]:
    """``size`` referrals submitted by the police to Second Chance Workforce Center, not yet accepted: those a
    previous run left, topped up through the services (as the filing page calls them). Returns their ids and how
    many were filed now."""
    from django.db import transaction

    from cases import lifecycle
    from cases.consent import has_valid_consent
    from cases.models import Consent, ConsentScope, Person, Referral, Status
    from partners.models import Partner

    left = list(
        Referral.objects.filter(task_force=task_force, reason=LOAD_REASON, status=Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )
    missing = size - len(left)
    if missing <= 0:
        return left, 0
    officer = _actor(OFFICER, task_force)
    sender = Partner.objects.get(task_force=task_force, name=SENDER)
    receiver = Partner.objects.get(task_force=task_force, name=RECEIVER)
    needs = list(task_force.taxonomy_terms.filter(code__in=["PSN-EMP", "PSN-EDU"], active=True)) or list(
        task_force.taxonomy_terms.filter(active=True)[:1]
    )
    candidates = Person.objects.filter(
        task_force=task_force, merged_into__isnull=True, consents__scope=ConsentScope.TASK_FORCE
    ).order_by("pk")
    people = [p for p in candidates.distinct()[:400] if has_valid_consent(person=p, partner=receiver)][:200]
    if not people:  # a database seeded otherwise: record the consent the filing needs
        person = Person.objects.filter(task_force=task_force, merged_into__isnull=True).order_by("pk").first()
        Consent.objects.create(
            task_force=task_force,
            person=person,
            scope=ConsentScope.TASK_FORCE,
            shares=["contact", "needs"],
            method="verbal",
            given_on=person.created_at.date(),
        )
        people = [person]
    created = []
    for index in range(missing):
        with transaction.atomic():
            referral = lifecycle.referral_create(
                actor=officer,
                person=people[index % len(people)],
                sending_partner=sender,
                receiving_partner=receiver,
                needs=needs,
                reason=LOAD_REASON,
            )
            created.append(lifecycle.referral_submit(actor=officer, referral=referral).pk)
    return left + created, len(created)


def note_referrals(email: str, task_force, count: int, rng: random.Random) -> list[int]:
    """Open referrals of the account's partners whose details it sees (the sender's always, the receiver's once
    sent): where it may write a note. The load test's own referrals are left to accepting."""
    from django.db.models import Q

    from cases.models import Referral, Status

    actor = _actor(email, task_force)
    partners = sorted(actor.partner_ids)
    ids = list(
        Referral.objects.filter(
            task_force=task_force, status__in=[Status.SUBMITTED, Status.ACCEPTED, Status.IN_PROGRESS]
        )
        .filter(Q(sending_partner_id__in=partners) | Q(receiving_partner_id__in=partners, submitted_at__isnull=False))
        .exclude(reason=LOAD_REASON)
        .values_list("pk", flat=True)
    )
    return rng.sample(ids, min(count, len(ids)))


def sign_in(email: str, task_force) -> str:
    """A new session of ``email`` acting in ``task_force`` (``bench.common.client_for``: Django's own login, no
    form, no second factor); its key, the session cookie's value."""
    from django.conf import settings

    from bench.common import client_for

    return client_for(email, task_force).cookies[settings.SESSION_COOKIE_NAME].value


def build_plan(*, users: int, duration: int, run_id: str, rng: random.Random) -> tuple[dict, dict]:
    """The plan locust reads and the driver's own record of it (pool, sessions, run start)."""
    from django.conf import settings

    from partners.models import Language, Membership, Role, TaskForce

    task_force = TaskForce.objects.get(slug=TASK_FORCE)
    counts = allocate(users)
    accounts = {role: list(emails) for role, emails in ACCOUNTS.items()}
    caseworkers = (
        Membership.objects.filter(task_force=task_force, active=True, role=Role.REFERRAL_STAFF)
        .filter(user__email__startswith="caseworker", user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )
    accounts["sending"] += list(dict.fromkeys(caseworkers))
    per_user = math.ceil(duration * ACCEPTS_PER_SECOND * 1.2) + 3
    started = time.perf_counter()
    pool, filed = accept_pool(task_force, per_user * counts["receiving"])
    filing = time.perf_counter() - started
    sessions: dict[str, list[dict]] = {}
    notes_of: dict[str, list[int]] = {}
    for role, count in counts.items():
        sessions[role] = []
        for index in range(count):
            email = accounts[role][index % len(accounts[role])]
            if role in ("receiving", "sending") and email not in notes_of:
                notes_of[email] = note_referrals(email, task_force, NOTE_REFERRALS, rng)
            slot = {"email": email, "session": sign_in(email, task_force), "notes": notes_of.get(email, [])}
            if role == "receiving":
                slot["accept"] = pool[index::count]
            sessions[role].append(slot)
    languages = list(
        Language.objects.filter(services__partner__task_force=task_force)
        .values_list("code", flat=True)
        .distinct()
        .order_by("code")[:8]
    )
    plan = {
        "cookie": settings.SESSION_COOKIE_NAME,
        "note_prefix": f"{NOTE_PREFIX} {run_id}",
        "counts": counts,
        "sessions": sessions,
        "words": WORDS,
        "categories": list(
            task_force.taxonomy_terms.filter(active=True).order_by("code").values_list("code", flat=True)
        ),
        "languages": languages or ["es"],
    }
    record = {
        "task_force": task_force,
        "pool": pool,
        "filed": filed,
        "filing_seconds": filing,
        "session_keys": [slot["session"] for slots in sessions.values() for slot in slots],
        "accounts": len({slot["email"] for slots in sessions.values() for slot in slots}),
    }
    return plan, record


# --- Running ---------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(*, database_url: str, redis_url: str, var_dir: Path) -> dict[str, str]:
    """gunicorn's environment: production settings on this machine, nothing that reaches outside."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("CELERY_", "EMAIL_"))}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "PSN_HTTPS": "false",
            "PSN_REQUIRE_MFA": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": os.environ["SECRET_KEY"],  # the driver's: the sessions it made are signed with it
            "REDIS_URL": redis_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "EMAIL_URL": "",  # mail as files under PSN_VAR_DIR/mail
            "PSN_VAR_DIR": str(var_dir),
            "PSN_SITE_URL": "http://127.0.0.1",
            # The manifest storage needs collectstatic; the load test requests no static file.
            "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
            "LOG_LEVEL": "WARNING",
        }
    )
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    return env


def start_server(*, port: int, env: dict, log_dir: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "psn.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
        "--access-logfile", str(log_dir / "access.log"), "--access-logformat", "%(s)s %(m)s %(U)s %(M)s",
        "--error-logfile", str(log_dir / "gunicorn.log"), "--graceful-timeout", "10",
    ]  # fmt: skip
    # A process group of its own: stopping it stops the workers too, and Ctrl-C in the terminal reaches only us.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603


def stop(process: subprocess.Popen | None, *, grace: float = 15.0) -> None:
    """TERM to the process group we started, KILL after ``grace`` seconds."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def get(url: str, *, cookie: str = "", timeout: float = 10.0) -> tuple[int, bytes]:
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the load test only speaks to 127.0.0.1: {url}")
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - checked above
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_ready(base: str, process: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode} before it was ready")
        with contextlib.suppress(OSError):
            status, body = get(base + "/readyz", timeout=5)
            if status == 200:
                return
            last = body[:200]
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn was not ready after {timeout:.0f} s ({locals().get('last', b'no answer')!r})")


def warm_up(base: str, plan: dict) -> None:
    """A few pages per worker before the clock starts (a server in production is warm: templates compiled, the
    database connection open)."""
    slot = plan["sessions"]["coordinator"][0] if plan["sessions"].get("coordinator") else None
    if slot is None:
        return
    cookie = f"{plan['cookie']}={slot['session']}"
    for _ in range(3 * WORKERS):
        for path in ("/", "/referrals/", "/directory/services/?q=housing"):
            status, _body = get(base + path, cookie=cookie)
            if status != 200:
                raise RuntimeError(f"warm-up: {path} answered {status}")


class CpuMeter:
    """Where the machine's CPU went while the load ran, from /proc (Linux): gunicorn (master and workers), the
    PostgreSQL backends of the load test's database (the driver's own excepted), locust, and everything else
    (other benchmarks, tests: the machine is shared). Short-lived backends are seen every ``sample``."""

    def __init__(self, *, server_pid: int, database: str, exclude: set[int]) -> None:
        self.server_pid, self.database, self.exclude = server_pid, database, exclude
        self.locust_pid: int | None = None
        self.worker_pid: int | None = None
        self.base: dict[int, float] = {}
        self.seen: dict[int, tuple[str, float]] = {}
        self.started = self.machine_start = None
        self.machine = self.wall = 0.0
        self.samples = self.lock_samples = 0

    @staticmethod
    def _machine() -> tuple[float, float]:
        """Busy and total CPU seconds of the machine since boot."""
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        ticks = os.sysconf("SC_CLK_TCK")
        return (sum(fields) - fields[3] - fields[4]) / ticks, sum(fields) / ticks

    def _group(self, pid: int, ppid: int, cmdline: bytes) -> str | None:
        if pid in (self.server_pid,) or ppid == self.server_pid:
            return "gunicorn"
        if pid == self.locust_pid:
            return "locust"
        if pid == self.worker_pid:
            return "worker"
        if cmdline.startswith(b"postgres:") and f" {self.database} ".encode() in cmdline and pid not in self.exclude:
            return "postgres"
        return None

    def sample(self) -> None:
        first = self.started is None
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError):
                continue  # gone meanwhile
            group = self._group(int(entry.name), int(stat[1]), cmdline)
            if group is None:
                continue
            cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
            pid = int(entry.name)
            # Seen at the start: count from there; born later: all its time is the load's.
            self.base.setdefault(pid, cpu if first else 0.0)
            self.seen[pid] = (group, cpu)
        self._lock_waits()
        busy, _total = self._machine()
        now = time.monotonic()
        if first:
            self.started, self.machine_start = now, busy
        self.machine, self.wall = busy - self.machine_start, now - self.started

    def _lock_waits(self) -> None:
        """How many of the load test's backends wait for a lock now (rows two requests both write)."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                [self.database],
            )
            waiting = cursor.fetchone()[0]
        self.samples += 1
        self.lock_samples += bool(waiting)

    def result(self) -> dict[str, float]:
        """CPU seconds per group, the machine's busy seconds and the wall time sampled."""
        spent = {"gunicorn": 0.0, "postgres": 0.0, "locust": 0.0, "worker": 0.0}
        for pid, (group, cpu) in self.seen.items():
            spent[group] += cpu - self.base[pid]
        return spent | {"machine": self.machine, "wall": self.wall, "samples": self.samples, "locks": self.lock_samples}


def run_locust(
    *, base: str, args: argparse.Namespace, plan_path: Path, prefix: Path, classes: list[str], meter: CpuMeter
) -> dict:
    """locust, headless, for ``--duration`` seconds (killed after a hard timeout); returns its exit status, its
    output and the load averages seen while it ran (every 10 s; the CPU meter samples every 2 s)."""
    command = [
        str(LOCUST), "-f", str(LOCUSTFILE), "--headless",
        "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.duration}s",
        "--stop-timeout", "30", "--host", base, "--csv", str(prefix), "--only-summary", *classes,
    ]  # fmt: skip
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TZ") if key in os.environ}
    env["PSN_LOAD_PLAN"] = str(plan_path)
    hard_timeout = args.duration + 120
    output = prefix.parent / "locust.log"
    loads = []
    with output.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(  # noqa: S603 - our own locust, fixed arguments
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        meter.locust_pid = process.pid
        started = time.monotonic()
        try:
            for tick in itertools.count(1):
                try:
                    process.wait(timeout=2)
                    break
                except subprocess.TimeoutExpired:
                    meter.sample()
                    if tick % 5 == 0:
                        loads.append(os.getloadavg()[0])
                    if time.monotonic() - started > hard_timeout:
                        raise RuntimeError(f"locust still ran after {hard_timeout} s: stopped") from None
        finally:
            stop(process, grace=5)
    return {"status": process.returncode, "output": output.read_text(encoding="utf-8"), "loads": loads}


# --- After the run ---------------------------------------------------------------------------------------------


def consistency(*, record: dict, note_prefix: str, stats: list[Stat], since) -> tuple[list[str], bool]:
    """What the database holds after the run against what locust saw succeed: every referral accepted during the
    run has its status, its acknowledgement time, exactly one Transition to accepted and one audit event; the load
    notes are as many as the successful "add note" requests, each with its audit event."""
    from cases.models import Note, Referral, Status, Transition
    from psn.models import AuditEvent

    pool = record["pool"]
    moved = Transition.objects.filter(referral_id__in=pool, to_status=Status.ACCEPTED, at__gte=since)
    transitions = moved.count()
    moved_ids = set(moved.values_list("referral_id", flat=True))
    accepted = Referral.objects.filter(pk__in=pool, status=Status.ACCEPTED)
    accepted_ids = set(accepted.values_list("pk", flat=True))
    unacknowledged = accepted.filter(acknowledged_at__isnull=True).count()
    audited = AuditEvent.objects.filter(
        object_type="cases.referral",
        object_id__in=[str(pk) for pk in accepted_ids],
        changes__status=[Status.SUBMITTED, Status.ACCEPTED],
        at__gte=since,
    ).count()
    notes = Note.objects.filter(body__startswith=note_prefix + " ")
    note_ids = [str(pk) for pk in notes.values_list("pk", flat=True)]
    note_audits = AuditEvent.objects.filter(object_type="cases.note", object_id__in=note_ids, action="created").count()
    accepts_ok, notes_ok = succeeded(stats, "accept"), succeeded(stats, "add note")
    checks = [
        (
            accepted_ids == moved_ids and transitions == len(moved_ids) and unacknowledged == 0,
            f"referrals accepted during the run {len(accepted_ids)}, Transition rows to accepted {transitions} (on "
            f"{len(moved_ids)} referrals), accepted without an acknowledgement time {unacknowledged}",
        ),
        (audited == len(accepted_ids), f"audit events of those accepts {audited}"),
        (len(accepted_ids) == accepts_ok, f"accepts locust saw succeed {accepts_ok}"),
        (len(note_ids) == notes_ok, f"notes written {len(note_ids)}, notes locust saw succeed {notes_ok}"),
        (note_audits == len(note_ids), f"audit events of those notes {note_audits}"),
    ]
    lines = [f"- {'PASS' if ok else 'MISS'}: {text}." for ok, text in checks]
    return lines, not all(ok for ok, _text in checks)


def emails_sent(since) -> tuple[list[str], bool]:
    """Every notification the run created was emailed by the worker (its ``emailed_at`` claimed once)."""
    from cases.models import Notification

    made = Notification.objects.filter(created_at__gte=since)
    total, emailed = made.count(), made.filter(emailed_at__isnull=False).count()
    ok = total == emailed
    return [f"- {'PASS' if ok else 'MISS'}: notifications of the run {total}, emailed by the worker {emailed}."], not ok


def wait_drained(redis_url: str, timeout: float = 120.0) -> int:
    """Wait for the worker to take every queued task (after the load); returns what is left."""
    deadline = time.monotonic() + timeout
    while (left := broker_queue(redis_url)) and time.monotonic() < deadline:
        time.sleep(1)
    return left


def start_worker(*, env: dict, log_dir: Path) -> subprocess.Popen:
    """One Celery worker (one process) on the load test's broker, as production runs one beside the web."""
    command = [sys.executable, "-m", "celery", "-A", "psn", "worker", "--pool", "solo", "-n", "load@%h",
               "-l", "warning", "--without-heartbeat", "--without-gossip", "--without-mingle",
               "--logfile", str(log_dir / "worker.log")]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603


def broker_queue(redis_url: str) -> int:
    """Messages waiting in the Celery queue of the load test's Redis database."""
    import redis

    return redis.Redis.from_url(redis_url, socket_timeout=5).llen("celery")


def _own_backend() -> set[int]:
    """The driver's own PostgreSQL backend (idle while the load runs: not the load's)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return {cursor.fetchone()[0]}


def forget_sessions(keys: list[str]) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=keys).delete()


def summary(*, args, plan: dict, record: dict, work: Path, ran: dict, since, loads: dict, notes: list[str]):
    """The section of results.md (printed too) and whether a target was missed or the data is inconsistent."""
    # The locustfile's final figures (locust's own files lag up to a second behind the last requests).
    stats_path = work / "locust_final_stats.csv"
    if not stats_path.exists():
        print(ran["output"][-3000:])
        sys.exit(f"locust wrote no final statistics (exit status {ran['status']}); its files are in {work}.")
    stats = read_stats(stats_path)
    failures = read_failures(work / "locust_final_failures.csv")
    exceptions = read_failures(work / "locust_final_exceptions.csv")
    server = server_log(work / "access.log")
    target_lines, missed = verdicts(
        stats, exceptions=sum(int(e.get("Count") or 0) for e in exceptions), server_errors=server["codes"].get("5xx", 0)
    )
    check_lines, inconsistent = consistency(record=record, note_prefix=plan["note_prefix"], stats=stats, since=since)
    queued = broker_queue(args.redis_url) - record["queued_before"]
    check_lines.append(f"- {'PASS' if queued == 0 else 'MISS'}: tasks left in the broker's queue by the run {queued}.")
    emailed_lines, unsent = emails_sent(since)
    check_lines += emailed_lines
    inconsistent = inconsistent or unsent
    for failure in failures:
        notes.append(f"Failure: {failure['Method']} {failure['Name']}: {failure['Error']} ({failure['Occurrences']}x).")
    for exception in exceptions:
        notes.append(f"Exception in a simulated user ({exception['Count']}x): {exception['Message']}.")
    if server["p50"] is not None:
        codes = ", ".join(f"{count:,} {code}" for code, count in sorted(server["codes"].items()))
        notes.append(
            f"gunicorn's own time per request (its access log: the wait for a free worker excluded): median "
            f"{server['p50']:.0f} ms, p95 {server['p95']:.0f} ms over {server['count']:,} responses ({codes})."
        )
    cpu = ran.get("cpu")
    if cpu and cpu["wall"] > 0 and cpu["gunicorn"] > 0:
        responses = max(server["count"], 1)
        cores = {name: cpu[name] / cpu["wall"] for name in ("machine", "gunicorn", "postgres", "locust", "worker")}
        others = cores["machine"] - cores["gunicorn"] - cores["postgres"] - cores["locust"] - cores["worker"]
        per_response = (cpu["gunicorn"] + cpu["postgres"] + cpu["locust"] + cpu["worker"]) / responses
        notes.append(
            f"CPU while the load ran (/proc, {cpu['wall']:.0f} s): the machine busy {cores['machine']:.2f} of "
            f"{os.cpu_count()} cores; gunicorn {cores['gunicorn']:.2f} ({cpu['gunicorn'] / responses * 1000:.0f} ms "
            f"per response), PostgreSQL for the load test's database {cores['postgres']:.2f} "
            f"({cpu['postgres'] / responses * 1000:.0f} ms per response), locust {cores['locust']:.2f}, the Celery "
            f"worker {cores['worker']:.2f}, other "
            f"processes {max(others, 0):.2f}. At {per_response * 1000:.0f} ms of CPU per response (server, database "
            f"and load generator), {os.cpu_count()} cores with nothing else running serve at most "
            f"{os.cpu_count() / per_response:.0f} responses/s; this run got {responses / cpu['wall']:.1f}/s. "
            f"A backend of the load test waited for a lock in {cpu['locks']} of {cpu['samples']} samples."
        )
    during = loads["during"] or [loads["after"][0]]
    who = ", ".join(f"{count} {role}" for role, count in plan["counts"].items())
    method = (
        f"- {args.users} simulated users ({who}; {record['accounts']} accounts, a session each) started at "
        f"{args.spawn_rate:g}/s, {args.duration} s of load, {args.think[0]:g} to {args.think[1]:g} s of think time "
        f"between two actions; locust {_locust_version()} (bench/load_locustfile.py) against gunicorn with "
        f"{WORKERS} sync workers on 127.0.0.1, PostgreSQL and Redis on this machine, demo district at full scale. "
        "Times are locust's (the client's, a POST with the page it redirects to).\n"
        f"- Load average (1 min): {loads['before'][0]:.2f} before, {min(during):.2f}–{max(during):.2f} during (every "
        f"10 s), {loads['after'][0]:.2f} at the end (5 min: {loads['after'][1]:.2f}).\n"
        f"- Throughput: **{aggregated(stats).rps:.1f} requests/s**; locust's exit status {ran['status']}."
    )
    section = [
        "## Load test (bench/load.py)",
        "",
        *machine(),
        method,
        "",
        *table(stats),
        "",
        "Targets:",
        "",
        *target_lines,
        "",
        "Consistency after the run:",
        "",
        *check_lines,
        *([""] + [f"- Note: {note}" for note in notes] if notes else []),
        "",
    ]
    return section, missed, inconsistent or queued != 0


def run(*, args, database_url: str, plan: dict, record: dict, work: Path) -> tuple[dict, object, dict]:
    """gunicorn started, ready and warm; locust run against it; gunicorn stopped whatever happens (and the
    sessions made for the run deleted). Returns locust's outcome, the time the load started and the load
    averages."""
    from django.db import connection
    from django.utils import timezone

    plan_path = work / "plan.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    classes = [ROLE_CLASSES[role] for role, count in plan["counts"].items() if count]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(database_url=database_url, redis_url=args.redis_url, var_dir=work / "var")
    server = worker = None
    loads = {"before": os.getloadavg()}
    try:
        print(f"Starting gunicorn ({WORKERS} workers) on {base} and a Celery worker...", flush=True)
        server = start_server(port=port, env=env, log_dir=work)
        worker = start_worker(env=env, log_dir=work)
        wait_ready(base, server)
        warm_up(base, plan)
        (work / "access.log").write_text("", encoding="utf-8")  # the warm-up is not part of the run
        meter = CpuMeter(server_pid=server.pid, database=connection.settings_dict["NAME"], exclude=_own_backend())
        meter.worker_pid = worker.pid
        meter.sample()
        since = timezone.now()
        who = ", ".join(f"{count} {role}" for role, count in plan["counts"].items())
        print(f"Running locust: {args.users} users ({who}) for {args.duration} s...", flush=True)
        ran = run_locust(
            base=base, args=args, plan_path=plan_path, prefix=work / "locust", classes=classes, meter=meter
        )
        meter.sample()  # gunicorn's workers, before they stop
        ran["cpu"] = meter.result()
        left = wait_drained(args.redis_url)
        print(f"The worker drained the queue ({left} tasks left).", flush=True)
    except BaseException:
        log = work / "gunicorn.log"
        if log.exists():
            print("gunicorn's log (last lines):", *log.read_text(encoding="utf-8").splitlines()[-20:], sep="\n")
        print(f"The run's files (plan, logs, locust's CSV): {work}")
        raise
    finally:
        stop(server)
        stop(worker)
        forget_sessions(record["session_keys"])
    loads["during"], loads["after"] = ran["loads"], os.getloadavg()
    return ran, since, loads


def think_time(value: str) -> tuple[float, float]:
    low, _dash, high = value.partition("-")
    try:
        think = float(low), float(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError("MIN-MAX in seconds, e.g. 1-3") from None
    if not 0 <= think[0] <= think[1]:
        raise argparse.ArgumentTypeError("MIN-MAX in seconds, e.g. 1-3")
    return think


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--users", type=int, default=50, help="simulated users (default 50)")
    options.add_argument("--duration", type=int, default=180, help="seconds of load (default 180)")
    options.add_argument("--spawn-rate", type=float, default=10, help="users started per second (default 10)")
    options.add_argument(
        "--think",
        type=think_time,
        # A caseworker reads the inbox, a referral or the directory for a few seconds before the next action;
        # 1-3 s is the stress run (README: both figures).
        default=(3.0, 10.0),
        metavar="MIN-MAX",
        help="seconds between two actions (default 3-10; 1-3 for a stress run)",
    )
    options.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help=f"default {DEFAULT_REDIS_URL}")
    options.add_argument("--seed", type=int, default=8, help="random seed of the note referrals (default 8)")
    options.add_argument("--keep", action="store_true", help="keep the run's files (plan, logs, locust's CSV)")
    options.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    options.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md as it is")
    args = options.parse_args(argv)
    if args.users < 1 or args.duration < 10:
        options.error("--users must be at least 1 and --duration at least 10 seconds")
    if not LOCUST.exists():
        sys.exit(f"{LOCUST.relative_to(ROOT)} is missing: `make loadtest` makes .venv-load from requirements-load.txt.")
    if not re.fullmatch(r"redis://(127\.0\.0\.1|localhost)(:\d+)?/\d+", args.redis_url):
        options.error("--redis-url must be a database of the local Redis (redis://127.0.0.1:6379/N)")

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    notes = prepare_database(database_url)
    from django.utils import timezone

    print(f"Preparing: {args.users} users' sessions, the referrals to accept, the referrals to write on...", flush=True)
    rng = random.Random(args.seed)  # noqa: S311 - which referrals get notes, not security
    run_id = timezone.now().strftime("%Y%m%d-%H%M%S")
    plan, record = build_plan(users=args.users, duration=args.duration, run_id=run_id, rng=rng)
    plan["think"] = list(args.think)
    if record["filed"]:
        notes.append(
            f"{record['filed']} referrals filed and submitted through the services for this run in "
            f"{record['filing_seconds']:.0f} s ({len(record['pool']) - record['filed']} left by a previous run)."
        )
    record["queued_before"] = broker_queue(args.redis_url)
    work = Path(tempfile.mkdtemp(prefix="psn-load-"))  # private (0700): the plan holds session keys
    ran, since, loads = run(args=args, database_url=database_url, plan=plan, record=record, work=work)
    section, missed, inconsistent = summary(
        args=args, plan=plan, record=record, work=work, ran=ran, since=since, loads=loads, notes=notes
    )
    print()
    print("\n".join(section))
    if not args.no_write:
        write_results("load", section)
        print(f"Written to {RESULTS.relative_to(ROOT)}.")
    if args.keep or missed or inconsistent:
        print(f"The run's files (plan, logs, locust's CSV): {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if (args.strict and (missed or inconsistent)) else 0


def _locust_version() -> str:
    completed = subprocess.run([str(LOCUST), "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    match = re.search(r"locust ([\d.]+)", completed.stdout + completed.stderr)
    return match.group(1) if match else "?"


if __name__ == "__main__":
    sys.exit(main())
