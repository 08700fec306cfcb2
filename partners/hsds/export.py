"""Export a task force's directory as HSDS 3.0: the JSON form and the CSV tabular data package (a zip).

Everything is read in a fixed number of queries (one per table and per many-to-many table, whatever the
directory's size); inactive partners and services are included (with their status) so that an import of the
export gives back the same directory. ``partners/hsds/mapping.py`` says which field goes where.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from typing import IO, Any

from django.utils import timezone

from partners.models import Contact, Location, Partner, Service, TaskForce, TaxonomyTerm

from . import mapping, schemas

# Nested array property -> the table its items are rows of (the flattening rule of types.py).
NESTED_TABLES: dict[str, str] = {
    "phones": "phone",
    "contacts": "contact",
    "languages": "language",
    "schedules": "schedule",
    "attributes": "attribute",
    "service_at_locations": "service_at_location",
    "addresses": "address",
    "locations": "location",
}
# Top-level keys of the JSON document -> table.
DOCUMENT_TABLES: dict[str, str] = {
    "organizations": "organization",
    "services": "service",
    "locations": "location",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
    "attributes": "attribute",
}
# The tables the CSV package always holds, in the order of datapackage.json.
PACKAGE_TABLES: tuple[str, ...] = tuple(
    table
    for table in schemas.tabular_resources()
    if table
    in {
        "organization",
        "service",
        "attribute",
        "service_at_location",
        "location",
        "phone",
        "contact",
        "address",
        "schedule",
        "language",
        "taxonomy_term",
        "taxonomy",
    }
)
CSV_CHUNK_ROWS = 500


def export_document(task_force: TaskForce) -> dict[str, Any]:
    """The directory as one HSDS 3 JSON document (each listed object valid against its HSDS schema)."""
    tf = task_force
    partners = list(Partner.objects.filter(task_force=tf).order_by("name", "pk"))
    partner_ids = {partner.pk: str(partner.hsds_id) for partner in partners}

    partner_languages: dict[int, list[str]] = defaultdict(list)
    for partner_id, code in Partner.languages.through.objects.filter(partner__task_force=tf).values_list(
        "partner_id", "language__code"
    ):
        partner_languages[partner_id].append(code)

    services = list(Service.objects.filter(task_force=tf).order_by("name", "pk"))
    service_ids = {service.pk: str(service.hsds_id) for service in services}

    terms = list(TaxonomyTerm.objects.filter(task_force=tf).order_by("code", "pk"))
    term_ids = {term.pk: str(term.hsds_id) for term in terms}

    categories: dict[int, list[str]] = defaultdict(list)
    for service_id, term_id in Service.categories.through.objects.filter(service__task_force=tf).values_list(
        "service_id", "taxonomyterm_id"
    ):
        if term_id in term_ids:  # a category of another task force would be a bug elsewhere: never leak it
            categories[service_id].append(term_ids[term_id])

    languages: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for service_id, code, name in Service.languages.through.objects.filter(service__task_force=tf).values_list(
        "service_id", "language__code", "language__name"
    ):
        languages[service_id].append((code, name))

    locations = list(Location.objects.filter(task_force=tf).order_by("name", "pk"))
    location_ids = {location.pk: str(location.hsds_id) for location in locations}
    service_locations: dict[int, list[str]] = defaultdict(list)
    for service_id, location_id in Location.services.through.objects.filter(location__task_force=tf).values_list(
        "service_id", "location_id"
    ):
        service_locations[service_id].append(location_ids[location_id])

    contacts: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for contact in Contact.objects.filter(task_force=tf).order_by("name", "pk"):
        contacts[contact.partner_id].append(
            mapping.contact_to_hsds(
                contact,
                partner_hsds_id=partner_ids[contact.partner_id],
                service_hsds_id=service_ids.get(contact.service_id) if contact.service_id else None,
            )
        )

    location_rows = [row for partner in partners if (row := mapping.partner_postal_location(partner)) is not None] + [
        mapping.location_to_hsds(location, partner_hsds_id=partner_ids[location.partner_id]) for location in locations
    ]

    return {
        "hsds_version": schemas.HSDS_VERSION,
        "generator": "PSN Hub",
        "exported_at": timezone.now().isoformat(timespec="seconds"),
        "task_force": tf.slug,
        "organizations": [
            mapping.organization_to_hsds(
                partner, language_codes=partner_languages[partner.pk], contacts=contacts[partner.pk]
            )
            for partner in partners
        ],
        "services": [
            mapping.service_to_hsds(
                service,
                partner_hsds_id=partner_ids[service.partner_id],
                category_ids=categories[service.pk],
                languages=languages[service.pk],
                location_ids=service_locations[service.pk],
            )
            for service in services
        ],
        "locations": location_rows,
        "taxonomies": [dict(taxonomy) for taxonomy in mapping.TAXONOMIES],
        "taxonomy_terms": [
            mapping.taxonomy_term_to_hsds(term, parent_hsds_id=term_ids.get(term.parent_id)) for term in terms
        ]
        + mapping.internal_terms(),
        # The one home HSDS 3 has for a property of a taxonomy term: an attribute linking to it.
        "attributes": [mapping.taxonomy_term_active_attribute(term) for term in terms],
    }


def flatten_document(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The document as HSDS tables: nested arrays become rows of their own table (their parent id is
    already set on every exported child). Only the tables listed in the document appear."""
    tables: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def add(table: str, item: dict[str, Any]) -> None:
        row = {}
        for key, value in item.items():
            if key in NESTED_TABLES and isinstance(value, list):
                for child in value:
                    add(NESTED_TABLES[key], child)
            else:
                row[key] = value
        tables[table].append(row)

    for key, table in DOCUMENT_TABLES.items():
        for item in document.get(key, []):
            add(table, item)
    return dict(tables)


