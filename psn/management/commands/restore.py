"""``restore ARCHIVE [--force]``: restore a backup archive (psn/backup.py) into the configured database and file
storage, then check both against the archive's manifest. Exit status 1 on a refusal or a mismatch."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from psn import backup


class Command(BaseCommand):
    # No system checks: a backup or restore must not wait on (or be stopped by) the whole app's checks, which
    # import every view; it needs only the settings and the database.
    requires_system_checks = []
    help = "Restore a backup archive into the configured database and file storage, then verify them."

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="a psn-backup-*.tar written by `manage.py backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace a database and file storage that already hold data"
        )

    def handle(self, *args, archive: Path, force: bool, **options):
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        # Our own connection must not hold locks or a stale view of the tables pg_restore drops.
        connections.close_all()
        try:
            result = backup.backup_restore(
                archive=archive,
                settings_dict=connections["default"].settings_dict,
                media_root=backup.storage_root(),
                force=force,
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # permissions, a full disk: said plainly, never a traceback
            raise CommandError(f"{exc.strerror or exc}: {exc.filename or ''}") from exc
        manifest = result.manifest
        for name in result.removed_files:
            self.stdout.write(f"Removed {name} from the file storage: not in the backup.")
        for table in result.extra_tables:
            self.stdout.write(f"Note: the table {table} is not in the backup and was left as it was.")
        if not result.ok:
            for line in result.mismatches:
                self.stderr.write(f"MISMATCH {line}")
            raise CommandError(f"Restored {archive}, but {len(result.mismatches)} check(s) differ from its manifest.")
        self.stdout.write(
            f"OK: restored {archive} (made {manifest['created_at']}, commit {manifest['app'].get('commit') or '?'}): "
            f"{len(manifest['row_counts'])} tables with the backup's row counts, {len(manifest['files'])} files "
            "with its SHA-256."
        )
        self.stdout.write("If this code is newer than the backup, run `manage.py migrate` now.")
