"""HSDS 3 import: every bad row is reported (file, row, field) and nothing is written; dry runs write nothing;
a failure in the middle of the write leaves nothing behind; task forces never touch each other's rows;
data from other HSDS producers maps sensibly."""

from __future__ import annotations

import copy
import uuid

import pytest

from partners.hsds import export, mapping
from partners.hsds.importer import import_tables
from partners.hsds.types import Problem, ReadResult, Record
from partners.models import Partner, PartnerKind, Service, TaxonomyTerm
from psn.models import AuditEvent

from ...factories import PartnerFactory, TaskForceFactory
from .test_round_trip import (
    build_full_directory,
    canonical_dump,
    read_result_from_document,
    read_result_from_zip,
    table_counts,
    zip_bytes,
)


@pytest.fixture
def source(world):
    build_full_directory(world.tf)
    return world.tf


@pytest.fixture
def target(db):
    return TaskForceFactory(name="Target District", slug="target")


@pytest.fixture
def document(source):
    return export.export_document(source)


def _run(task_force, read, *, dry_run=False, **kwargs):
    return import_tables(task_force=task_force, read=read, dry_run=dry_run, **kwargs)


def _errors(result) -> list[Problem]:
    return [problem for problem in result.problems if problem.severity == "error"]


def _record(read: ReadResult, table: str, **match) -> Record:
    return next(r for r in read.tables[table] if all(r.data.get(k) == v for k, v in match.items()))


def _service(read, name="Everything service") -> Record:
    return _record(read, "service", name=name)


def _category_attribute(read) -> Record:
    return next(r for r in read.tables["attribute"] if r.data.get("link_type") == "psn_category")


def _field_attribute(read, code) -> Record:
    return _record(read, "attribute", taxonomy_term_id=mapping.FIELD_TERM_IDS[code])


# Each case breaks one thing and names the record, the field and a word of the message expected.
def case_missing_required(read):
    record = _record(read, "organization", name="Bare Partner")
    del record.data["name"]
    return record, "name", "required"


def case_bad_uuid(read):
    record = _service(read)
    record.data["id"] = "not-a-uuid"
    return record, "id", "UUID"


def case_bad_enum(read):
    record = _service(read)
    record.data["status"] = "open"
    return record, "status", "one of"


def case_wrong_type(read):
    record = _record(read, "location", name="Main office")
    record.data["latitude"] = "north"
    return record, "latitude", "number"


def case_duplicate_id(read):
    first = _service(read)
    second = _service(read, "Zero capacity")
    second.data["id"] = first.data["id"]
    return second, "id", "Duplicate"


def case_unknown_organization(read):
    record = _service(read)
    record.data["organization_id"] = str(uuid.uuid4())
    return record, "organization_id", "No organization"


def case_service_without_organization(read):
    record = _service(read)
    del record.data["organization_id"]
    return record, "organization_id", "organization"


def case_empty_required_enum(read):
    record = _record(read, "location", name="Main office")
    record.data["location_type"] = ""
    return record, "location_type", "required"


def case_empty_link(read):
    record = _category_attribute(read)
    record.data["link_id"] = ""
    return record, "link_id", "required"


def case_unknown_location(read):
    record = read.tables["service_at_location"][0]
    record.data["location_id"] = str(uuid.uuid4())
    return record, "location_id", "No location"


def case_unknown_taxonomy_term(read):
    record = _category_attribute(read)
    record.data["taxonomy_term_id"] = str(uuid.uuid4())
    return record, "taxonomy_term_id", "No taxonomy_term"


def case_unknown_parent_term(read):
    record = _record(read, "taxonomy_term", code="PSN-HOU.EM")
    record.data["parent_id"] = str(uuid.uuid4())
    return record, "parent_id", "No taxonomy_term"


def case_unknown_language(read):
    record = _record(read, "language", code="vi")
    record.data["code"] = "xx"
    return record, "code", "“xx”"


def case_unknown_partner_language(read):
    record = _field_attribute(read, "partner-languages")
    record.data["value"] = "en qq"
    return record, "value", "“qq”"


def case_invalid_email(read):
    record = _record(read, "organization", name="Bare Partner")
    record.data["email"] = "bob@"
    return record, "email", "email"


def case_invalid_url(read):
    record = _service(read)
    record.data["url"] = "not a web address"
    return record, "url", "URL"


