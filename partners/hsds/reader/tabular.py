"""The CSV tabular data package, from a zip (its members read in memory after the zip-bomb checks of
``limits.py``) or a folder: the package's files by base name, the tables its ``datapackage.json`` names (or
their file names say), and each CSV file read strictly into records, one problem per bad row or header.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext as _

from ..types import Problem, ReadResult, Record
from .json_form import parse_json
from .limits import Limits, Refused, _check_member_name, _check_zip_directory, _read_member, decode
from .tables import PLURALS, TABLES

# One CSV field: long descriptions and GeoJSON extents fit; a runaway quote swallowing the file does not.
CSV_FIELD_LIMIT = 1024 * 1024
SKIPPED_MEMBERS = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$)")
ZIP_MAGIC = b"PK\x03\x04"


def _read_zip(data: bytes, *, name: str, result: ReadResult, limits: Limits) -> None:
    if not data.startswith(ZIP_MAGIC[:2]):
        raise Refused(Problem(name, None, None, _("%(name)s is not a zip file.") % {"name": name}))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise Refused(
            Problem(name, None, None, _("%(name)s is not a readable zip file (it may be damaged).") % {"name": name})
        ) from None
    with archive:
        files = _check_zip_directory(infos, name=name, limits=limits)
        members = []
        budget = limits.zip_max_uncompressed
        for info in files:
            if SKIPPED_MEMBERS.search(info.filename):
                continue
            content = _read_member(archive, info, name=name, budget=budget)
            budget -= len(content)
            if content.startswith(ZIP_MAGIC) or info.filename.lower().endswith((".zip", ".gz", ".7z", ".rar")):
                raise Refused(
                    Problem(
                        name,
                        None,
                        None,
                        _("%(member)s is an archive inside the zip; nested archives are not accepted.")
                        % {"member": info.filename},
                    )
                )
            members.append((info.filename, content))
    _read_package(members, name=name, result=result)


def _read_package(members: list[tuple[str, bytes]], *, name: str, result: ReadResult) -> None:
    """The package's files by base name (a package zipped with its folder works too)."""
    by_name: dict[str, bytes] = {}
    for member, content in members:
        base = PurePosixPath(member.replace("\\", "/")).name
        if base in by_name:
            raise Refused(Problem(name, None, None, _("The zip holds two files named “%(file)s”.") % {"file": base}))
        by_name[base] = content
    if not by_name:
        raise Refused(Problem(name, None, None, _("The zip holds no files.")))

    file_tables = _tables_from_datapackage(by_name, name=name, result=result)
    found_any = False
    for base, content in by_name.items():
        if base == "datapackage.json":
            continue
        if not base.lower().endswith(".csv"):
            result.problems.append(
                Problem(
                    base,
                    None,
                    None,
                    _("%(file)s is not a CSV file of the package; it was ignored.") % {"file": base},
                    "warning",
                )
            )
            continue
        table = file_tables.get(base) or _table_for_file(base)
        if table is None:
            result.problems.append(
                Problem(
                    base, None, None, _("%(file)s is not an HSDS table; it was ignored.") % {"file": base}, "warning"
                )
            )
            continue
        found_any = True
        if table in result.tables:
            result.problems.append(
                Problem(base, None, None, _("Two files hold the table “%(table)s”.") % {"table": table})
            )
            continue
        result.tables[table] = list(read_csv(content, name=base, table=table, problems=result.problems))
    if not found_any:
        raise Refused(
            Problem(name, None, None, _("The package holds no HSDS CSV file (organizations.csv, services.csv...)."))
        )


def _table_for_file(base: str) -> str | None:
    stem = Path(base).stem.lower()
    return PLURALS.get(stem)


