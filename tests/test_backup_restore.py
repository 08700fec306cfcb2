"""make backup / make restore (issue 9, item 6): a real round trip into a different, fresh database and file
storage compares every table (row counts and contents) and every file (SHA-256); a damaged or altered archive is
refused with nothing changed; a database holding data is only replaced with --force; pruning keeps exactly what
the retention policy says.

The tests run on the database the suite runs on: PostgreSQL (pg_dump / pg_restore, a fresh database created and
dropped here) in CI, SQLite (its backup API, a fresh file) in the embedded default. The SQLite code path is also
tested on its own below, so both engines are covered in every run."""

import hashlib
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tarfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cases import attachments, consent, notes
from cases.models import Attachment, ConsentMethod, ConsentScope
from psn import backup
from tests.cases.support import build_setup

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
ON_POSTGRES = connection.vendor == "postgresql"


# --- Independent readers of a database and a storage (not the code under test) ------------------------------


def _pg_connect(settings_dict: dict, name: str | None = None):
    return psycopg.connect(
        dbname=name or settings_dict["NAME"],
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        host=settings_dict.get("HOST") or None,
        port=settings_dict.get("PORT") or None,
        autocommit=True,
    )


def table_digests(settings_dict: dict) -> dict[str, tuple[int, str]]:
    """Every table of the database: (row count, digest of its sorted rows)."""
    result = {}
    if settings_dict["ENGINE"].endswith("sqlite3"):
        conn = sqlite3.connect(settings_dict["NAME"])
        try:
            tables = [
                r[0]
                for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                if r[0] != "sqlite_sequence"
            ]
            for table in tables:
                rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{table}"'))
                result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        finally:
            conn.close()
        return result
    with _pg_connect(settings_dict) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in tables:
            count, digest = conn.execute(
                psycopg.sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {} t"
                ).format(psycopg.sql.Identifier(table))
            ).fetchone()
            result[table] = (count, digest)
    return result


def sequence_values(settings_dict: dict) -> dict[str, int | None]:
    if not settings_dict["ENGINE"].endswith("postgresql"):
        return {}
    with _pg_connect(settings_dict) as conn:
        return dict(conn.execute("SELECT sequencename, last_value FROM pg_sequences").fetchall())


def file_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- Fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seeded(world, media):
    """Referrals with notes, attachments and a signed consent form through the services, and report files in
    storage, one of them with a name that is neither ASCII nor free of spaces."""
    setup = build_setup(world)
    receiving = setup.actor("receiving_referral_staff")
    for index in range(3):
        referral = setup.accepted()
        notes.note_add(actor=receiving, referral=referral, body=f"Called on day {index}.", visibility="shared")
        attachments.attachment_add(
            actor=receiving,
            referral=referral,
            uploaded_file=SimpleUploadedFile(f"plan-{index}.pdf", PDF + str(index).encode()),
            visibility="shared",
        )
    attachments.attachment_add(
        actor=receiving, referral=referral, uploaded_file=SimpleUploadedFile("photo.png", PNG), visibility="internal"
    )
    consent.consent_record(
        actor=receiving,
        person=setup.person,
        scope=ConsentScope.TASK_FORCE,
        partners=[],
        shares=["contact"],
        method=ConsentMethod.UPLOAD,
        given_on=timezone.localdate(),
        file=SimpleUploadedFile("form.pdf", PDF),
    )
    default_storage.save("reports/año 2026 informe.csv", ContentFile(b"metric,value\nreferrals,3\n"))
    default_storage.save("reports/empty.csv", ContentFile(b""))
    assert Attachment.objects.count() == 4
    return setup


def _target_url(settings_dict: dict, name: str) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD")
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@" if user else ""
    return f"postgres://{credentials}{settings_dict.get('HOST') or ''}:{settings_dict.get('PORT') or 5432}/{name}"


