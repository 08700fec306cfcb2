"""Retention of backup archives: the newest of each of the last N days and M months that have one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .database import BackupError

ARCHIVE_PREFIX = "psn-backup-"
ARCHIVE_RE = re.compile(r"^psn-backup-(\d{8}T\d{6}Z)\.tar$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
PARTIAL_MARK = ".partial-"
# A .partial file this old is what a crashed backup left: pruning removes it.
PARTIAL_MAX_AGE = timedelta(hours=24)


def archives_in(directory: Path) -> list[tuple[datetime, Path]]:
    """The archives of ``directory`` (by their exact name), newest first."""
    found = []
    if not directory.is_dir():
        return found
    for path in directory.iterdir():
        match = ARCHIVE_RE.match(path.name)
        if match and path.is_file():
            found.append((datetime.strptime(match.group(1), STAMP_FORMAT).replace(tzinfo=UTC), path))
    return sorted(found, reverse=True)


def backups_prune(*, directory: Path, keep_daily: int, keep_monthly: int, now: datetime | None = None) -> list[Path]:
    """Delete the archives the policy does not keep; return the deleted paths.

    Kept: the newest archive of each of the ``keep_daily`` most recent days that have one, and the newest of each
    of the ``keep_monthly`` most recent months that have one (UTC, from the archive's name; one archive may count
    for both). Days without a backup do not use up the allowance, so a stopped backup job never lets the last
    good archives age out. Files with other names are left alone, except the ``.partial`` leftovers of
    crashed backups older than a day.
    """
    if keep_daily < 0 or keep_monthly < 0 or keep_daily + keep_monthly < 1:
        raise BackupError("Keep at least one backup: --keep-daily and --keep-monthly are 0 or more, not both 0.")
    archives = archives_in(directory)
    kept: set[Path] = set()
    for period_of, allowance in ((lambda d: d.date(), keep_daily), (lambda d: (d.year, d.month), keep_monthly)):
        periods = set()
        for stamp, path in archives:  # newest first: the first archive of a period is its newest
            period = period_of(stamp)
            if period in periods:
                continue
            if len(periods) == allowance:
                break
            periods.add(period)
            kept.add(path)
    deleted = []
    for _stamp, path in archives:
        if path not in kept:
            path.unlink()
            deleted.append(path)
    limit = (now or datetime.now(UTC)).timestamp() - PARTIAL_MAX_AGE.total_seconds()
    for path in directory.glob(f".{ARCHIVE_PREFIX}*{PARTIAL_MARK}*"):
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink()
            deleted.append(path)
    return deleted