def case_name_too_long(read):
    record = _record(read, "organization", name="Bare Partner")
    record.data["name"] = "N" * 201
    return record, "name", "200"


def case_description_too_long(read):
    record = _record(read, "organization", name="Bare Partner")
    record.data["description"] = "d" * 5001
    return record, "description", "at most 5000"


def case_blank_name(read):
    record = _service(read)
    record.data["name"] = ""
    return record, "name", "blank"


def case_duplicate_partner_name(read):
    record = _record(read, "organization", name="Full Partner, “Quoted” & Co.")
    record.data["name"] = "Bare Partner"  # reported on the later of the two rows
    return record, "name", "Bare Partner"


def case_bad_capacity(read):
    record = _field_attribute(read, "service-capacity")
    record.data["value"] = "-3"
    return record, "value", "whole number"


def case_bad_boolean(read):
    record = _field_attribute(read, "service-accepting-referrals")
    record.data["value"] = "maybe"
    return record, "value", "true or false"


def case_term_without_code(read):
    record = _record(read, "taxonomy_term", code="OLD-1")
    del record.data["code"]
    return record, "code", "code"


def case_term_bad_code(read):
    record = _record(read, "taxonomy_term", code="OLD-1")
    record.data["code"] = "bad code!"
    return record, "code", "valid"


def case_latitude_out_of_range(read):
    record = _record(read, "location", name="Main office")
    record.data["latitude"] = 12345.5
    return record, "latitude", "digits"


def case_contact_phone_too_long(read):
    record = _record(read, "phone", number="816-555-0102")
    record.data["number"] = "5" * 41
    return record, "number", "40"


