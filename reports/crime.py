"""Violent-crime counts: the police partner's CSV upload (checked line by line, each month in the file replaced
at once) and the reads of the uploads and counts. Pages, API and tests call these.

The file: a header ``month,offense,count`` (any order, any case), then one line per month and offense: the month
as ``YYYY-MM``, the offense as its code or English label (``aggravated_assault`` or ``Aggravated assault``) and a
whole number from 0. An offense missing for a month means "not reported", not 0: only the lines given are stored.
Any bad line refuses the whole file, with every bad line named; nothing is written.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import os
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partners.models import Partner, TaskForce
from psn import access, audit

from .models import CrimeCount, CrimeCountUpload, Offense

MAX_BYTES = 1024 * 1024
MAX_LINES = 5000
FIRST_YEAR = 2000
# PositiveIntegerField's upper bound on every database Django supports.
MAX_COUNT = 2_147_483_647
COLUMNS = ("month", "offense", "count")
MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
COUNT = re.compile(r"\d+", re.ASCII)
# BOMs of the encodings a spreadsheet may save in that are not UTF-8: named, so the refusal says what to do.
OTHER_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# How many months of counts the page's table shows (the API reads any range).
MONTHS_SHOWN = 24

SAMPLE = "month,offense,count\n2026-09,homicide,3\n2026-09,Non-fatal shooting,11\n2026-10,robbery,42\n"

DENIED = "Only the referral staff and admins of a law-enforcement partner, and coordinators, upload crime counts."


@dataclass(frozen=True)
class Row:
    line: int
    month: datetime.date
    offense: str
    count: int


def _offense_names() -> dict[str, str]:
    """Lower-cased code and English label -> code (the file is written in English whatever the page's language)."""
    with translation.override("en"):
        names = {str(label).strip().lower(): code for code, label in Offense.choices}
    names.update({code: code for code in Offense.values})
    return names


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _line_error(line: int, reason: str) -> ValidationError:
    return ValidationError(_("Line %(line)s: %(reason)s."), code="line", params={"line": line, "reason": reason})


def _text_of(uploaded_file) -> str:
    """The file's text: at most MAX_BYTES, UTF-8 (a BOM is fine), not binary."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _refuse(_("The file is larger than 1 MB: split it into several uploads."))
    uploaded_file.seek(0)
    data = uploaded_file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse(_("The file is larger than 1 MB: split it into several uploads."))
    if not data.strip():
        raise _refuse(_("The file is empty."))
    if data.startswith(OTHER_BOMS):
        raise _refuse(_("The file is not UTF-8 text: save it as “CSV UTF-8”."))
    if b"\x00" in data:
        raise _refuse(_("This is not a CSV file (it holds binary data)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _refuse(
            _("The file is not UTF-8 text (line %(line)s): save it as “CSV UTF-8”.") % {"line": line}
        ) from exc


def _columns(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    if sorted(names) != sorted(COLUMNS):
        if names and MONTH.fullmatch(names[0]):
            raise _refuse(_("The first line must be the header: month,offense,count."))
        raise _refuse(
            _("The header must name the columns month, offense and count (it names: %(names)s).")
            % {"names": ", ".join(name or "—" for name in names)[:200]}
        )
    return {name: names.index(name) for name in COLUMNS}


def _month(value: str, latest: datetime.date) -> tuple[datetime.date | None, str]:
    match = MONTH.fullmatch(value)
    if match is None:
        return None, _("the month “%(value)s” is not a month as YYYY-MM") % {"value": value[:20]}
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        return None, _("the month “%(value)s” is not a month as YYYY-MM") % {"value": value}
    first = datetime.date(year, month, 1)
    if year < FIRST_YEAR:
        return None, _("the month %(value)s is before %(year)s") % {"value": value, "year": FIRST_YEAR}
    if first > latest:
        return None, _("the month %(value)s is in the future") % {"value": value}
    return first, ""


def _count(value: str) -> tuple[int | None, str]:
    if not COUNT.fullmatch(value):
        return None, _("the count “%(value)s” is not a whole number from 0") % {"value": value[:20]}
    number = int(value)
    if number > MAX_COUNT:
        return None, _("the count %(value)s is too large") % {"value": value[:20]}
    return number, ""


def parse(text: str, *, task_force: TaskForce) -> list[Row]:
    """The rows of the file, or a ValidationError naming every bad line (``{"file": [...]}``)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    numbered: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                # The file's own line numbers (blank lines and quoted line breaks included), as an editor shows them.
                numbered.append((reader.line_num, cells))
    except csv.Error as exc:
        raise _refuse(
            _("Line %(line)s cannot be read as CSV (%(reason)s).") % {"line": reader.line_num, "reason": exc}
        ) from exc
    if not numbered:
        raise _refuse(_("The file is empty."))
    (_header_line, header), body = numbered[0], numbered[1:]
    columns = _columns(header)
    if not body:
        raise _refuse(_("The file has a header but no counts."))
    if len(body) > MAX_LINES:
        raise _refuse(
            _("The file has %(lines)s lines of counts; at most %(max)s are accepted in one upload.")
            % {"lines": len(body), "max": MAX_LINES}
        )
    latest = timezone.localdate(timezone=task_force.tzinfo).replace(day=1)
    offenses = _offense_names()
    rows: list[Row] = []
    errors: list[ValidationError] = []
    first_seen: dict[tuple[datetime.date, str], int] = {}
    for number, cells in body:
        if len(cells) != len(COLUMNS):
            errors.append(_line_error(number, _("expected 3 values, found %(found)s") % {"found": len(cells)}))
            continue
        month, month_error = _month(cells[columns["month"]].strip(), latest)
        offense = offenses.get(cells[columns["offense"]].strip().lower())
        count, count_error = _count(cells[columns["count"]].strip())
        reasons = [reason for reason in (month_error, count_error) if reason]
        if offense is None:
            reasons.insert(
                1 if month_error else 0,
                _("the offense “%(value)s” is not one of: %(codes)s")
                % {"value": cells[columns["offense"]].strip()[:40], "codes": ", ".join(Offense.values)},
            )
        if reasons:
            errors.append(_line_error(number, "; ".join(reasons)))
            continue
        key = (month, offense)
        if key in first_seen:
            errors.append(
                _line_error(
                    number,
                    _("%(month)s %(offense)s is already on line %(first)s")
                    % {"month": f"{month:%Y-%m}", "offense": offense, "first": first_seen[key]},
                )
            )
            continue
        first_seen[key] = number
        rows.append(Row(line=number, month=month, offense=offense, count=count))
    if errors:
        raise ValidationError({"file": errors})
    return rows


def crime_counts_upload(*, actor: access.Actor, partner: Partner, uploaded_file, request=None) -> CrimeCountUpload:
    """Store a police partner's CSV of violent-crime counts: every month in the file replaces that month's counts of
    the task force, in one transaction with the upload's record; audited without the content."""
    access.require(crime_upload_partners_for(actor).filter(pk=partner.pk).exists(), _(DENIED))
    task_force = actor.task_force
    rows = parse(_text_of(uploaded_file), task_force=task_force)
    months = sorted({row.month for row in rows})
    # The name as the browser sent it, for the list: no folders, nothing unprintable (a NUL cannot even be stored).
    name = os.path.basename(getattr(uploaded_file, "name", "") or "")
    filename = "".join(char for char in name if char.isprintable())[:200]
    with transaction.atomic():
        # One upload at a time per task force: two replacing the same month must not interleave.
        TaskForce.objects.select_for_update().get(pk=task_force.pk)
        upload = CrimeCountUpload.objects.create(
            task_force=task_force,
            partner=partner,
            uploaded_by=actor.user,
            filename=filename,
            months=[f"{month:%Y-%m}" for month in months],
            rows=len(rows),
        )
        CrimeCount.objects.filter(task_force=task_force, month__in=months).delete()
        CrimeCount.objects.bulk_create(
            CrimeCount(task_force=task_force, month=row.month, offense=row.offense, count=row.count, upload=upload)
            for row in rows
        )
        audit.record(
            action=audit.AuditAction.IMPORTED,
            actor=actor.user,
            task_force=task_force,
            obj=upload,
            changes={"months": upload.months, "rows": upload.rows, "partner": partner.pk},
            request=request,
        )
    return upload


# --- Reads ---------------------------------------------------------------------------------------------------------


def crime_upload_partners_for(actor: access.Actor) -> QuerySet[Partner]:
    return access.crime_upload_partners_for(actor).order_by("name")


def require_crime_reader(actor: access.Actor) -> None:
    """The pages and the counts: coordinators and those who upload (a 403, audited, for anyone else)."""
    access.require(access.can_upload_crime_counts(actor), _(DENIED))


def crime_upload_list_for(*, actor: access.Actor) -> QuerySet[CrimeCountUpload]:
    require_crime_reader(actor)
    return access.crime_uploads_visible_to(actor).select_related("partner", "uploaded_by")


def crime_count_list_for(
    *,
    actor: access.Actor,
    month_from: datetime.date | None = None,
    month_to: datetime.date | None = None,
    offense: str | None = None,
) -> QuerySet[CrimeCount]:
    """The task force's counts (they are the area's, whichever partner uploaded them)."""
    require_crime_reader(actor)
    counts = CrimeCount.objects.filter(task_force=actor.task_force)
    if month_from is not None:
        counts = counts.filter(month__gte=month_from)
    if month_to is not None:
        counts = counts.filter(month__lte=month_to)
    if offense is not None:
        counts = counts.filter(offense=offense)
    return counts.order_by("-month", "offense")


def crime_count_table(*, actor: access.Actor, months: int = MONTHS_SHOWN) -> dict:
    """The latest ``months`` months with counts, as a table: months (newest first) x offenses (None: not reported).
    One query."""
    recent = (
        CrimeCount.objects.filter(task_force=actor.task_force).order_by("-month").values("month").distinct()[:months]
    )
    counts = crime_count_list_for(actor=actor).filter(month__in=recent).values_list("month", "offense", "count")
    by_month: dict[datetime.date, dict[str, int]] = {}
    for month, offense, count in counts:
        by_month.setdefault(month, {})[offense] = count
    offenses = list(Offense)
    return {
        "offenses": offenses,
        "rows": [
            {"month": month, "cells": [by_month[month].get(offense.value) for offense in offenses]}
            for month in sorted(by_month, reverse=True)
        ],
    }
