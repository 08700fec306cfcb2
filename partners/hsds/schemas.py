"""The vendored HSDS 3.0 schemas (``partners/hsds/schema/``, see its README for provenance and licence), loaded
once: a JSON-schema validator per object with every ``$ref`` resolved offline, and the tabular field
descriptions of ``datapackage.json`` (types, required, enums) used to type the strings of the CSV package."""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema
from jsonschema.protocols import Validator

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
HSDS_VERSION = "3.0"


@functools.cache
def schema_for(table: str) -> dict[str, Any]:
    """The JSON schema of one HSDS object, as vendored (``organization``, ``service``, ...)."""
    if table not in table_names():
        raise KeyError(f"No HSDS 3 schema for table {table!r}.")
    return json.loads((SCHEMA_DIR / f"{table}.json").read_text(encoding="utf-8"))


@functools.cache
def table_names() -> frozenset[str]:
    return frozenset(resource["name"] for resource in datapackage()["resources"])


@functools.cache
def datapackage() -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / "datapackage.json").read_text(encoding="utf-8"))


@functools.cache
def registry() -> referencing.Registry:
    """Every object schema under its file name, which is how the schemas ``$ref`` each other
    (``"$ref": "phone.json"``): a schema without ``$id`` has an empty base URI, so the reference is the name."""
    resources = []
    for table in sorted(table_names()):
        resource = referencing.Resource.from_contents(
            schema_for(table), default_specification=referencing.jsonschema.DRAFT202012
        )
        resources.append((f"{table}.json", resource))
    return referencing.Registry().with_resources(resources)


@functools.cache
def validator_for(table: str) -> Validator:
    """A validator of one object (with its nested arrays) under the draft its ``$schema`` names, or 2020-12."""
    schema = schema_for(table)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, registry=registry(), format_checker=cls.FORMAT_CHECKER)


@dataclass(frozen=True)
class TabularField:
    name: str
    type: str  # string, number, integer, boolean, date, datetime, time
    format: str | None
    required: bool
    enum: tuple[str, ...] | None


@dataclass(frozen=True)
class TabularResource:
    name: str  # the table: "organization", "service_at_location", ...
    path: str  # the CSV file in the package: "organizations.csv", "service_at_location.csv", ...
    fields: tuple[TabularField, ...]
    descriptor: dict[str, Any]  # the resource as datapackage.json describes it

    @functools.cached_property
    def by_name(self) -> dict[str, TabularField]:
        return {tabular_field.name: tabular_field for tabular_field in self.fields}


@functools.cache
def tabular_resources() -> dict[str, TabularResource]:
    """The tables of the CSV package by table name, in the order of ``datapackage.json``."""
    resources = {}
    for resource in datapackage()["resources"]:
        fields = tuple(
            TabularField(
                name=item["name"],
                type=item.get("type", "string"),
                format=item.get("format"),
                required=bool(item.get("constraints", {}).get("required")),
                enum=tuple(item["constraints"]["enum"]) if item.get("constraints", {}).get("enum") else None,
            )
            for item in resource["schema"]["fields"]
        )
        resources[resource["name"]] = TabularResource(
            name=resource["name"], path=resource["path"], fields=fields, descriptor=resource
        )
    return resources


def tabular_resource(table: str) -> TabularResource:
    return tabular_resources()[table]


def resource_descriptor(table: str) -> dict[str, Any]:
    """A copy of the ``datapackage.json`` resource of one table, to describe the files an export writes."""
    return copy.deepcopy(tabular_resource(table).descriptor)


def table_for_path(path: str) -> str | None:
    """``"organizations.csv"`` -> ``"organization"``; also accepts the table name itself with ``.csv``."""
    name = path.rsplit("/", 1)[-1]
    for resource in tabular_resources().values():
        if name == resource.path or name == f"{resource.name}.csv":
            return resource.name
    return None


_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
}


@functools.cache
def _quick_rules(
    table: str,
) -> tuple[frozenset[str], dict[str, tuple[tuple[type, ...] | None, str | None, frozenset | None]]]:
    """Per property: (python types, format, enum); types None when only the full validator can tell."""
    schema = schema_for(table)
    rules = {}
    for name, prop in schema["properties"].items():
        simple = "$ref" not in prop and "items" not in prop and prop.get("type") in _PYTHON_TYPES
        rules[name] = (
            _PYTHON_TYPES[prop["type"]] if simple else None,
            prop.get("format"),
            frozenset(prop["enum"]) if "enum" in prop else None,
        )
    return frozenset(schema.get("required", ())), rules


def quick_valid(table: str, data: dict[str, Any]) -> bool:
    """True only when ``data`` certainly validates against the table's schema (a flat row of the usual kind);
    False means "ask the full validator", which also says what is wrong. Flat rows are checked about 20 times
    faster this way, which is what keeps a 10,000-service import fast."""
    required, rules = _quick_rules(table)
    if not required <= data.keys():
        return False
    checker = validator_for(table).format_checker
    for name, value in data.items():
        rule = rules.get(name)
        if rule is None:
            continue  # not a property of the schema: the schema allows it
        types, fmt, enum = rule
        if types is None or not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return False
        if enum is not None and value not in enum:
            return False
        if fmt == "uuid":
            if not _UUID_RE.match(value):
                return False
        elif fmt is not None and not checker.conforms(value, fmt):
            return False
    return True
