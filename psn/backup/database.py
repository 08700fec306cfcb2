"""The database side of a backup: PostgreSQL through pg_dump and pg_restore (the right client version, the
connection from the settings), SQLite through its backup API; row counts and applied migrations."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

# libpq connection options that may sit in DATABASES["default"]["OPTIONS"], with their environment variable.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}
# "Holds data" (a restore refuses to overwrite it without --force): every person, referral and report hangs
# from a task force and every account is a user. `migrate` alone writes reference rows (languages, the
# calendar, content types), which do not count.
DATA_TABLES = ("accounts_user", "partners_taskforce")
PG_MEMBER = "database.dump"
SQLITE_MEMBER = "database.sqlite3"


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


def engine_of(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine in ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"):
        return "postgresql"
    if engine == "django.db.backends.sqlite3":
        return "sqlite"
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")


def _pg_params(settings_dict: dict) -> dict:
    params = {
        "dbname": settings_dict.get("NAME"),
        "user": settings_dict.get("USER"),
        "password": settings_dict.get("PASSWORD"),
        "host": settings_dict.get("HOST"),
        "port": str(settings_dict.get("PORT") or ""),
    }
    options = settings_dict.get("OPTIONS") or {}
    params.update({key: str(options[key]) for key in LIBPQ_OPTIONS if options.get(key) not in (None, "")})
    return {key: value for key, value in params.items() if value}


def _pg_env(params: dict) -> dict:
    # The password goes to pg_dump and pg_restore through the environment, never on a command line that
    # `ps` shows to every user of the machine.
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST", "port": "PGPORT"}
    names.update(LIBPQ_OPTIONS)
    env = dict(os.environ)
    env.update({names[key]: value for key, value in params.items()})
    return env


def major(version: str) -> int:
    match = re.search(r"(\d+)(?:\.\d+)?", version)
    if not match:
        raise BackupError(f"Cannot read a PostgreSQL version in {version!r}.")
    return int(match.group(1))


def _tool_version(path: str) -> str:
    done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    return done.stdout.strip()


def pg_tool(name: str, server_major: int) -> tuple[str, str]:
    """The ``pg_dump`` or ``pg_restore`` to use with a server of ``server_major``, and its version line.

    A client older than the server cannot dump it (pg_dump refuses) nor be trusted to restore into it, so the
    server's own major version is preferred (Debian installs each under /usr/lib/postgresql/N/bin, and the
    `postgresql-client` package of an older release brings an older one onto PATH); a newer client is accepted.
    """
    candidates = [f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name)]
    found = []
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            version = _tool_version(candidate)
            if version:
                found.append((candidate, version))
    for candidate, version in found:
        if major(version) >= server_major:
            return candidate, version
    if found:
        raise BackupError(
            f"{found[0][1]} is older than the database server (PostgreSQL {server_major}) and cannot be used "
            f"with it. Install the client of version {server_major} (Debian: postgresql-client-{server_major}, "
            f"from apt.postgresql.org when the release lacks it)."
        )
    raise BackupError(
        f"{name} was not found. Install the PostgreSQL client (Debian: postgresql-client-{server_major})."
    )


def _pg_connect(settings_dict: dict) -> psycopg.Connection:
    try:
        return psycopg.connect(**_pg_params(settings_dict))
    except psycopg.Error as exc:
        raise BackupError(f"Cannot connect to the database {settings_dict.get('NAME')!r}: {exc}") from exc


def _pg_tables(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' "
        "ORDER BY 1, 2"
    )
    return cursor.fetchall()


def _table_key(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def _pg_row_counts(cursor) -> dict[str, int]:
    counts = {}
    for schema, table in _pg_tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table)))
        counts[_table_key(schema, table)] = cursor.fetchone()[0]
    return counts


def _pg_migrations(cursor) -> list[list[str]]:
    cursor.execute("SELECT to_regclass('django_migrations') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return []
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [list(row) for row in cursor.fetchall()]


def _sqlite_path(settings_dict: dict) -> Path:
    name = str(settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError(f"The SQLite database {name!r} is not a file that can be backed up or restored.")
    return Path(name)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    )
    return sorted(row[0] for row in rows)


def _sqlite_quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    counts = {}
    for table in _sqlite_tables(conn):
        counts[table] = conn.execute(f"SELECT count(*) FROM {_sqlite_quote(table)}").fetchone()[0]  # noqa: S608
    return counts


def _sqlite_migrations(conn: sqlite3.Connection) -> list[list[str]]:
    if "django_migrations" not in _sqlite_tables(conn):
        return []
    return [list(row) for row in conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name")]


def dump_postgresql(settings_dict: dict, target: Path) -> dict:
    """pg_dump into ``target`` inside the read-only, repeatable-read snapshot the row counts are read in."""
    params = _pg_params(settings_dict)
    with _pg_connect(settings_dict) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        server_major = conn.info.server_version // 10000
        tool, tool_version = pg_tool("pg_dump", server_major)
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_setting('server_version')")
            snapshot, server_version = cursor.fetchone()
            row_counts = _pg_row_counts(cursor)
            migrations = _pg_migrations(cursor)
            done = subprocess.run(  # noqa: S603
                [tool, "--format=custom", f"--snapshot={snapshot}", "--no-password", f"--file={target}"],
                env=_pg_env(params),
                capture_output=True,
                text=True,
                check=False,
            )
        conn.rollback()
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed (exit status {done.returncode}): {done.stderr.strip()}")
    return {
        "engine": "postgresql",
        "member": PG_MEMBER,
        "server_version": server_version,
        "tool": tool_version,
        "row_counts": row_counts,
        "migrations": migrations,
    }


def dump_sqlite(settings_dict: dict, target: Path) -> dict:
    source_path = _sqlite_path(settings_dict)
    if not source_path.exists():
        raise BackupError(f"The SQLite database {source_path} does not exist.")
    source = sqlite3.connect(source_path, timeout=20)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # a consistent copy, even while the app writes
        row_counts = _sqlite_row_counts(copy)
        migrations = _sqlite_migrations(copy)
    finally:
        copy.close()
        source.close()
    return {
        "engine": "sqlite",
        "member": SQLITE_MEMBER,
        "server_version": sqlite3.sqlite_version,
        "tool": f"sqlite3 backup API {sqlite3.sqlite_version}",
        "row_counts": row_counts,
        "migrations": migrations,
    }


def database_holds_data(engine: str, settings_dict: dict) -> bool:
    if engine == "postgresql":
        with _pg_connect(settings_dict) as conn, conn.cursor() as cursor:
            for table in DATA_TABLES:
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
                if cursor.fetchone()[0]:
                    cursor.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table)))
                    if cursor.fetchone()[0]:
                        return True
        return False
    path = _sqlite_path(settings_dict)
    if not path.exists():
        return False
    conn = sqlite3.connect(path, timeout=20)
    try:
        tables = set(_sqlite_tables(conn))
        for table in DATA_TABLES:
            if table in tables and conn.execute(f"SELECT 1 FROM {_sqlite_quote(table)} LIMIT 1").fetchone():  # noqa: S608
                return True
        return False
    finally:
        conn.close()


def restore_postgresql(settings_dict: dict, dump: Path, manifest: dict) -> None:
    params = _pg_params(settings_dict)
    with _pg_connect(settings_dict) as conn:
        server_major = conn.info.server_version // 10000
    tool, tool_version = pg_tool("pg_restore", server_major)
    made_with = manifest["database"].get("tool") or ""
    if made_with and major(made_with) > major(tool_version):
        raise BackupError(
            f"The dump was made by {made_with}; {tool_version} cannot read it. Install the newer client. "
            "Nothing was restored."
        )
    done = subprocess.run(  # noqa: S603
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={params.get('dbname', '')}",
            str(dump),
        ],
        env=_pg_env(params),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise BackupError(
            f"pg_restore failed (exit status {done.returncode}); in one transaction, so the database is as it was. "
            f"{done.stderr.strip()}"
        )


def restore_sqlite(settings_dict: dict, copy: Path) -> None:
    target_path = _sqlite_path(settings_dict)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    target = sqlite3.connect(target_path, timeout=20)
    try:
        source.backup(target)  # replaces every page of the target under its lock (WAL-safe, unlike a file copy)
    except sqlite3.Error as exc:
        raise BackupError(f"The SQLite restore failed ({exc}); the database is as it was.") from exc
    finally:
        target.close()
        source.close()


def current_row_counts(engine: str, settings_dict: dict) -> dict[str, int]:
    if engine == "postgresql":
        with _pg_connect(settings_dict) as conn, conn.cursor() as cursor:
            return _pg_row_counts(cursor)
    conn = sqlite3.connect(_sqlite_path(settings_dict), timeout=20)
    try:
        return _sqlite_row_counts(conn)
    finally:
        conn.close()
