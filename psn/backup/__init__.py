"""Backups of the database and the file storage (``manage.py backup`` / ``restore``, ``make backup`` /
``make restore``; README "Backups"). The archive and its restore are in archive.py, the database side in
database.py, retention in retention.py."""

from .archive import BackupResult, RestoreResult, backup_create, backup_restore, restore_verify, storage_root
from .database import BackupError, major, pg_tool
from .retention import archives_in, backups_prune

__all__ = [
    "BackupError",
    "BackupResult",
    "RestoreResult",
    "archives_in",
    "backup_create",
    "backup_restore",
    "backups_prune",
    "major",
    "pg_tool",
    "restore_verify",
    "storage_root",
]
