"""Validation of the rows read: CSV strings typed as ``datapackage.json`` says, each row against its HSDS JSON
schema, required fields, duplicate ids, references between tables (to rows of the file or of the task force's
directory) and our own model rules on the planned rows; unknown tables and columns are warnings. ``validate()``
runs every step in order, the planning (``plan.py``) included, since the model rules are checked on its result.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import mapping, schemas
from .state import _Planned, _PlanState, _Row, _show

SUPPORTED_TABLES = frozenset(
    {
        "organization",
        "service",
        "location",
        "address",
        "phone",
        "contact",
        "language",
        "schedule",
        "service_at_location",
        "attribute",
        "taxonomy",
        "taxonomy_term",
    }
)
# Columns that point at another table's id: (column, table).
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "service": (("organization_id", "organization"),),
    "location": (("organization_id", "organization"),),
    "address": (("location_id", "location"),),
    "phone": (
        ("organization_id", "organization"),
        ("service_id", "service"),
        ("location_id", "location"),
        ("contact_id", "contact"),
        ("service_at_location_id", "service_at_location"),
    ),
    "contact": (
        ("organization_id", "organization"),
        ("service_id", "service"),
        ("location_id", "location"),
        ("service_at_location_id", "service_at_location"),
    ),
    "language": (("service_id", "service"), ("location_id", "location"), ("phone_id", "phone")),
    "schedule": (
        ("service_id", "service"),
        ("location_id", "location"),
        ("service_at_location_id", "service_at_location"),
    ),
    "service_at_location": (("service_id", "service"), ("location_id", "location")),
    "attribute": (("taxonomy_term_id", "taxonomy_term"),),
    "taxonomy_term": (("parent_id", "taxonomy_term"), ("taxonomy_id", "taxonomy")),
}
# The columns PSN Hub keeps (mapping.py); a value in any other HSDS column is reported once, as a warning.
KEPT_COLUMNS: dict[str, frozenset[str]] = {
    table: frozenset(columns.split())
    for table, columns in {
        "organization": "id name description email website",
        "service": "id organization_id name description url email status eligibility_description",
        "location": "id location_type organization_id name latitude longitude",
        "address": "id location_id address_1 city state_province postal_code country address_type",
        "phone": "id number organization_id service_id contact_id location_id service_at_location_id",
        "contact": "id organization_id service_id location_id service_at_location_id name title email",
        "language": "id service_id location_id phone_id name code",
        "schedule": "id service_id location_id service_at_location_id description notes",
        "service_at_location": "id service_id location_id",
        "attribute": "id link_id link_entity link_type taxonomy_term_id value",
        "taxonomy": "id name description uri version",
        "taxonomy_term": "id code name description parent_id taxonomy taxonomy_id",
    }.items()
}

_FORMAT_MESSAGES = {
    "uuid": gettext_lazy("“%(value)s” must be a UUID (like 4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c)."),
    "email": gettext_lazy("“%(value)s” must be an email address."),
    "uri": gettext_lazy("“%(value)s” must be a web address."),
    "date-time": gettext_lazy("“%(value)s” must be a date and time (ISO 8601)."),
    "date": gettext_lazy("“%(value)s” must be a date (YYYY-MM-DD)."),
}
_REQUIRED_RE = re.compile(r"^'(.+?)' is a required property")


class _Validation(_PlanState):
    """The checks of the rows read and of the model rows planned from them."""

    def validate(self) -> None:
        for table, records in self.read.tables.items():
            if not records:
                continue
            file = records[0].file
            if table not in schemas.table_names():
                self.warn_once(
                    ("table", table),
                    file,
                    None,
                    _("“%(table)s” is not an HSDS 3 table: its %(count)d rows were ignored.")
                    % {"table": _show(table), "count": len(records)},
                )
                self.reporter.advance(len(records))
                continue
            if table not in SUPPORTED_TABLES:
                self.warn_once(
                    ("table", table),
                    file,
                    None,
                    _("PSN Hub does not keep HSDS “%(table)s” rows: its %(count)d rows were ignored.")
                    % {"table": table, "count": len(records)},
                )
                self.reporter.advance(len(records))
                continue
            rows = self.rows.setdefault(table, [])
            for record in records:
                row = _Row(record=record, data={})
                self._type_row(table, row)
                self._check_schema(table, row)
                self._check_duplicate(table, row)
                rows.append(row)
                self.reporter.advance()
        self._load_directory()
        self._check_references()
        self._plan_terms()
        self._plan_partners()
        self._plan_locations()
        self._plan_services()
        self._plan_contacts()
        self._check_model_rules()

    def _type_row(self, table: str, row: _Row) -> None:
        """Keep the known columns, typed: "" and null are missing values (a required text column keeps "" so
        that the model rules, not a type error, report it empty)."""
        resource = schemas.tabular_resource(table)
        properties = schemas.schema_for(table)["properties"]
        record = row.record
        for key, value in record.data.items():
            tabular = resource.by_name.get(key)
            if key not in properties and tabular is None:
                if table == "attribute" and key.endswith("_id"):
                    continue  # the parent id the reader adds to a nested attribute: link_id says the same
                self.warn_once(
                    ("column", record.file, key),
                    record.file,
                    key,
                    _("Unknown column “%(column)s” for HSDS “%(table)s”: ignored.")
                    % {"column": _show(key), "table": table},
                )
                continue
            if value is None:
                continue
            if (
                key not in KEPT_COLUMNS[table]
                and not isinstance(value, dict | list)
                and (value.strip() if isinstance(value, str) else True)
            ):
                self.warn_once(
                    ("unkept", record.file, key),
                    record.file,
                    key,
                    _("PSN Hub does not keep the “%(column)s” of a %(table)s: ignored.")
                    % {"column": key, "table": table.replace("_", " ")},
                )
            if isinstance(value, str):
                if value.strip() == "":
                    if (
                        tabular is not None
                        and tabular.required
                        and tabular.type == "string"
                        and not (tabular.format or tabular.enum)
                    ):
                        row.data[key] = ""  # present but empty free text: the model rules say if that is allowed
                    continue
                if tabular is not None and tabular.type != "string":
                    try:
                        value = _typed(value.strip(), tabular.type)
                    except ValueError as exc:
                        self.error(row, key, str(exc))
                        continue
            row.data[key] = value
        if table == "attribute" and "link_id" not in row.data:
            # A nested attribute carries its parent's id under "<table>_id" (types.py's flattening rule).
            for key, value in record.data.items():
                table_name = key[:-3]
                if key.endswith("_id") and key not in properties and value and table_name in schemas.table_names():
                    row.data["link_id"] = value
                    row.data.setdefault("link_entity", table_name)
                    break

    def _check_schema(self, table: str, row: _Row) -> None:
        reported: set[str] = set()
        errors = () if schemas.quick_valid(table, row.data) else schemas.validator_for(table).iter_errors(row.data)
        for error in errors:
            column, message = _describe(error)
            if column in reported:
                continue
            reported.add(column or "")
            self.error(row, column, message)
        for tabular in schemas.tabular_resource(table).fields:
            if tabular.required and tabular.name not in row.data and tabular.name not in reported:
                if table == "service" and tabular.name == "organization_id":
                    continue  # reported with the model rules, with a better message
                self.error(row, tabular.name, _("This field is required."))

    def _check_duplicate(self, table: str, row: _Row) -> None:
        row_id = row.data.get("id")
        if not isinstance(row_id, str) or not row_id:
            return
        row_id = row_id.lower()
        row.data["id"] = row_id
        first = self.by_id[table].get(row_id)
        if first is not None:
            where = (
                _("row %(row)s of %(file)s") % {"row": first.record.row, "file": first.record.file}
                if first.record.row is not None
                else _("an earlier row")
            )
            self.error(
                row, "id", _("Duplicate id “%(id)s”: %(where)s has it too.") % {"id": _show(row_id), "where": where}
            )
        else:
            self.by_id[table][row_id] = row

    def _check_references(self) -> None:
        for table, rows in self.rows.items():
            for row in rows:
                for column, target in REFERENCES.get(table, ()):
                    value = row.get(column)
                    if value is None or not isinstance(value, str):
                        continue
                    row.data[column] = value = value.lower()
                    if target not in SUPPORTED_TABLES and not self._in_file(target, value):
                        continue
                    if not self._known(target, value):
                        self.error(row, column, _missing(target, value))
                if table == "attribute" and isinstance(row.get("link_id"), str):
                    row.data["link_id"] = link_id = row.data["link_id"].lower()
                    entity = row.get("link_entity")
                    if entity not in schemas.table_names():
                        self.error(
                            row, "link_entity", _("“%(table)s” is not an HSDS 3 table.") % {"table": _show(entity)}
                        )
                    elif entity in SUPPORTED_TABLES and not self._known(entity, link_id):
                        self.error(row, "link_id", _missing(entity, link_id))

    # --- model rules --------------------------------------------------------------------------------------

    def _check_model_rules(self) -> None:
        for registry in (self.terms, self.partners, self.services, self.locations, self.contacts):
            for planned in registry.values():
                if not (planned.created or planned.changed):
                    continue
                try:
                    planned.obj.clean_fields(exclude=["task_force", "partner", "service", "parent", "logo", "hsds_id"])
                except ValidationError as exc:
                    for name, messages in exc.message_dict.items():
                        row, column = planned.sources.get(name, (planned.row, name))
                        for message in messages:
                            self.error(row, column, message)
                # A TextField's max_length is not a validator (only forms enforce it): enforce it here.
                for model_field in _long_text_fields(type(planned.obj)):
                    value = getattr(planned.obj, model_field.name)
                    if len(value) > model_field.max_length:
                        row, column = planned.sources.get(model_field.name, (planned.row, model_field.name))
                        self.error(
                            row,
                            column,
                            _("Ensure this value has at most %(limit)d characters (it has %(length)d).")
                            % {"limit": model_field.max_length, "length": len(value)},
                        )
        self._check_unique(
            self.partners, self.db_partners, "name", gettext_lazy("Another partner of this task force is called “%s”.")
        )
        self._check_unique(
            self.terms,
            self.db_terms,
            "code",
            gettext_lazy("Another taxonomy term of this task force has the code “%s”."),
        )

    def _check_unique(self, registry: dict[str, _Planned], db: dict, name: str, message: str) -> None:
        planned_objs = {id(planned.obj) for planned in registry.values()}
        taken = {getattr(obj, name): obj for obj in db.values() if id(obj) not in planned_objs}
        for planned in registry.values():
            value = getattr(planned.obj, name)
            other = taken.get(value)
            if other is not None and other is not planned.obj:
                self.error(planned.row, name, str(message) % _show(value))
            else:
                taken[value] = planned.obj


@functools.cache
def _long_text_fields(model: type) -> tuple:
    return tuple(f for f in model._meta.concrete_fields if isinstance(f, models.TextField) and f.max_length)


def _typed(text: str, kind: str) -> Any:
    """A CSV string as the tabular type says; ValueError with a readable message otherwise."""
    try:
        if kind in ("number", "integer"):
            number = Decimal(text)
            if not number.is_finite():
                raise ValueError
            if kind == "integer" or number == number.to_integral_value():
                if kind == "integer" and number != number.to_integral_value():
                    raise ValueError
                return int(number)
            return float(number)
        if kind == "boolean":
            return mapping.parse_bool(text)
        if kind == "date":
            date.fromisoformat(text)
        elif kind == "datetime":
            datetime.fromisoformat(text)
        elif kind == "time":
            time.fromisoformat(text)
        return text
    except (ValueError, ArithmeticError):
        message = {
            "number": _("Must be a number, not “%(value)s”."),
            "integer": _("Must be a whole number, not “%(value)s”."),
            "boolean": _("Must be true or false, not “%(value)s”."),
            "date": _("Must be a date (YYYY-MM-DD), not “%(value)s”."),
            "datetime": _("Must be a date and time (ISO 8601), not “%(value)s”."),
            "time": _("Must be a time (HH:MM), not “%(value)s”."),
        }.get(kind, _("Must be of type %(kind)s, not “%(value)s”."))
        raise ValueError(message % {"value": _show(text), "kind": kind}) from None


def _describe(error) -> tuple[str | None, str]:
    """A jsonschema error as (column, human message)."""
    path = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        match = _REQUIRED_RE.match(error.message)
        missing = match.group(1) if match else None
        return (f"{path}.{missing}" if path else missing), _("This field is required.")
    instance = _show(error.instance)
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return path or None, _("Must be a %(type)s, not “%(value)s”.") % {"type": expected, "value": instance}
    if error.validator == "format":
        message = _FORMAT_MESSAGES.get(error.validator_value, gettext_lazy("“%(value)s” has the wrong format."))
        return path or None, str(message) % {"value": instance}
    if error.validator == "enum":
        choices = ", ".join(map(str, error.validator_value))
        return path or None, _("Must be one of %(choices)s, not “%(value)s”.") % {"choices": choices, "value": instance}
    return path or None, error.message[:200]


def _missing(table: str, row_id: str) -> str:
    return _("No %(table)s with id “%(id)s” in this file or in this task force's directory.") % {
        "table": table,
        "id": _show(row_id),
    }
