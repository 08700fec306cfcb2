"""Throwaway servers for the fault-injection tests: a Redis, a PostgreSQL cluster, the web app under gunicorn and a
Celery worker, each a process of its own that the test may kill, stop and start again. Never the machine's shared
PostgreSQL or Redis: other test runs use them.

Every fixture cleans up on teardown, even when the test failed, and fails with a clear message when a server binary
is missing (CI installs ``postgresql`` and ``redis-server``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_celery_worker import worker_command

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(condition, *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}")


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process and its children (each server runs in its own session)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)


def stop(process: subprocess.Popen, *, grace: float = 10.0) -> str:
    """SIGTERM, then SIGKILL after ``grace`` seconds; returns what the process printed (when it was piped)."""
    kill_group(process, signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        kill_group(process)
        output, _ = process.communicate()
    return (output or b"").decode(errors="replace")


# --- Redis ---------------------------------------------------------------------------------------------------------


class RedisServer:
    """A redis-server on a free port, no persistence: ``stop()`` loses everything, like a crashed cache."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server): the fault tests need their own")
        self.binary = binary
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(lambda: port_answers(self.port), timeout=10, what=f"redis-server on port {self.port}")

    def kill(self) -> None:
        if self.process is not None:
            kill_group(self.process)
            self.process.wait(timeout=10)
            self.process = None
        wait_until(lambda: not port_answers(self.port), timeout=5, what="redis-server to go away")


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.fail("PostgreSQL server binaries not found (/usr/lib/postgresql/<N>/bin/initdb): install postgresql")
    return Path(found[-1]).parent


class PostgresCluster:
    """A PostgreSQL cluster of our own (initdb in a temporary folder, trust authentication), run as the ``postgres``
    OS user when the tests run as root (the server refuses root)."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="psn-fault-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.socket_dir.mkdir()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.fail("running as root needs the 'postgres' OS user to run a PostgreSQL cluster")
            for path in (self.root, self.socket_dir):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, timeout=timeout, cwd=self.root, check=False
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed: {result.stdout}{result.stderr}\n{log}")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"
        )

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), action, "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, *extra
        )

    def start(self) -> None:
        self._pg_ctl("start")

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection is cut, the server is back when this returns."""
        self._pg_ctl("restart", "-m", "fast")

    def create_database(self, name: str) -> None:
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as_user, str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def postgres_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


# --- The app and the worker ----------------------------------------------------------------------------------------


def app_env(**overrides: str) -> dict[str, str]:
    """The environment of a web or worker process of the tests: the test run's own (tests/env.py) with tasks sent
    to the broker rather than run eagerly."""
    return dict(os.environ, CELERY_TASK_ALWAYS_EAGER="false", PYTHONUNBUFFERED="1", **overrides)


class AppServer:
    """The web app under gunicorn (two workers, as the Procfile runs it) on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "psn.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "30",
                "--graceful-timeout",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._up, timeout=30, what=f"gunicorn on port {self.port} (log: {log})")
        self.pid = self.process.pid

    def _up(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited: {self.output()}")
        return port_answers(self.port)

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self._log.read_text(errors="replace")

    def close(self) -> None:
        stop(self.process, grace=5)
        self._log_file.close()


class Worker:
    """A Celery worker in its own session (``kill_group`` reaches it and its children), one task at a time, its
    output in ``log``."""

    def __init__(self, *, name: str, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            worker_command(name, "info"),
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"the worker exited: {self.output()}")
            return " ready." in self.output()

        wait_until(ready, timeout=timeout, what="the Celery worker to be ready", interval=0.2)

    def kill(self) -> None:
        """SIGKILL, as the kernel's OOM killer or a lost machine would: no warm shutdown, no ack, no cleanup."""
        kill_group(self.process, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        """Warm shutdown (SIGTERM, SIGKILL after 20 s); returns what it printed."""
        stop(self.process, grace=20)
        self._log_file.close()
        return self.log.read_text(errors="replace")