def write_json(task_force: TaskForce, fileobj: IO[str]) -> None:
    """Write the JSON form to a text file object, one object per line: each is encoded by the C encoder on its
    own (``json.dump`` of the whole document would use the slow pure-Python one and no less memory)."""
    document = export_document(task_force)
    fileobj.write("{\n")
    for index, (key, value) in enumerate(document.items()):
        separator = ",\n" if index else ""
        if isinstance(value, list):
            fileobj.write(f"{separator}{json.dumps(key)}: [")
            for position, item in enumerate(value):
                fileobj.write(("," if position else "") + "\n " + json.dumps(item, ensure_ascii=False))
            fileobj.write("\n]" if value else "]")
        else:
            fileobj.write(f"{separator}{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    fileobj.write("\n}\n")


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_chunks(table: str, rows: list[dict[str, Any]]) -> Iterator[str]:
    """One table as CSV text (header, then the rows), a few hundred rows at a time."""
    names = [field.name for field in schemas.tabular_resource(table).fields]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for index, row in enumerate(rows, start=1):
        writer.writerow([_csv_value(row.get(name)) for name in names])
        if index % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def package_descriptor(tables: tuple[str, ...] = PACKAGE_TABLES) -> dict[str, Any]:
    """``datapackage.json`` of an export: the vendored package's metadata and exactly the resources written."""
    base = schemas.datapackage()
    descriptor = {key: value for key, value in base.items() if key != "resources"}
    descriptor["resources"] = [schemas.resource_descriptor(table) for table in tables]
    return descriptor


def write_datapackage(task_force: TaskForce, fileobj: IO[bytes]) -> None:
    """Write the CSV tabular data package (a zip) to a binary file object: ``datapackage.json`` and one
    CSV per table (UTF-8 without BOM, RFC 4180 quoting, CRLF line ends)."""
    tables = flatten_document(export_document(task_force))
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(package_descriptor(), ensure_ascii=False, indent=2))
        for table in PACKAGE_TABLES:
            path = schemas.tabular_resource(table).path
            with archive.open(path, "w") as member, io.TextIOWrapper(member, encoding="utf-8", newline="") as text:
                for chunk in csv_chunks(table, tables.get(table, [])):
                    text.write(chunk)
