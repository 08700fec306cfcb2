"""Reading an HSDS 3 file (the JSON form or the CSV tabular data package) into normalised tables.

Everything a file can do wrong comes back as a ``Problem`` in the ``ReadResult``; nothing escapes as an
exception. The file is read whole into memory, but never more than the size limit, and a zip's members are
read one by one in memory with bounded reads: nothing is ever extracted to disk, and a zip bomb is refused
from the sizes its directory declares before anything is inflated (and again if a member inflates to more
than it declared).

The package: ``read_file`` and ``read_path`` (here) hand the file to ``json_form.py`` (the JSON form, flattened)
or ``tabular.py`` (the zip or folder of CSV files); ``limits.py`` holds the size and zip-bomb checks and the
text decoding both use, and ``tables.py`` the HSDS table names.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _

from ..types import Problem, ReadResult
from .json_form import DOCUMENT_METADATA, MAX_JSON_DEPTH, _read_json, parse_json
from .limits import BOMS, Limits, Refused, _read_bounded, decode, megabytes
from .tables import PLURALS, POLYMORPHIC_LINKS, REFERENCED_OBJECTS, TABLE_FILES, TABLES
from .tabular import CSV_FIELD_LIMIT, SKIPPED_MEMBERS, ZIP_MAGIC, _read_package, _read_zip, read_csv

__all__ = [
    "BOMS",
    "CSV_FIELD_LIMIT",
    "DOCUMENT_METADATA",
    "MAX_JSON_DEPTH",
    "PLURALS",
    "POLYMORPHIC_LINKS",
    "REFERENCED_OBJECTS",
    "SKIPPED_MEMBERS",
    "TABLES",
    "TABLE_FILES",
    "ZIP_MAGIC",
    "Limits",
    "Refused",
    "decode",
    "file_format_of",
    "iter_problem_lines",
    "megabytes",
    "parse_json",
    "read_csv",
    "read_file",
    "read_path",
]


def file_format_of(filename: str) -> str | None:
    suffix = Path(filename or "").suffix.lower()
    return {".json": "json", ".zip": "zip"}.get(suffix)


# --- Entry points -----------------------------------------------------------------------------------------


def read_file(
    source: bytes | BinaryIO | str | os.PathLike, *, filename: str, limits: Limits | None = None
) -> ReadResult:
    """Read an upload (bytes, a binary file object or a path) named ``filename`` (``.json`` or ``.zip``)."""
    limits = limits or Limits.from_settings()
    file_format = file_format_of(filename)
    result = ReadResult(file_format=file_format or "json")
    name = Path(filename or "upload").name
    try:
        if file_format is None:
            raise Refused(
                Problem(name, None, None, _("The file must be a .json file (HSDS JSON) or a .zip (CSV package)."))
            )
        data = _read_bounded(source, name=name, limit=limits.max_bytes)
        if not data.strip():
            raise Refused(Problem(name, None, None, _("The file is empty.")))
        if file_format == "json":
            _read_json(data, name=name, result=result)
        else:
            _read_zip(data, name=name, result=result, limits=limits)
    except Refused as refused:
        result.tables.clear()
        result.problems.append(refused.problem)
    return result


def read_path(path: str | os.PathLike, *, limits: Limits | None = None) -> ReadResult:
    """A ``.json`` file, a ``.zip`` package or a folder holding the package's CSV files (management commands)."""
    limits = limits or Limits.from_settings()
    path = Path(path)
    if not path.is_dir():
        return read_file(path, filename=path.name, limits=limits)
    result = ReadResult(file_format="zip")
    try:
        members = []
        total = 0
        for child in sorted(path.iterdir()):
            if not child.is_file() or SKIPPED_MEMBERS.search(child.name):
                continue
            data = _read_bounded(child, name=child.name, limit=limits.max_bytes)
            total += len(data)
            if total > limits.zip_max_uncompressed:
                raise Refused(
                    Problem(
                        path.name,
                        None,
                        None,
                        _("The files add up to more than %(mb)s MB.") % {"mb": megabytes(limits.zip_max_uncompressed)},
                    )
                )
            members.append((child.name, data))
        _read_package(members, name=path.name, result=result)
    except Refused as refused:
        result.tables.clear()
        result.problems.append(refused.problem)
    return result


def iter_problem_lines(problems: Iterable[Problem]) -> Iterator[str]:
    """The report as plain text lines (management commands)."""
    for problem in problems:
        where = problem.file + (f":{problem.row}" if problem.row is not None else "")
        field = f" [{problem.field}]" if problem.field else ""
        yield f"{problem.severity.upper():7} {where}{field}: {problem.message}"