def case_kind_on_a_service(read):
    record = _record(read, "attribute", link_type="psn_partner_kind")
    record.data["link_entity"] = "service"
    record.data["link_id"] = _service(read).data["id"]
    return record, "link_entity", "organization"


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.mark.parametrize("form", ["json", "zip"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__[5:])
def test_every_bad_row_is_reported_and_nothing_is_written(source, target, form, case):
    read = read_result_from_document(export.export_document(source)) if form == "json" else None
    if form == "zip":
        read = read_result_from_zip(zip_bytes(source))
        # CSV values are strings: the case's JSON values as a CSV would hold them.
        original = case
        case = lambda r: _as_csv(original(r))  # noqa: E731
    record, field, words = case(read)
    before = table_counts()
    audit_before = AuditEvent.objects.count()

    result = _run(target, read)

    assert not result.ok
    matching = [p for p in _errors(result) if (p.file, p.row, p.field) == (record.file, record.row, field)]
    assert matching, _errors(result)
    assert words.lower() in matching[0].message.lower(), matching[0].message
    assert table_counts() == before
    assert AuditEvent.objects.count() == audit_before


def _as_csv(found):
    record, field, words = found
    for key, value in list(record.data.items()):
        if not isinstance(value, str):
            record.data[key] = "" if value is None else str(value)
    return record, field, words


def test_all_problems_are_collected_not_just_the_first(source, target):
    read = read_result_from_document(export.export_document(source))
    expected = [case(read) for case in (case_bad_enum, case_unknown_location, case_invalid_email, case_bad_capacity)]

    result = _run(target, read)

    found = {(p.file, p.row, p.field) for p in _errors(result)}
    assert {(record.file, record.row, field) for record, field, _ in expected} <= found


def test_a_bad_organization_is_reported_once_not_again_for_each_of_its_services(source, target):
    read = read_result_from_document(export.export_document(source))
    record = _record(read, "organization", name="Full Partner, “Quoted” & Co.")
    record.data["email"] = "nope"

    result = _run(target, read)

    assert [(p.file, p.row, p.field) for p in _errors(result)] == [(record.file, record.row, "email")]


def test_unknown_tables_and_columns_are_warnings_not_errors(document, target):
    read = read_result_from_document(document)
    read.tables["widget"] = [Record(table="widget", data={"id": "1"}, file="widgets.csv", row=2)]
    read.tables["funding"] = [Record(table="funding", data={"id": str(uuid.uuid4())}, file="funding.csv", row=2)]
    for record in read.tables["organization"]:
        record.data["colour"] = "blue"
        record.data["alternate_name"] = "AKA"

    result = _run(target, read)

    assert result.ok, _errors(result)
    warnings = {(p.file, p.field): p.message for p in result.problems if p.severity == "warning"}
    assert "widget" in warnings[("widgets.csv", None)]
    assert "funding" in warnings[("funding.csv", None)]
    assert "colour" in warnings[("directory.json", "colour")]
    assert len([p for p in result.problems if p.field == "colour"]) == 1  # once, not per row
    assert "does not keep" in warnings[("directory.json", "alternate_name")]
    assert Partner.objects.filter(task_force=target).count() == len(document["organizations"])


def test_problems_of_the_reader_stop_the_import_but_the_rows_are_still_checked(document, target):
    read = read_result_from_document(document)
    read.problems.append(Problem(file="d.json", row=None, field=None, message="Broken row."))
    broken, field, _words = case_bad_enum(read)
    before = table_counts()

    result = _run(target, read)

    assert result.problems[0] == Problem(file="d.json", row=None, field=None, message="Broken row.")
    assert [(p.file, p.row, p.field) for p in result.problems[1:]] == [(broken.file, broken.row, field)]
    assert result.counts == {}
    assert table_counts() == before

    clean = read_result_from_document(document)
    clean.problems.append(Problem(file="d.json", row=None, field=None, message="Broken row."))
    assert not _run(target, clean).ok
    assert table_counts() == before


def test_dry_run_counts_but_writes_nothing(document, target):
    before = table_counts()
    audit_before = AuditEvent.objects.count()

    result = _run(target, read_result_from_document(document), dry_run=True)

    assert result.ok and result.dry_run
    assert result.counts["organization"] == {"created": len(document["organizations"]), "updated": 0, "unchanged": 0}
    assert result.counts["taxonomy_term"]["created"] == 22
    assert table_counts() == before
    assert AuditEvent.objects.count() == audit_before


def test_dry_run_of_a_reimport_reports_updates_without_writing(source, document, target):
    _run(target, read_result_from_document(document))
    changed = copy.deepcopy(document)
    changed["services"][0]["name"] = "A new name"
    dump = canonical_dump(target)

    result = _run(target, read_result_from_document(changed), dry_run=True)

    assert result.counts["service"]["updated"] == 1
    assert canonical_dump(target) == dump


def test_failure_in_the_middle_of_the_write_rolls_everything_back(document, target):
    """Someone creates a partner with the name of one the file creates between validation and write: the
    database refuses it, and the terms already written by then are rolled back too."""
    before = table_counts()
    injected = []

    def progress(done, total):
        if done > total // 2 and not injected:  # the second half of the progress is the write
            injected.append(TaxonomyTerm.objects.filter(task_force=target).count())
            PartnerFactory(task_force=target, name="Bare Partner")

    result = _run(target, read_result_from_document(document), progress=progress)

    assert injected[0] == 22  # the terms were written when the partners failed
    assert not result.ok
    assert "nothing was imported" in _errors(result)[0].message
    assert result.counts == {}
    assert table_counts() == before
    assert not AuditEvent.objects.filter(task_force=target).exists()


def test_progress_is_reported_a_bounded_number_of_times(document, target):
    calls = []

    _run(target, read_result_from_document(document), progress=lambda done, total: calls.append((done, total)))

    assert 2 <= len(calls) <= 110
    assert calls[-1][0] == calls[-1][1]
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_importing_into_one_task_force_never_touches_another_with_the_same_ids(world):
    build_full_directory(world.other_tf)
    edt_dump = canonical_dump(world.other_tf)
    document = export.export_document(world.other_tf)

    first = _run(world.tf, read_result_from_document(document))
    changed = copy.deepcopy(document)
    for service in changed["services"]:
        service["name"] += " (west)"
    second = _run(world.tf, read_result_from_document(changed))

    assert first.ok and second.ok
    assert first.counts["service"]["created"] == 3
    assert second.counts["service"] == {"created": 0, "updated": 3, "unchanged": 0}
    assert canonical_dump(world.other_tf) == edt_dump
    west = Service.objects.filter(task_force=world.tf, name__endswith="(west)")
    assert set(west.values_list("hsds_id", flat=True)) == set(
        Service.objects.filter(task_force=world.other_tf).values_list("hsds_id", flat=True)
    )


def test_absent_psn_attributes_keep_existing_values_and_hsds_fields_are_the_file_truth(document, target):
    _run(target, read_result_from_document(document))
    trimmed = copy.deepcopy(document)
    for obj in trimmed["organizations"] + trimmed["services"]:
        obj["attributes"] = [a for a in obj["attributes"] if a.get("link_type") == "psn_category"]
        obj.pop("phones", None)

    result = _run(target, read_result_from_document(trimmed))

    assert result.ok, _errors(result)
    full = Partner.objects.get(task_force=target, name="Full Partner, “Quoted” & Co.")
    assert (full.kind, full.service_area, full.active) == (PartnerKind.COMMUNITY, "Jackson County, MO", True)
    assert sorted(full.languages.values_list("code", flat=True)) == ["en", "es"]
    assert full.phone == ""  # a standard HSDS field left out of the file is emptied
    everything = Service.objects.get(task_force=target, name="Everything service")
    assert (everything.capacity, everything.accepting_referrals) == (12, False)


def test_data_of_another_hsds_producer_maps_into_the_directory(target):
    org, service, location, term = (str(uuid.uuid4()) for _ in range(4))
    read = ReadResult(file_format="json")
    rows = {
        "organization": [{"id": org, "name": "Harbor House", "description": "Shelter.", "email": "hi@harbor.example"}],
        "service": [
            {
                "id": service,
                "organization_id": org,
                "name": "Night shelter",
                "status": "temporarily closed",
                "email": "beds@harbor.example",
                "eligibility_description": "Adults.",
            }
        ],
        "phone": [
            {"id": str(uuid.uuid4()), "service_id": service, "number": "816-555-0199"},
            {"id": str(uuid.uuid4()), "organization_id": org, "number": "816-555-0100"},
        ],
        "schedule": [{"id": str(uuid.uuid4()), "service_id": service, "notes": "Every night from 7 pm"}],
        "language": [{"id": str(uuid.uuid4()), "service_id": service, "name": "Spanish"}],
        "location": [
            {"id": location, "location_type": "postal", "organization_id": org, "name": "Mail"},
        ],
        "address": [
            {
                "id": str(uuid.uuid4()),
                "location_id": location,
                "address_1": "PO Box 1",
                "city": "Kansas City",
                "state_province": "MO",
                "postal_code": "64101",
                "country": "US",
                "address_type": "postal",
            }
        ],
        "taxonomy_term": [{"id": term, "code": "BH-180", "name": "Shelter", "description": "Beds."}],
        "attribute": [
            {"id": str(uuid.uuid4()), "link_id": service, "link_entity": "service", "taxonomy_term_id": term},
        ],
    }
    for table, items in rows.items():
        read.tables[table] = [Record(table=table, data=data, file="211.json", row=n) for n, data in enumerate(items, 1)]

    result = _run(target, read)

    assert result.ok, _errors(result)
    partner = Partner.objects.get(task_force=target)
    assert (partner.name, partner.kind, partner.phone, partner.city, partner.address_1) == (
        "Harbor House",
        PartnerKind.OTHER,
        "816-555-0100",
        "Kansas City",
        "PO Box 1",
    )
    shelter = Service.objects.get(task_force=target)
    assert (shelter.active, shelter.contact_phone, shelter.contact_email, shelter.hours, shelter.eligibility) == (
        False,
        "816-555-0199",
        "beds@harbor.example",
        "Every night from 7 pm",
        "Adults.",
    )
    assert list(shelter.languages.values_list("code", flat=True)) == ["es"]
    assert list(shelter.categories.values_list("code", flat=True)) == ["BH-180"]
    assert not shelter.locations.exists()  # the postal location is the partner's address, not a place


def test_a_large_import_leaves_fresh_planner_statistics(source, target, document, monkeypatch):
    """Else the directory search of the new rows is slow until autovacuum runs (bench/results.md)."""
    from django.db import connection

    from partners.hsds import importer

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    monkeypatch.setattr(importer, "ANALYZE_AFTER_ROWS", 1)

    def estimated_services() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'partners_service'")
            return cursor.fetchone()[0]

    assert estimated_services() != Service.objects.count() * 2

    result = _run(target, read_result_from_document(document))

    assert result.ok, result.problems
    # The source's services and their copies in the target: the statistics count both.
    assert estimated_services() == Service.objects.count() == Service.objects.filter(task_force=source).count() * 2
