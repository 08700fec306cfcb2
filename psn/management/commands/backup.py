"""``backup [--dir DIR] [--keep-daily N] [--keep-monthly M] [--no-prune]``: one archive of the database and the
file storage (psn/backup.py), then the retention policy applied to the folder (README "Backups")."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from psn import backup

KEEP_DAILY = 7
KEEP_MONTHLY = 12


class Command(BaseCommand):
    # No system checks: a backup or restore must not wait on (or be stopped by) the whole app's checks, which
    # import every view; it needs only the settings and the database.
    requires_system_checks = []
    help = "Back up the database (pg_dump, or SQLite's backup API) and the file storage into one archive."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=None, help="the backup folder (default: var/backups)")
        parser.add_argument(
            "--keep-daily", type=int, default=KEEP_DAILY, help=f"days with a kept backup (default {KEEP_DAILY})"
        )
        parser.add_argument(
            "--keep-monthly", type=int, default=KEEP_MONTHLY, help=f"months with a kept backup (default {KEEP_MONTHLY})"
        )
        parser.add_argument("--no-prune", action="store_true", help="keep every older archive")

    def handle(self, *args, dir: Path | None, keep_daily: int, keep_monthly: int, no_prune: bool, **options):
        directory = dir or Path(settings.VAR_DIR) / "backups"
        if not no_prune and (keep_daily < 0 or keep_monthly < 0 or keep_daily + keep_monthly < 1):
            # Checked before the backup, so a typo never costs a dump.
            raise CommandError("--keep-daily and --keep-monthly are 0 or more, and not both 0.")
        try:
            result = backup.backup_create(
                directory=directory,
                settings_dict=connections["default"].settings_dict,
                media_root=backup.storage_root(),
            )
            deleted = (
                []
                if no_prune
                else backup.backups_prune(directory=directory, keep_daily=keep_daily, keep_monthly=keep_monthly)
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # permissions, a full disk: said plainly, never a traceback
            raise CommandError(f"{exc.strerror or exc}: {exc.filename or ''}") from exc
        manifest = result.manifest
        self.stdout.write(
            f"Wrote {result.path} ({result.size:,} bytes): {manifest['database']['engine']} database, "
            f"{sum(manifest['row_counts'].values()):,} rows in {len(manifest['row_counts'])} tables, "
            f"{len(manifest['files'])} stored files."
        )
        for name in result.skipped:
            self.stderr.write(f"Skipped {name} in the file storage: not a regular file.")
        for path in deleted:
            self.stdout.write(f"Pruned {path}")
