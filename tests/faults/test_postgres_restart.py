"""Fault injection (issue 9, item 4): PostgreSQL restarts (``pg_ctl restart -m fast``: every connection cut) while
the app is under a steady load of referral filings and reads.

The app runs under gunicorn (two workers, persistent connections as in production: CONN_MAX_AGE with
CONN_HEALTH_CHECKS) against a PostgreSQL cluster of the test's own, seeded with a copy of the test database (the
``world``, a person with consent, two needs, an API token); when the test run is on SQLite there is no PostgreSQL
test database to copy, so the cluster's database is migrated and seeded from scratch (seed.py) instead. Four
clients file, submit and read for about 15 s; the restart comes in the middle. Asserted: errors only while the
server is down and for a short grace after it is back, never a 500 traceback page (a 503 asking to retry, or a cut
connection); 2xx again within seconds without restarting the app; every 201 the clients got is a stored referral,
and every referral stored is whole (its person, its two needs, the transition to draft and, once submitted, to
submitted).
"""

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import requests
from django.conf import settings
from django.db import connection

from accounts.services import api_token_create
from cases.models import Consent
from tests.cases.support import build_setup

from . import seed
from .servers import ROOT, AppServer, PostgresCluster, app_env

DRIVE_SECONDS_BEFORE = 3.0
DRIVE_SECONDS_AFTER = 8.0
# After pg_ctl says the server is back: each gunicorn thread's connection is found dead by the health check on its
# next request and opened again; a request already inside a transaction when the connection was cut fails.
RECOVERY_GRACE_SECONDS = 3.0


@dataclass
class Outcome:
    at: float  # sent
    what: str
    status: int | None  # None: no HTTP answer (connection refused or cut)
    referral_id: int | None = None
    body: str = ""
    done: float = field(default_factory=time.monotonic)  # answered (or failed)


@dataclass
class Log:
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


@dataclass(frozen=True)
class Seeded:
    """What the test uses from the cluster's database, whichever way it was made."""

    person: int
    receiving_partner: int
    token: str