@pytest.fixture
def target(tmp_path):
    """A different, fresh database (created here and dropped after) and an empty storage folder:
    (settings_dict, DATABASE_URL, media root)."""
    source = connection.settings_dict
    media_root = tmp_path / "restored-media"
    if not ON_POSTGRES:
        path = tmp_path / "restored.sqlite3"
        yield {"ENGINE": source["ENGINE"], "NAME": str(path)}, f"sqlite:///{path}", media_root
        return
    name = f"psn_h4_restore_{uuid.uuid4().hex[:12]}"
    with _pg_connect(source, "postgres") as admin:
        admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    try:
        yield {**source, "NAME": name}, _target_url(source, name), media_root
    finally:
        with _pg_connect(source, "postgres") as admin:
            admin.execute(
                psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name))
            )


def make_backup(directory: Path) -> tuple[Path, dict]:
    call_command("backup", "--dir", str(directory), "--no-prune")
    (archive,) = sorted(directory.glob("psn-backup-*.tar"))
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
    return archive, manifest


# --- The round trip ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_round_trip_restores_every_row_and_file_into_a_fresh_database(seeded, media, target, tmp_path):
    source_tables = table_digests(connection.settings_dict)
    source_sequences = sequence_values(connection.settings_dict)
    source_files = file_hashes(media)
    assert len(source_files) == 7  # 4 attachments, 1 consent form, 2 report files

    backups = tmp_path / "backups"
    archive, manifest = make_backup(backups)

    # Private and complete: 0700 folder, 0600 archive, no leftover temporary file.
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert [p.name for p in backups.iterdir()] == [archive.name]
    assert manifest["row_counts"] == {table: count for table, (count, _digest) in source_tables.items()}
    assert {name: entry["sha256"] for name, entry in manifest["files"].items()} == source_files
    assert manifest["migrations"] and ["cases", "0001_referrals"] in manifest["migrations"]
    assert manifest["database"]["engine"] == ("postgresql" if ON_POSTGRES else "sqlite")
    if ON_POSTGRES:
        # The client that dumped is at least the server's major version (README "Backups").
        assert backup.major(manifest["database"]["tool"]) >= backup.major(manifest["database"]["server_version"])

    # Restore with the real command in its own process, configured like production: by environment variables.
    target_settings, target_url, target_media = target
    done = subprocess.run(
        [sys.executable, "manage.py", "restore", str(archive)],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": target_url, "MEDIA_ROOT": str(target_media)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "OK: restored" in done.stdout

    assert table_digests(target_settings) == source_tables
    assert sequence_values(target_settings) == source_sequences
    assert file_hashes(target_media) == source_files

    # The target now holds data: without --force it is refused and left as it was.
    (target_media / "reports" / "stray.txt").write_text("not in the backup")
    with pytest.raises(backup.BackupError, match="holds data"):
        backup.backup_restore(archive=archive, settings_dict=target_settings, media_root=target_media)
    assert table_digests(target_settings) == source_tables
    assert file_hashes(target_media) == {
        **source_files,
        "reports/stray.txt": file_hashes(target_media)["reports/stray.txt"],
    }

    # With --force it is replaced by the backup again, the stray file included.
    result = backup.backup_restore(archive=archive, settings_dict=target_settings, media_root=target_media, force=True)
    assert result.ok, result.mismatches
    assert result.removed_files == ["reports/stray.txt"]
    assert table_digests(target_settings) == source_tables
    assert file_hashes(target_media) == source_files


# --- Refusals ----------------------------------------------------------------------------------------


def _flip_byte(archive: Path, member: str, out: Path) -> None:
    data = bytearray(archive.read_bytes())
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member).offset_data
    data[offset] ^= 0xFF
    out.write_bytes(bytes(data))


