"""Backups of the database and the file storage, their restore and their retention (``manage.py backup``,
``manage.py restore``, ``make backup``, ``make restore``; README "Backups").

One backup is one uncompressed tar archive, ``psn-backup-YYYYMMDDTHHMMSSZ.tar`` (UTC):

- ``database.dump``: ``pg_dump --format=custom`` (compressed), taken in the snapshot the row counts were read
  in, so the counts are those of the dump; or ``database.sqlite3``, a copy made with SQLite's backup API;
- ``media/<name>``: every file of the storage (attachments, signed consent forms, report files, logos);
- ``manifest.json``, last: when, which code (version, commit, applied migrations), the row count of every
  table and the size and SHA-256 of the database member and of every file.

The archive is written under a temporary name with mode 0600 in a 0700 directory and renamed when complete:
a crash leaves a ``.partial`` file, never an archive that looks whole. A restore first extracts every member
into a private staging folder while hashing it, and changes nothing unless every hash and size matches the
manifest and the manifest lists exactly the archive's members. The hashes catch damage and truncation; they
do not stop someone who can rewrite the archive and its manifest together (keep archives encrypted and
access-controlled: README).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

import django
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage

from .database import (
    PG_MEMBER,
    SQLITE_MEMBER,
    BackupError,
    current_row_counts,
    database_holds_data,
    dump_postgresql,
    dump_sqlite,
    engine_of,
    restore_postgresql,
    restore_sqlite,
)
from .retention import ARCHIVE_PREFIX, PARTIAL_MARK, STAMP_FORMAT

MANIFEST = "manifest.json"
MANIFEST_KIND = "psn-hub-backup"
FORMAT_VERSION = 1
MEDIA_PREFIX = "media/"
STAGING_PREFIX = ".psn-restore-"
MANIFEST_MAX_BYTES = 256 * 1024 * 1024
CHUNK = 1024 * 1024


@dataclass
class BackupResult:
    path: Path
    size: int
    manifest: dict
    skipped: list[str] = field(default_factory=list)  # storage entries that are not regular files


@dataclass
class RestoreResult:
    manifest: dict
    mismatches: list[str]
    removed_files: list[str]
    extra_tables: list[str]

    @property
    def ok(self) -> bool:
        return not self.mismatches


def storage_root() -> Path:
    """The folder of the file storage. Only a local file system storage is backed up by these commands."""
    if not isinstance(default_storage, FileSystemStorage):
        raise BackupError(
            f"The file storage is {type(default_storage).__name__}, not the local file system: back up its bucket "
            "with the provider's versioning and replication; these commands only copy a local MEDIA_ROOT."
        )
    return Path(default_storage.location)


def _storage_files(media_root: Path) -> tuple[list[str], list[str]]:
    """Every regular file under ``media_root`` as a POSIX relative name, sorted, and the entries skipped."""
    files, skipped = [], []
    if not media_root.exists():
        return files, skipped
    for folder, dirs, names in os.walk(media_root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(STAGING_PREFIX))
        for name in sorted(names):
            path = Path(folder) / name
            relative = path.relative_to(media_root).as_posix()
            if path.is_symlink() or not path.is_file():
                skipped.append(relative)
            else:
                files.append(relative)
        skipped.extend(Path(folder, d).relative_to(media_root).as_posix() for d in dirs if Path(folder, d).is_symlink())
    return sorted(files), skipped


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader:
    """Hands tarfile the bytes of a file while hashing exactly what it stores."""

    def __init__(self, raw):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _add_file(tar: tarfile.TarFile, name: str, path: Path, mtime: float) -> dict:
    with open(path, "rb") as handle:
        info = tarfile.TarInfo(name)
        info.size = os.fstat(handle.fileno()).st_size
        info.mtime = int(mtime)
        info.mode = 0o600
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"size": reader.size, "sha256": reader.digest.hexdigest()}


def _safe_relative(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        bool(name)
        and not path.is_absolute()
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in name.split("/"))
        and not path.parts[0].startswith(STAGING_PREFIX)
    )


def _app_version() -> dict:
    version = {"version": None, "commit": None}
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as handle:
            version["version"] = tomllib.load(handle).get("project", {}).get("version")
    except (OSError, tomllib.TOMLDecodeError):
        pass
    git = shutil.which("git")
    if git and (Path(settings.BASE_DIR) / ".git").exists():
        done = subprocess.run(  # noqa: S603 (git from PATH, fixed arguments)
            [git, "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode == 0:
            version["commit"] = done.stdout.strip()
    return version


def private_directory(directory: Path) -> Path:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if directory.stat().st_mode & 0o077:
        directory.chmod(0o700)  # it holds personal data: nobody but the owner lists or reads it
    return directory


def backup_create(
    *, directory: Path, settings_dict: dict, media_root: Path, now: datetime | None = None
) -> BackupResult:
    """Write one archive of the database and the file storage into ``directory``; return its path and manifest."""
    engine = engine_of(settings_dict)
    directory = private_directory(Path(directory).resolve())
    media_root = Path(media_root).resolve()
    if directory == media_root or media_root in directory.parents:
        raise BackupError(f"The backup folder {directory} is inside the file storage {media_root}: choose another.")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    final = directory / f"{ARCHIVE_PREFIX}{now.strftime(STAMP_FORMAT)}.tar"
    if final.exists():
        raise BackupError(f"{final} already exists; wait a second and run the backup again.")
    work = Path(tempfile.mkdtemp(prefix=".psn-backup-work-", dir=directory))  # mode 0700
    partial = directory / f".{final.name}{PARTIAL_MARK}{os.urandom(4).hex()}"
    try:
        dump_path = work / "database"
        database = (dump_postgresql if engine == "postgresql" else dump_sqlite)(settings_dict, dump_path)
        files, skipped = _storage_files(media_root)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                stamp = now.timestamp()
                database.update(_add_file(tar, database["member"], dump_path, stamp))
                stored = {}
                for name in files:
                    path = media_root / name
                    stored[name] = _add_file(tar, MEDIA_PREFIX + name, path, path.stat().st_mtime)
                manifest = {
                    "kind": MANIFEST_KIND,
                    "format": FORMAT_VERSION,
                    "created_at": now.isoformat(),
                    "app": _app_version(),
                    "django": django.get_version(),
                    "database": {
                        k: database[k] for k in ("engine", "member", "server_version", "tool", "size", "sha256")
                    },
                    "migrations": database["migrations"],
                    "row_counts": database["row_counts"],
                    "files": stored,
                }
                body = json.dumps(manifest, indent=1, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(body), int(stamp), 0o600
                tar.addfile(info, io.BytesIO(body))
            raw.flush()
            os.fsync(raw.fileno())
        # link() refuses to replace an existing name: two backups in the same second never overwrite each other.
        try:
            os.link(partial, final)
        except FileExistsError as exc:
            raise BackupError(f"{final} already exists; wait a second and run the backup again.") from exc
        os.unlink(partial)
        _fsync_directory(directory)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if partial.exists():
            partial.unlink()
    return BackupResult(path=final, size=final.stat().st_size, manifest=manifest, skipped=skipped)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_manifest(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], archive: Path) -> dict:
    info = members.get(MANIFEST)
    if info is None:
        raise BackupError(f"{archive} has no {MANIFEST}: it is not a PSN Hub backup, or it was cut short.")
    if info.size > MANIFEST_MAX_BYTES:
        raise BackupError(f"{archive}: its manifest is implausibly large ({info.size} bytes).")
    try:
        manifest = json.loads(tar.extractfile(info).read())
    except (tarfile.TarError, OSError, ValueError) as exc:
        raise BackupError(f"{archive}: its manifest cannot be read ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("kind") != MANIFEST_KIND:
        raise BackupError(f"{archive} is not a PSN Hub backup (its manifest says nothing of one).")
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError(f"{archive} has backup format {manifest.get('format')!r}; this code reads {FORMAT_VERSION}.")
    try:
        database, files, counts = manifest["database"], manifest["files"], manifest["row_counts"]
        if database["member"] not in (PG_MEMBER, SQLITE_MEMBER) or database["engine"] not in ("postgresql", "sqlite"):
            raise ValueError("database")
        for entry in [database, *files.values()]:
            if not (isinstance(entry["size"], int) and re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])):
                raise ValueError("hash")
        if not all(isinstance(v, int) for v in counts.values()) or not isinstance(manifest["migrations"], list):
            raise ValueError("counts")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BackupError(f"{archive}: its manifest is malformed ({exc}).") from exc
    bad = [name for name in files if not _safe_relative(name)]
    if bad:
        raise BackupError(f"{archive}: its manifest names files outside the storage ({bad[0]!r}); refused.")
    return manifest


def _stage(archive: Path, staging: Path) -> dict:
    """Check the archive against its manifest while extracting it into ``staging``; return the manifest.

    Raises BackupError, having written nothing outside ``staging``, when a member is missing, extra, not a regular
    file, or differs in size or SHA-256 from the manifest."""
    try:
        tar = tarfile.open(archive, mode="r:")  # noqa: SIM115 (the with block below closes it)
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{archive} is not a readable backup archive ({exc}).") from exc
    with tar:
        try:
            listed = tar.getmembers()
        except (OSError, tarfile.TarError) as exc:
            raise BackupError(f"{archive} is damaged or cut short ({exc}). Nothing was restored.") from exc
        members: dict[str, tarfile.TarInfo] = {}
        for info in listed:
            if info.name in members or not info.isfile():
                raise BackupError(f"{archive}: unexpected member {info.name!r} (a duplicate or not a file); refused.")
            members[info.name] = info
        manifest = _read_manifest(tar, members, archive)
        expected = {manifest["database"]["member"]: manifest["database"]}
        expected.update({MEDIA_PREFIX + name: entry for name, entry in manifest["files"].items()})
        missing = sorted(set(expected) - set(members))
        extra = sorted(set(members) - set(expected) - {MANIFEST})
        if missing:
            raise BackupError(
                f"{archive} is incomplete: {len(missing)} member(s) its manifest lists are missing "
                f"(first: {missing[0]}). Nothing was restored."
            )
        if extra:
            raise BackupError(
                f"{archive} holds {len(extra)} member(s) its manifest does not list (first: {extra[0]}); refused."
            )
        for name, entry in expected.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            try:
                source = tar.extractfile(members[name])
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
            except (OSError, tarfile.TarError) as exc:
                raise BackupError(f"{archive}: {name} cannot be read ({exc}). Nothing was restored.") from exc
            if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                raise BackupError(
                    f"{archive}: {name} does not match the manifest (size or SHA-256): the archive is damaged or "
                    "was altered. Nothing was restored."
                )
    return manifest


def _unknown_migrations(manifest: dict) -> list[str]:
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return [f"{app}.{name}" for app, name in manifest["migrations"] if (app, name) not in known]


def restore_verify(*, manifest: dict, settings_dict: dict, media_root: Path) -> tuple[list[str], list[str]]:
    """Compare the database and the storage with the manifest: (mismatches, tables the backup does not have)."""
    mismatches = []
    counts = current_row_counts(engine_of(settings_dict), settings_dict)
    for table, expected in sorted(manifest["row_counts"].items()):
        found = counts.get(table)
        if found != expected:
            mismatches.append(
                f"table {table}: {found if found is not None else 'missing'} rows, the backup has {expected}"
            )
    files, _skipped = _storage_files(media_root)
    for name, entry in sorted(manifest["files"].items()):
        path = media_root / name
        if not path.is_file():
            mismatches.append(f"file {name}: missing")
        elif sha256_of(path) != entry["sha256"]:
            mismatches.append(f"file {name}: its SHA-256 differs from the backup's")
    mismatches.extend(f"file {name}: not in the backup" for name in files if name not in manifest["files"])
    return mismatches, sorted(set(counts) - set(manifest["row_counts"]))


def backup_restore(*, archive: Path, settings_dict: dict, media_root: Path, force: bool = False) -> RestoreResult:
    """Restore ``archive`` into the database of ``settings_dict`` and the storage at ``media_root``, then check both
    against its manifest. Refuses (BackupError, nothing changed) a damaged or altered archive, a backup of another
    engine or of migrations this code does not have, and, without ``force``, a database or storage holding data."""
    archive = Path(archive)
    engine = engine_of(settings_dict)
    media_root = Path(media_root).resolve()
    created_root = not media_root.exists()
    media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=media_root))  # same file system: renames
    removed: list[str] = []
    try:
        manifest = _stage(archive, staging)
        if manifest["database"]["engine"] != engine:
            raise BackupError(
                f"This is a {manifest['database']['engine']} backup; the configured database is {engine}. "
                "Nothing was restored."
            )
        unknown = _unknown_migrations(manifest)
        if unknown:
            raise BackupError(
                f"The backup was made by newer code (migrations this code lacks: {', '.join(unknown[:3])}). Deploy "
                f"that version (commit {manifest['app'].get('commit') or 'unknown'}) first. Nothing was restored."
            )
        present, _skipped = _storage_files(media_root)
        if not force:
            if database_holds_data(engine, settings_dict):
                raise BackupError(
                    f"The database {settings_dict.get('NAME')!r} holds data (users or task forces). Restoring "
                    "replaces it: run again with --force (make restore FORCE=1) if that is what you want. "
                    "Nothing was restored."
                )
            if present:
                raise BackupError(
                    f"The file storage {media_root} holds {len(present)} file(s). Restoring replaces them: run again "
                    "with --force (make restore FORCE=1) if that is what you want. Nothing was restored."
                )
        database = staging / manifest["database"]["member"]
        if engine == "postgresql":
            restore_postgresql(settings_dict, database, manifest)
        else:
            restore_sqlite(settings_dict, database)
        # The database now is the backup's: the storage becomes the backup's too (files no row of it names go).
        file_mode = settings.FILE_UPLOAD_PERMISSIONS
        for name in manifest["files"]:
            target = media_root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if file_mode is not None:
                os.chmod(staging / MEDIA_PREFIX / name, file_mode)
            os.replace(staging / MEDIA_PREFIX / name, target)
        for name in present:
            if name not in manifest["files"]:
                (media_root / name).unlink()
                removed.append(name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created_root:
            shutil.rmtree(media_root, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    mismatches, extra_tables = restore_verify(manifest=manifest, settings_dict=settings_dict, media_root=media_root)
    return RestoreResult(manifest=manifest, mismatches=mismatches, removed_files=removed, extra_tables=extra_tables)