def _seed_cluster(cluster: PostgresCluster, name: str, request: pytest.FixtureRequest) -> Seeded:
    """The cluster's database ``name`` with the world, a person with consent, two needs and an API token: a pg_dump
    copy of the test database when the run is on PostgreSQL, else migrated and seeded from scratch by seed.py."""
    if connection.vendor == "postgresql":
        world = request.getfixturevalue("world")
        setup = build_setup(world)
        Consent.objects.filter(person=setup.person).update(recorded_by_partner=world.sending)
        _, token = api_token_create(user=world.user("sending_referral_staff"), name="load", expires_in_days=1)
        _copy_test_database(cluster, name)
        return Seeded(person=setup.person.pk, receiving_partner=world.receiving.pk, token=token)
    cluster.create_database(name)
    result = subprocess.run(
        [sys.executable, "-m", "tests.faults.seed"],
        cwd=ROOT,
        env=app_env(DATABASE_URL=cluster.url(name)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(seed.MARKER)]
    if result.returncode != 0 or len(lines) != 1:
        pytest.fail(f"seeding the cluster failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}")
    return Seeded(**json.loads(lines[0].removeprefix(seed.MARKER)))


def _copy_test_database(cluster: PostgresCluster, name: str) -> None:
    """The test database (schema and the rows this test made) copied into the cluster with pg_dump."""
    db = settings.DATABASES["default"]
    cluster.create_database(name)
    dump = subprocess.run(
        [
            str(cluster.bin / "pg_dump"),
            "--no-owner",
            "--no-privileges",
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            db["NAME"],
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    subprocess.run(
        [str(cluster.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", cluster.url(name)],
        input=dump.stdout,
        capture_output=True,
        check=True,
        timeout=120,
    )


def _drive(server: AppServer, token: str, payload: dict, log: Log, stop: threading.Event, writer: bool) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while not stop.is_set():
        started = time.monotonic()
        try:
            if writer:
                response = session.post(server.base + "/api/v1/referrals/", json=payload, timeout=10)
                referral_id = response.json()["id"] if response.status_code == 201 else None
                log.add(Outcome(started, "file", response.status_code, referral_id, response.text[:300]))
                if referral_id is not None:
                    started = time.monotonic()
                    response = session.post(server.base + f"/api/v1/referrals/{referral_id}/submit/", timeout=10)
                    log.add(Outcome(started, "submit", response.status_code, referral_id, response.text[:300]))
            else:
                response = session.get(server.base + "/api/v1/referrals/?page_size=20", timeout=10)
                log.add(Outcome(started, "list", response.status_code, body=response.text[:300]))
        except requests.RequestException as exc:
            log.add(Outcome(started, "writer" if writer else "reader", None, body=repr(exc)[:300]))
            time.sleep(0.1)
        time.sleep(0.05)


def _warm_up(server: AppServer, token: str) -> None:
    """A few reads first: both gunicorn workers have loaded the app and opened their connection."""
    for _ in range(6):
        response = requests.get(
            server.base + "/api/v1/referrals/", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert response.status_code == 200, response.text[:500]


def _referrals(url: str) -> dict[int, dict]:
    """Every referral in the cluster with what makes it whole."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            SELECT r.id, r.status, r.person_id,
                   (SELECT count(*) FROM cases_referral_needs n WHERE n.referral_id = r.id),
                   ARRAY(SELECT t.from_status || '>' || t.to_status FROM cases_transition t
                         WHERE t.referral_id = r.id ORDER BY t.id)
            FROM cases_referral r
            """
        ).fetchall()
    return {pk: {"status": s, "person": p, "needs": n, "steps": steps} for pk, s, p, n, steps in rows}


@pytest.mark.django_db(transaction=True)
def test_the_app_rides_out_a_postgres_restart_under_load_and_keeps_every_acknowledged_referral_whole(
    postgres_cluster, tmp_path: Path, request: pytest.FixtureRequest
):
    seeded = _seed_cluster(postgres_cluster, "psn_fault", request)
    token = seeded.token
    url = postgres_cluster.url("psn_fault")
    before = set(_referrals(url))

    # The broker and cache stay the test run's own; the referral emails' tasks are only queued.
    server = AppServer(app_env(DATABASE_URL=url, DATABASE_CONN_MAX_AGE="600"), tmp_path / "web.log")
    payload = {
        "person": seeded.person,
        "receiving_partner": seeded.receiving_partner,
        "needs": ["employment", "housing"],
        "priority": "routine",
        "reason": "Filed under load.",
    }
    log, stop = Log(), threading.Event()
    threads = [
        threading.Thread(target=_drive, args=(server, token, payload, log, stop, writer), daemon=True)
        for writer in (True, True, False, False)
    ]
    try:
        _warm_up(server, token)
        for thread in threads:
            thread.start()
        time.sleep(DRIVE_SECONDS_BEFORE)
        down_at = time.monotonic()
        postgres_cluster.restart()
        up_at = time.monotonic()
        time.sleep(DRIVE_SECONDS_AFTER)
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
        app_pid_after = server.process.pid if server.process.poll() is None else None
    finally:
        stop.set()
        server.close()

    outcomes = sorted(log.outcomes, key=lambda o: o.at)
    failed = [o for o in outcomes if o.status is None or o.status >= 400]
    settled = up_at + RECOVERY_GRACE_SECONDS
    print(
        f"\npostgres restart under load: {len(outcomes)} requests, restart took {up_at - down_at:.1f} s, "
        f"{len(failed)} failed: {sorted({(o.what, o.status) for o in failed}, key=str)}"
    )
    assert app_pid_after == server.pid, "the app process died"
    # Failures only for requests in flight during the outage or sent in the short grace after it, and never a 500
    # (a traceback page): a 503 asking to retry, or a cut connection.
    assert [o for o in failed if o.done < down_at] == []
    assert [o for o in failed if o.at >= settled] == [], [o for o in failed if o.at >= settled][:5]
    assert {o.status for o in failed} <= {503, None}, [o for o in failed if o.status != 503][:3]
    assert all("Briefly unavailable" in o.body for o in failed if o.status == 503)
    recovered = [o for o in outcomes if o.at >= settled]
    assert len(recovered) >= 10 and {o.what for o in recovered} >= {"file", "submit", "list"}
    first_ok_after = min(o.at for o in outcomes if o.at >= up_at and o.status in (200, 201))
    assert first_ok_after - up_at < RECOVERY_GRACE_SECONDS

    stored = _referrals(url)
    acknowledged = {o.referral_id for o in outcomes if o.what == "file" and o.status == 201}
    assert acknowledged <= set(stored), "a referral answered 201 is not in the database"
    submitted_ok = {o.referral_id for o in outcomes if o.what == "submit" and o.status == 200}
    new = {pk: row for pk, row in stored.items() if pk not in before}
    assert len(new) >= len(acknowledged) >= 5
    for pk, row in new.items():
        assert row["person"] == seeded.person and row["needs"] == 2, (pk, row)
        expected = [">draft"] + (["draft>submitted"] if row["status"] == "submitted" else [])
        assert row["steps"] == expected, (pk, row)
        assert row["status"] in ("draft", "submitted"), (pk, row)
    assert all(stored[pk]["status"] == "submitted" for pk in submitted_ok)
