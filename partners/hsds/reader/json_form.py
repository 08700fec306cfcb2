"""The JSON form: a document of tables (or a list of services, or one page of the HSDS API's ``/services``)
parsed with a nesting limit, and its nested objects flattened into rows of their tables, each linked to its
parent, with objects embedded in others (a service's ``organization``) kept once per id.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from django.utils.translation import gettext as _

from ..types import Problem, ReadResult, Record
from .limits import Refused, decode
from .tables import PLURALS, POLYMORPHIC_LINKS, REFERENCED_OBJECTS

# Deepest legitimate HSDS nesting is under 20 levels (service > service_at_locations > location > contacts >
# phones > languages > attributes > taxonomy_term > taxonomy_detail > metadata, with their arrays).
MAX_JSON_DEPTH = 32
# A "\ud800" escape with no partner decodes to a string that no database or encoder takes: refused up front.
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _depth_exceeds(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values() if isinstance(child, dict | list))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, dict | list))
    return False


def parse_json(data: bytes, *, name: str) -> Any:
    text = decode(data, name=name)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused(
            Problem(
                name,
                exc.lineno,
                None,
                _("%(name)s is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
                % {"name": name, "error": exc.msg, "line": exc.lineno, "column": exc.colno},
            )
        ) from None
    except RecursionError:
        document = None
        too_deep = True
    except ValueError:
        # Python refuses to convert integers of more digits than this (a denial-of-service guard).
        raise Refused(
            Problem(
                name,
                None,
                None,
                _("%(name)s holds a number of more than %(digits)s digits; it is refused.")
                % {"name": name, "digits": sys.get_int_max_str_digits()},
            )
        ) from None
    else:
        too_deep = _depth_exceeds(document, MAX_JSON_DEPTH)
        if not too_deep and "\\u" in text and LONE_SURROGATE.search(json.dumps(document, ensure_ascii=False)):
            raise Refused(
                Problem(
                    name,
                    None,
                    None,
                    _("%(name)s holds a \\u escape of half a character (a lone surrogate); it is not valid text.")
                    % {"name": name},
                )
            )
    if too_deep:
        raise Refused(
            Problem(
                name,
                None,
                None,
                _("%(name)s is nested too deeply (more than %(depth)s levels).")
                % {"name": name, "depth": MAX_JSON_DEPTH},
            )
        )
    return document


# The header of our own JSON export (partners/hsds/export.py): described data, not tables.
DOCUMENT_METADATA = frozenset({"hsds_version", "generator", "exported_at", "task_force"})


def _read_json(data: bytes, *, name: str, result: ReadResult) -> None:
    document = parse_json(data, name=name)
    if isinstance(document, list):
        top = {"service": document}
    elif isinstance(document, dict) and isinstance(document.get("contents"), list):
        top = {"service": document["contents"]}  # one page of the HSDS API's /services
    elif isinstance(document, dict):
        top = {}
        for key, value in document.items():
            table = PLURALS.get(key)
            if table is None and key in DOCUMENT_METADATA:
                continue  # our export's own header: not data
            if table is None:
                result.problems.append(
                    Problem(
                        name,
                        None,
                        key,
                        _("“%(key)s” is not an HSDS table; it was ignored.") % {"key": key[:80]},
                        "warning",
                    )
                )
                continue
            top[table] = value
    else:
        raise Refused(
            Problem(
                name,
                None,
                None,
                _(
                    "The JSON document must be an object of tables (“services”, “organizations”...) or a list of "
                    "services, not %(type)s."
                )
                % {"type": _json_type(document)},
            )
        )
    if not top:
        raise Refused(Problem(name, None, None, _("The file holds no HSDS table (“services”, “organizations”...).")))
    flattener = _Flattener(name=name, result=result)
    for table, rows in top.items():
        if not isinstance(rows, list):
            result.problems.append(
                Problem(name, None, table, _("“%(table)s” must be a list of objects.") % {"table": table})
            )
            continue
        result.tables.setdefault(table, [])
        for index, row in enumerate(rows, start=1):
            flattener.add(table, row, row_number=index, parent=None, embedded=False)
    flattener.finish()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list"}.get(
        type(value), "an object"
    )


class _Flattener:
    """Turns nested HSDS objects into rows of their tables (see types.py for the rule)."""

    def __init__(self, *, name: str, result: ReadResult):
        self.name = name
        self.result = result
        self.embedded: list[tuple[str, Record]] = []

    def add(self, table: str, obj: Any, *, row_number: int, parent: tuple[str, Any] | None, embedded: bool) -> Any:
        """Add ``obj`` as a row of ``table`` (and its nested rows); returns its id."""
        if not isinstance(obj, dict):
            self.result.problems.append(
                Problem(
                    self.name,
                    row_number,
                    table,
                    _("Each row of “%(table)s” must be an object, not %(type)s.")
                    % {"table": table, "type": _json_type(obj)},
                )
            )
            return None
        data: dict[str, Any] = {}
        children: list[tuple[str, str, Any]] = []
        for key, value in obj.items():
            if key in REFERENCED_OBJECTS and isinstance(value, dict):
                children.append(("referenced", key, value))
            elif key in PLURALS and key not in REFERENCED_OBJECTS and isinstance(value, list) and key != table:
                children.append(("rows", key, value))
            else:
                data[key] = value
        if parent is not None:
            self._link(table, data, parent, row_number)
        record = Record(table=table, data=data, file=self.name, row=row_number)
        if embedded:
            self.embedded.append((table, record))
        else:
            self.result.tables.setdefault(table, []).append(record)
        own_id = data.get("id")
        for kind, key, value in children:
            if kind == "referenced":
                child_table = REFERENCED_OBJECTS[key]
                child_id = self.add(child_table, value, row_number=row_number, parent=None, embedded=True)
                link = f"{key}_id" if key != "taxonomy_detail" else "taxonomy_id"
                if child_id is not None and data.get(link) in (None, ""):
                    data[link] = child_id
            else:
                child_table = PLURALS[key]
                for item in value:
                    self.add(child_table, item, row_number=row_number, parent=(table, own_id), embedded=embedded)
        return own_id

    def _link(self, table: str, data: dict[str, Any], parent: tuple[str, Any], row_number: int) -> None:
        parent_table, parent_id = parent
        if parent_id is None:
            return
        if table in POLYMORPHIC_LINKS:
            id_field, type_field = POLYMORPHIC_LINKS[table]
            data.setdefault(id_field, parent_id)
            data.setdefault(type_field, parent_table)
            return
        field = f"{parent_table}_id"
        if data.get(field) in (None, ""):
            data[field] = parent_id
        elif data[field] != parent_id:
            self.result.problems.append(
                Problem(
                    self.name,
                    row_number,
                    field,
                    _("This %(table)s is nested under %(parent)s “%(parent_id)s” but names “%(value)s”.")
                    % {"table": table, "parent": parent_table, "parent_id": parent_id, "value": data[field]},
                )
            )

    def finish(self) -> None:
        """Objects embedded in others (a service's ``organization``) are repeated by design: keep one row per id,
        preferring a row given in its own table."""
        seen = {
            (table, record.data.get("id"))
            for table, records in self.result.tables.items()
            for record in records
            if _hashable(record.data.get("id"))
        }
        for table, record in self.embedded:
            key = (table, record.data.get("id"))
            if _hashable(key[1]):
                if key in seen:
                    continue
                seen.add(key)
            self.result.tables.setdefault(table, []).append(record)


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float) and value != ""