def _tables_from_datapackage(by_name: dict[str, bytes], *, name: str, result: ReadResult) -> dict[str, str]:
    """file name -> table, from the package's datapackage.json (when it has one)."""
    descriptor = by_name.get("datapackage.json")
    if descriptor is None:
        result.problems.append(
            Problem(
                name,
                None,
                None,
                _("The package has no datapackage.json; its tables were recognised by their file names."),
                "warning",
            )
        )
        return {}
    document = parse_json(descriptor, name="datapackage.json")
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, list):
        raise Refused(
            Problem(
                "datapackage.json", None, "resources", _("datapackage.json must list its tables under “resources”.")
            )
        )
    tables: dict[str, str] = {}
    for index, resource in enumerate(resources, start=1):
        if not isinstance(resource, dict) or not isinstance(resource.get("path"), str):
            result.problems.append(
                Problem(
                    "datapackage.json", index, "path", _("This resource has no file path; it was ignored."), "warning"
                )
            )
            continue
        table, path = resource.get("name"), resource["path"]
        _check_member_name(path, name="datapackage.json")
        if table not in TABLES:
            result.problems.append(
                Problem(
                    "datapackage.json",
                    index,
                    "name",
                    _("“%(table)s” is not an HSDS table; it was ignored.") % {"table": str(table)[:80]},
                    "warning",
                )
            )
            continue
        base = PurePosixPath(path).name
        tables[base] = table
        if base not in by_name:
            result.problems.append(
                Problem(
                    "datapackage.json",
                    index,
                    "path",
                    _("%(file)s is listed but not in the package.") % {"file": base},
                    "warning",
                )
            )
    return tables


def read_csv(data: bytes, *, name: str, table: str, problems: list[Problem]) -> Iterator[Record]:
    """The rows of one CSV file as records; the line of each is the line its record starts on (header: 1)."""
    try:
        text = decode(data, name=name)
    except Refused as refused:
        problems.append(refused.problem)
        return
    previous_limit = csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        yield from _csv_records(text, name=name, table=table, problems=problems)
    finally:
        csv.field_size_limit(previous_limit)


def _csv_records(text: str, *, name: str, table: str, problems: list[Problem]) -> Iterator[Record]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 0
    header: list[str] | None = None
    keep: list[int] = []
    try:
        for fields in reader:
            start, line = line + 1, reader.line_num
            if not fields or fields == [""]:
                continue  # a blank line
            if header is None:
                header = [column.strip() for column in fields]
                keep = _check_header(header, name=name, problems=problems)
                if keep is None:
                    return
                continue
            if len(fields) != len(header):
                problems.append(
                    Problem(
                        name,
                        start,
                        None,
                        _("This row has %(count)s fields; the header has %(expected)s.")
                        % {"count": len(fields), "expected": len(header)},
                    )
                )
                continue
            yield Record(table=table, data={header[i]: fields[i] for i in keep}, file=name, row=start)
    except csv.Error as exc:
        message = str(exc)
        if "field larger than field limit" in message:
            message = _("A field is longer than %(kb)s KB (an unclosed quote?).") % {"kb": CSV_FIELD_LIMIT // 1024}
        problems.append(Problem(name, line + 1, None, _("The CSV cannot be read here: %(error)s") % {"error": message}))
        return
    if header is None:
        problems.append(Problem(name, None, None, _("%(file)s is empty: it has no header row.") % {"file": name}))


def _check_header(header: list[str], *, name: str, problems: list[Problem]) -> list[int] | None:
    """The indexes of the columns to keep; None when the header is unusable."""
    keep = []
    seen: set[str] = set()
    duplicates = []
    for index, column in enumerate(header):
        if not column:
            problems.append(
                Problem(
                    name,
                    1,
                    None,
                    _("Column %(number)s has no name; it was ignored.") % {"number": index + 1},
                    "warning",
                )
            )
            continue
        if column in seen:
            duplicates.append(column)
        seen.add(column)
        keep.append(index)
    if duplicates:
        for column in dict.fromkeys(duplicates):
            problems.append(
                Problem(
                    name,
                    1,
                    column[:100],
                    _("The column “%(column)s” appears more than once.") % {"column": column[:100]},
                )
            )
        return None
    return keep
