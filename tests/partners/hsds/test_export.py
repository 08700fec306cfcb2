"""HSDS 3 export: the JSON document and the CSV package validate against the vendored HSDS 3.0 schemas,
hold exactly what they should (inactive rows too, nothing of another task force), and are read in a
constant number of queries whatever the directory's size."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest

from partners.hsds import export, mapping, schemas
from partners.hsds.importer import _typed
from partners.models import Partner, Service

from ...factories import PartnerFactory, ServiceFactory, TaskForceFactory
from .test_round_trip import build_full_directory, json_bytes, zip_bytes


@pytest.fixture
def source(world):
    build_full_directory(world.tf)
    build_full_directory(world.other_tf)  # look-alikes that must never leak
    return world.tf


def _errors(table: str, obj: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in schemas.validator_for(table).iter_errors(obj)]


def test_every_object_of_the_json_document_validates_against_its_hsds_schema(source):
    document = export.export_document(source)

    for key, table in export.DOCUMENT_TABLES.items():
        for obj in document[key]:
            assert _errors(table, obj) == [], (table, obj)
    # Every flattened row validates too (nested objects included).
    for table, rows in export.flatten_document(document).items():
        for row in rows:
            assert _errors(table, row) == [], (table, row)


def test_json_document_header_and_contents(source, world):
    document = json.loads(json_bytes(source))

    assert document["hsds_version"] == "3.0"
    assert document["generator"] == "PSN Hub"
    assert document["task_force"] == "wdt"
    assert document["exported_at"]
    names = {org["name"] for org in document["organizations"]}
    assert names == set(Partner.objects.filter(task_force=source).values_list("name", flat=True))
    assert "Other Police" not in names
    statuses = {service["name"]: service["status"] for service in document["services"]}
    assert statuses["Retired service"] == "inactive"  # inactive rows are exported
    assert statuses["Everything service"] == "active"
    assert len(statuses) == Service.objects.filter(task_force=source).count()
    everything = next(s for s in document["services"] if s["name"] == "Everything service")
    assert {language["code"] for language in everything["languages"]} == {"es", "vi"}
    assert everything["schedules"][0]["description"] == "Mon–Fri 9–5\nSat 10–2"
    assert everything["contacts"][0]["phones"][0]["number"] == "816-555-0101"
    assert len(everything["service_at_locations"]) == 1
    capacity = next(
        a for a in everything["attributes"] if a["taxonomy_term_id"] == mapping.FIELD_TERM_IDS["service-capacity"]
    )
    assert capacity["value"] == "12"
    # Every attribute's term is in the document.
    term_ids = {term["id"] for term in document["taxonomy_terms"]}
    attributes = [a for o in document["organizations"] + document["services"] for a in o["attributes"]]
    assert {a["taxonomy_term_id"] for a in attributes + document["attributes"]} <= term_ids
    assert {term["taxonomy_id"] for term in document["taxonomy_terms"]} <= {t["id"] for t in document["taxonomies"]}


def test_export_ids_are_stable(source):
    first, second = export.export_document(source), export.export_document(source)
    first.pop("exported_at"), second.pop("exported_at")
    assert first == second


def _package(data: bytes) -> tuple[dict, dict[str, list[dict]], dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        raw = {name: archive.read(name) for name in archive.namelist()}
    descriptor = json.loads(raw.pop("datapackage.json"))
    tables = {}
    for name, content in raw.items():
        reader = csv.DictReader(io.StringIO(content.decode("utf-8"), newline=""))
        tables[name] = list(reader)
    return descriptor, tables, raw


def test_csv_package_descriptor_lists_exactly_the_files_written(source):
    descriptor, _tables, raw = _package(zip_bytes(source))

    assert descriptor["profile"] == "tabular-data-package"
    assert descriptor["license"]["type"] == "CC-BY-SA-4.0"
    assert sorted(resource["path"] for resource in descriptor["resources"]) == sorted(raw)
    assert "service_at_location.csv" in raw
    for resource in descriptor["resources"]:
        vendored = schemas.resource_descriptor(resource["name"])
        assert resource == vendored
        header = next(csv.reader(io.StringIO(raw[resource["path"]].decode("utf-8"))))
        assert header == [field["name"] for field in resource["schema"]["fields"]]


def test_csv_files_are_utf8_without_bom_and_rfc4180_quoted(source):
    _descriptor, tables, raw = _package(zip_bytes(source))

    for content in raw.values():
        assert not content.startswith(b"\xef\xbb\xbf")
        assert content.endswith(b"\r\n")
    organizations = {row["name"]: row for row in tables["organizations.csv"]}
    full = organizations["Full Partner, “Quoted” & Co."]
    assert full["description"] == "Line one.\nLine two, with a comma; and “quotes”."
    locations = {row["name"]: row for row in tables["locations.csv"]}
    assert locations["Main office"]["latitude"] == "39.099727"


def test_every_csv_row_typed_as_the_package_says_validates_against_its_hsds_schema(source):
    descriptor, tables, _raw = _package(zip_bytes(source))

    checked = 0
    for resource in descriptor["resources"]:
        tabular = schemas.tabular_resource(resource["name"])
        for row in tables[resource["path"]]:
            typed = {}
            for field in tabular.fields:
                value = row[field.name]
                if value == "":
                    assert not field.required or field.type == "string", (resource["name"], field.name, row)
                    if field.required:
                        typed[field.name] = ""
                    continue
                typed[field.name] = value if field.type == "string" else _typed(value, field.type)
                if field.enum:
                    assert value in field.enum
            assert _errors(resource["name"], typed) == [], (resource["name"], typed)
            checked += 1
    assert checked > 40


def test_empty_task_force_exports_valid_documents(db):
    empty = TaskForceFactory(name="Empty", slug="empty")

    document = export.export_document(empty)
    assert document["organizations"] == document["services"] == document["locations"] == []
    for obj in document["taxonomy_terms"]:
        assert _errors("taxonomy_term", obj) == []
    descriptor, tables, _raw = _package(zip_bytes(empty))
    assert len(descriptor["resources"]) == len(export.PACKAGE_TABLES)
    assert tables["services.csv"] == []


def _grow(task_force, partners: int, services_each: int) -> None:
    for n in range(partners):
        partner = PartnerFactory(task_force=task_force, name=f"Grown partner {n}", phone="1")
        for m in range(services_each):
            ServiceFactory(partner=partner, name=f"Grown service {n}-{m}", hours="9-5", contact_name="X")


def test_export_query_count_is_constant_whatever_the_size(source, django_assert_num_queries):
    # partners, partner languages, services, terms, categories, service languages, locations,
    # location-services, contacts: one query each.
    with django_assert_num_queries(9):
        small = export.export_document(source)
    _grow(source, partners=5, services_each=6)
    with django_assert_num_queries(9):
        large = export.export_document(source)
    assert len(large["services"]) == len(small["services"]) + 30


def test_written_json_is_the_document(source):
    written = json.loads(json_bytes(source))
    document = export.export_document(source)
    written.pop("exported_at"), document.pop("exported_at")
    assert written == json.loads(json.dumps(document))
    empty = json.loads(json_bytes(TaskForceFactory(name="Nothing", slug="nothing")))
    assert empty["organizations"] == [] and empty["services"] == []