def _rewrite(archive: Path, out: Path, *, manifest_change=None, drop: str | None = None, add: tuple | None = None):
    """A copy of the archive with its manifest edited, a member dropped or a member added."""
    with tarfile.open(archive) as source, tarfile.open(out, "w") as copy:
        for info in source.getmembers():
            if info.name == drop:
                continue
            body = source.extractfile(info).read()
            if info.name == "manifest.json" and manifest_change:
                manifest = json.loads(body)
                manifest_change(manifest)
                body = json.dumps(manifest).encode()
                info.size = len(body)
            copy.addfile(info, io.BytesIO(body))
        if add:
            name, body = add
            info = tarfile.TarInfo(name)
            info.size = len(body)
            copy.addfile(info, io.BytesIO(body))


@pytest.mark.django_db(transaction=True)
def test_damaged_or_altered_archives_are_refused_and_change_nothing(seeded, media, tmp_path):
    archive, manifest = make_backup(tmp_path / "backups")
    attachment_member = "media/" + next(name for name in manifest["files"] if name.startswith("attachments/"))
    db_member = manifest["database"]["member"]
    bad = tmp_path / "bad"
    bad.mkdir()

    def renamed(name):
        return bad / f"{name}.tar"

    cases = {}
    _flip_byte(archive, attachment_member, renamed("flipped-file"))
    cases["flipped-file"] = "does not match the manifest"
    _flip_byte(archive, db_member, renamed("flipped-dump"))
    cases["flipped-dump"] = "does not match the manifest"
    size = archive.stat().st_size
    renamed("truncated-half").write_bytes(archive.read_bytes()[: size // 2])
    cases["truncated-half"] = "no manifest.json|damaged|cut short"
    with tarfile.open(archive) as tar:
        manifest_info = tar.getmember("manifest.json")
    # Cut inside the manifest, the last member (cutting only the tar's end padding leaves a whole archive).
    renamed("truncated-tail").write_bytes(archive.read_bytes()[: manifest_info.offset_data + manifest_info.size // 2])
    cases["truncated-tail"] = "no manifest.json|damaged|cut short|cannot be read"
    renamed("empty").write_bytes(b"")
    cases["empty"] = "not a readable backup archive|no manifest"
    renamed("not-a-tar").write_bytes(b"PGDMP" + os.urandom(4000))
    cases["not-a-tar"] = "not a readable backup archive|no manifest"
    _rewrite(archive, renamed("missing-file"), drop=attachment_member)
    cases["missing-file"] = "incomplete"
    _rewrite(archive, renamed("extra-file"), add=("media/attachments/planted.pdf", PDF))
    cases["extra-file"] = "does not list"
    _rewrite(archive, renamed("traversal"), add=("media/../../planted.txt", b"x"))
    cases["traversal"] = "does not list"

    def plant_traversal(m):
        m["files"]["../../planted.txt"] = {"size": 1, "sha256": hashlib.sha256(b"x").hexdigest()}

    _rewrite(
        archive, renamed("traversal-listed"), manifest_change=plant_traversal, add=("media/../../planted.txt", b"x")
    )
    cases["traversal-listed"] = "outside the storage"

    def other_hash(m):
        m["files"][attachment_member.removeprefix("media/")]["sha256"] = "0" * 64

    _rewrite(archive, renamed("manifest-hash"), manifest_change=other_hash)
    cases["manifest-hash"] = "does not match the manifest"

    def newer_code(m):
        m["migrations"].append(["cases", "9999_from_the_future"])

    _rewrite(archive, renamed("newer-code"), manifest_change=newer_code)
    cases["newer-code"] = "newer code"

    def other_engine(m):
        m["database"]["engine"] = "sqlite" if ON_POSTGRES else "postgresql"
        m["database"]["member"] = db_member  # the member name stays valid; only the engine disagrees

    _rewrite(archive, renamed("other-engine"), manifest_change=other_engine)
    cases["other-engine"] = "backup; the configured database is"

    before_tables = table_digests(connection.settings_dict)
    before_files = file_hashes(media)
    for name, message in cases.items():
        # --force: the refusal must come from the archive check, not from the database holding data.
        with pytest.raises(CommandError, match=message):
            call_command("restore", str(renamed(name)), "--force")
        assert table_digests(connection.settings_dict) == before_tables, name
        assert file_hashes(media) == before_files, name
        assert not any(p.name.startswith(".psn-restore-") for p in media.iterdir()), name
    assert not (tmp_path / "planted.txt").exists()
    assert len(cases) == 13


@pytest.mark.django_db(transaction=True)
def test_restore_over_a_database_holding_data_needs_force(seeded, media, tmp_path):
    archive, _manifest = make_backup(tmp_path / "backups")
    before_tables = table_digests(connection.settings_dict)
    before_files = file_hashes(media)
    with pytest.raises(CommandError, match=r"holds data .*--force"):
        call_command("restore", str(archive))
    assert table_digests(connection.settings_dict) == before_tables
    assert file_hashes(media) == before_files


def test_restore_names_a_missing_archive(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("restore", str(tmp_path / "nothing.tar"))


@pytest.mark.django_db
def test_bad_retention_is_refused_before_any_backup_is_made(tmp_path):
    for args in (["--keep-daily", "0", "--keep-monthly", "0"], ["--keep-daily", "-1"]):
        with pytest.raises(CommandError, match="not both 0"):
            call_command("backup", "--dir", str(tmp_path / "b"), *args)
    assert not (tmp_path / "b").exists()


# --- Retention ---------------------------------------------------------------------------------------


def _archive_name(stamp: str) -> str:
    return f"psn-backup-{stamp}.tar"


def test_pruning_keeps_exactly_the_daily_and_monthly_archives_of_the_policy(tmp_path):
    names = []
    for day in range(1, 11):  # two a day, 1-10 March 2026
        names += [_archive_name(f"202603{day:02d}T010000Z"), _archive_name(f"202603{day:02d}T130000Z")]
    for year, month in [(2025, m) for m in range(1, 13)] + [(2026, 1), (2026, 2)]:  # one a month before
        names.append(_archive_name(f"{year}{month:02d}15T020000Z"))
    for name in names:
        (tmp_path / name).write_bytes(b"")
    # Not archives: left alone (a fresh .partial might be a backup being written right now).
    others = ["notes.txt", "psn-backup-20200101T000000Z.tar.gz", ".psn-backup-20260310T140000Z.tar.partial-ab12"]
    for name in others:
        (tmp_path / name).write_bytes(b"")
    stale = tmp_path / ".psn-backup-20260301T010000Z.tar.partial-cd34"
    stale.write_bytes(b"")
    os.utime(stale, (0, 0))

    deleted = backup.backups_prune(
        directory=tmp_path, keep_daily=7, keep_monthly=12, now=datetime(2026, 3, 10, 14, tzinfo=UTC)
    )

    daily = [_archive_name(f"202603{day:02d}T130000Z") for day in range(4, 11)]  # the newest of each of 7 days
    monthly = [
        _archive_name(f"{y}{m:02d}15T020000Z") for y, m in [(2025, m) for m in range(4, 13)] + [(2026, 1), (2026, 2)]
    ]
    # March 2026's monthly archive is its newest, 10 March 13:00, already kept as a daily one: 11 + 1 months.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(daily + monthly + others)
    assert stale in deleted and len(deleted) == len(names) - len(daily) - len(monthly) + 1

    # A second run deletes nothing; a smaller policy keeps only what it says.
    assert backup.backups_prune(directory=tmp_path, keep_daily=7, keep_monthly=12) == []
    backup.backups_prune(directory=tmp_path, keep_daily=2, keep_monthly=0)
    assert sorted(p.name for p in tmp_path.glob("psn-backup-*.tar")) == [
        _archive_name("20260309T130000Z"),
        _archive_name("20260310T130000Z"),
    ]
    backup.backups_prune(directory=tmp_path, keep_daily=0, keep_monthly=1)
    assert [p.name for p in tmp_path.glob("psn-backup-*.tar")] == [_archive_name("20260310T130000Z")]


def test_pruning_never_deletes_every_archive(tmp_path):
    (tmp_path / _archive_name("20260310T130000Z")).write_bytes(b"")
    with pytest.raises(backup.BackupError, match="Keep at least one"):
        backup.backups_prune(directory=tmp_path, keep_daily=0, keep_monthly=0)
    assert (tmp_path / _archive_name("20260310T130000Z")).exists()


# --- SQLite, whatever database the suite runs on -----------------------------------------------------


def _sqlite_db(path: Path, rows: int) -> dict:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE accounts_user (id INTEGER PRIMARY KEY, email TEXT)")
    conn.execute('CREATE TABLE "cases_note" (id INTEGER PRIMARY KEY, body TEXT)')
    conn.executemany("INSERT INTO accounts_user (email) VALUES (?)", [(f"u{i}@example.org",) for i in range(rows)])
    conn.executemany("INSERT INTO cases_note (body) VALUES (?)", [(f"note {i} é",) for i in range(rows * 2)])
    conn.commit()
    conn.close()
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def test_sqlite_round_trip_and_refusals(tmp_path):
    source = _sqlite_db(tmp_path / "source.sqlite3", rows=5)
    media_root = tmp_path / "media"
    (media_root / "attachments" / "2026").mkdir(parents=True)
    (media_root / "attachments" / "2026" / "a.pdf").write_bytes(PDF)
    (media_root / "logos").mkdir()
    (media_root / "logos" / "l.png").write_bytes(PNG)
    result = backup.backup_create(
        directory=tmp_path / "backups",
        settings_dict=source,
        media_root=media_root,
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert result.path.name == "psn-backup-20260301T000000Z.tar"
    assert result.manifest["row_counts"] == {"accounts_user": 5, "cases_note": 10}

    # Same second again: refused, the first archive untouched.
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup_create(
            directory=tmp_path / "backups",
            settings_dict=source,
            media_root=media_root,
            now=datetime(2026, 3, 1, tzinfo=UTC),
        )

    # Into a database that holds other data: refused without force, replaced entirely with it.
    target = _sqlite_db(tmp_path / "target.sqlite3", rows=2)
    sqlite3.connect(target["NAME"]).execute("CREATE TABLE leftover (x)").connection.close()
    restored_media = tmp_path / "restored"
    with pytest.raises(backup.BackupError, match="holds data"):
        backup.backup_restore(archive=result.path, settings_dict=target, media_root=restored_media)
    assert table_digests(target)["accounts_user"][0] == 2
    restored = backup.backup_restore(archive=result.path, settings_dict=target, media_root=restored_media, force=True)
    assert restored.ok, restored.mismatches
    assert table_digests(target) == table_digests(source)  # the backup API replaced every page, "leftover" too
    assert file_hashes(restored_media) == file_hashes(media_root)

    # A PostgreSQL installation does not take a SQLite backup.
    if ON_POSTGRES:
        with pytest.raises(backup.BackupError, match="This is a sqlite backup"):
            backup.backup_restore(
                archive=result.path, settings_dict=connection.settings_dict, media_root=tmp_path / "m", force=True
            )


# --- Client versions ---------------------------------------------------------------------------------


def test_a_client_older_than_the_server_is_refused_with_what_to_install():
    # No PostgreSQL 99 exists: whatever pg_dump is installed is older, or there is none.
    with pytest.raises(backup.BackupError, match="postgresql-client-99"):
        backup.pg_tool("pg_dump", 99)


def test_a_backup_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    occupied = tmp_path / "backups"
    occupied.write_text("a file, not a folder")
    with pytest.raises(CommandError, match="File exists"):
        call_command("backup", "--dir", str(occupied))
