"""Round trip (issue 4, item 7): a directory with every field set, exported as HSDS 3 JSON or as the CSV
package, imported into an empty task force, gives the same directory; importing it again changes nothing.

The helpers here (a full directory, a canonical dump, ReadResults made from our own export without the
reader) are shared with the other HSDS test modules."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal

import pytest

from partners.hsds import export, schemas
from partners.hsds.importer import import_tables
from partners.hsds.reader import read_file
from partners.hsds.types import ReadResult, Record
from partners.models import Contact, Language, Location, Partner, PartnerKind, Service, TaxonomyTerm
from partners.services import task_force_create, taxonomy_seed
from psn.models import AuditEvent

from ...factories import PartnerFactory, ServiceFactory, TaskForceFactory

# --- shared helpers ------------------------------------------------------------------------------------------


def build_full_directory(task_force, *, partners=()) -> dict:
    """Every field of every directory model set somewhere, plus the empty and inactive variants."""
    taxonomy_seed(task_force=task_force)
    terms = {term.code: term for term in TaxonomyTerm.objects.filter(task_force=task_force)}
    child = TaxonomyTerm.objects.create(
        task_force=task_force,
        code="PSN-HOU.EM",
        name="Emergency shelter",
        description="Tonight.",
        parent=terms["PSN-HOU"],
    )
    retired_term = TaxonomyTerm.objects.create(task_force=task_force, code="OLD-1", name="Old category", active=False)
    en, es, vi = (Language.objects.get(code=code) for code in ("en", "es", "vi"))
    full = PartnerFactory(
        task_force=task_force,
        name="Full Partner, “Quoted” & Co.",
        kind=PartnerKind.COMMUNITY,
        description="Line one.\nLine two, with a comma; and “quotes”.",
        address_1="1 Main St., Suite 5",
        city="Kansas City",
        state_province="MO",
        postal_code="64106",
        phone="+1 816 555 0100",
        email="info@full.example.org",
        website="https://full.example.org/about",
        service_area="Jackson County, MO",
        active=True,
    )
    full.languages.set([en, es])
    closed = PartnerFactory(task_force=task_force, name="Closed Clinic", kind=PartnerKind.OTHER, active=False)
    bare = PartnerFactory(task_force=task_force, name="Bare Partner", kind=PartnerKind.RESEARCH)
    everything = ServiceFactory(
        partner=full,
        name="Everything service",
        description="Déjà vu: Unicode, “quotes”, commas, and\nnew lines.",
        eligibility="Ages 16–24.",
        capacity=12,
        accepting_referrals=False,
        hours="Mon–Fri 9–5\nSat 10–2",
        contact_name="Ana Pérez",
        contact_phone="816-555-0101",
        contact_email="ana@full.example.org",
        url="https://full.example.org/everything",
        active=True,
        categories=[terms["PSN-MEN"], child, retired_term],
        languages=[es, vi],
    )
    zero = ServiceFactory(partner=full, name="Zero capacity", capacity=0, contact_phone="816-555-0199")
    retired = ServiceFactory(partner=closed, name="Retired service", active=False, categories=[terms["PSN-EMP"]])
    office = Location.objects.create(
        task_force=task_force,
        partner=full,
        name="Main office",
        address_1="1 Main St.",
        city="Kansas City",
        state_province="MO",
        postal_code="64106",
        latitude=Decimal("39.099727"),
        longitude=Decimal("-94.578567"),
    )
    office.services.set([everything, zero])
    Location.objects.create(task_force=task_force, partner=bare, name="Nameless corner")
    Contact.objects.create(
        task_force=task_force,
        partner=full,
        name="Bo Director",
        title="Director",
        email="bo@full.example.org",
        phone="816-555-0102",
    )
    Contact.objects.create(task_force=task_force, partner=full, service=everything, name="Cy Intake")
    return {"full": full, "closed": closed, "bare": bare, "everything": everything, "zero": zero, "retired": retired}


def canonical_dump(task_force) -> dict:
    """The directory of a task force without database ids or timestamps: what a round trip must keep."""

    def hid(obj):
        return str(obj.hsds_id) if obj is not None else None

    partners = {
        hid(p): {
            "name": p.name,
            "kind": p.kind,
            "description": p.description,
            "address_1": p.address_1,
            "city": p.city,
            "state_province": p.state_province,
            "postal_code": p.postal_code,
            "phone": p.phone,
            "email": p.email,
            "website": p.website,
            "service_area": p.service_area,
            "active": p.active,
            "languages": sorted(language.code for language in p.languages.all()),
        }
        for p in Partner.objects.filter(task_force=task_force).prefetch_related("languages")
    }
    services = {
        hid(s): {
            "partner": hid(s.partner),
            "name": s.name,
            "description": s.description,
            "eligibility": s.eligibility,
            "capacity": s.capacity,
            "accepting_referrals": s.accepting_referrals,
            "hours": s.hours,
            "contact_name": s.contact_name,
            "contact_phone": s.contact_phone,
            "contact_email": s.contact_email,
            "url": s.url,
            "active": s.active,
            "categories": sorted(hid(term) for term in s.categories.all()),
            "languages": sorted(language.code for language in s.languages.all()),
            "locations": sorted(hid(location) for location in s.locations.all()),
        }
        for s in Service.objects.filter(task_force=task_force)
        .select_related("partner")
        .prefetch_related("categories", "languages", "locations")
    }
    locations = {
        hid(loc): {
            "partner": hid(loc.partner),
            "name": loc.name,
            "address_1": loc.address_1,
            "city": loc.city,
            "state_province": loc.state_province,
            "postal_code": loc.postal_code,
            "latitude": loc.latitude,
            "longitude": loc.longitude,
        }
        for loc in Location.objects.filter(task_force=task_force).select_related("partner")
    }
    contacts = {
        hid(c): {
            "partner": hid(c.partner),
            "service": hid(c.service),
            "name": c.name,
            "title": c.title,
            "email": c.email,
            "phone": c.phone,
        }
        for c in Contact.objects.filter(task_force=task_force).select_related("partner", "service")
    }
    terms = {
        hid(t): {
            "code": t.code,
            "name": t.name,
            "description": t.description,
            "parent": hid(t.parent),
            "active": t.active,
        }
        for t in TaxonomyTerm.objects.filter(task_force=task_force).select_related("parent")
    }
    return {"partners": partners, "services": services, "locations": locations, "contacts": contacts, "terms": terms}


def read_result_from_document(document: dict, *, file: str = "directory.json") -> ReadResult:
    """Our own JSON document as the reader would give it (flattened, JSON values), without the reader."""
    document = json.loads(json.dumps(document))  # only JSON types, as a file would have
    result = ReadResult(file_format="json")
    for table, rows in export.flatten_document(document).items():
        result.tables[table] = [Record(table=table, data=row, file=file, row=n) for n, row in enumerate(rows, 1)]
    return result


def read_result_from_zip(data: bytes) -> ReadResult:
    """Our own CSV package read with csv.DictReader (all strings; line 1 is the header)."""
    result = ReadResult(file_format="zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name == "datapackage.json":
                continue
            table = schemas.table_for_path(name)
            reader = csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"), newline=""))
            result.tables[table] = [
                Record(table=table, data=dict(row), file=name, row=reader.line_num) for row in reader
            ]
    return result


def table_counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Partner,
            Service,
            Location,
            Contact,
            TaxonomyTerm,
            Partner.languages.through,
            Service.categories.through,
            Service.languages.through,
            Location.services.through,
        )
    }


def zip_bytes(task_force) -> bytes:
    buffer = io.BytesIO()
    export.write_datapackage(task_force, buffer)
    return buffer.getvalue()


def json_bytes(task_force) -> bytes:
    text = io.StringIO()
    export.write_json(task_force, text)
    return text.getvalue().encode("utf-8")


# --- the round trip ------------------------------------------------------------------------------------------


@pytest.fixture
def source(world):
    build_full_directory(world.tf)
    return world.tf


@pytest.fixture
def empty_tf(db):
    return TaskForceFactory(name="Empty District", slug="empty")


def _import(task_force, read, **kwargs):
    result = import_tables(task_force=task_force, read=read, dry_run=False, **kwargs)
    assert result.ok, [p for p in result.problems if p.severity == "error"]
    return result


def test_json_round_trip_through_the_reader_gives_the_same_directory(source, empty_tf, world):
    read = read_file(json_bytes(source), filename="wdt.json")
    assert read.ok, read.problems

    result = _import(empty_tf, read, actor_user=world.users["coordinator"])

    assert canonical_dump(empty_tf) == canonical_dump(source)
    assert result.counts["organization"] == {
        "created": Partner.objects.filter(task_force=source).count(),
        "updated": 0,
        "unchanged": 0,
    }
    assert result.counts["service"]["created"] == 3
    # Not even a warning: the document's own header (hsds_version, generator...) is known to the reader.
    assert result.problems == []
    event = AuditEvent.objects.filter(task_force=empty_tf, object_type="partners.directory").get()
    assert event.actor == world.users["coordinator"]
    assert event.changes["counts"] == result.counts


def test_csv_package_round_trip_through_the_reader_gives_the_same_directory(source, empty_tf):
    read = read_file(zip_bytes(source), filename="wdt.zip")
    assert read.ok, read.problems

    _import(empty_tf, read)

    assert canonical_dump(empty_tf) == canonical_dump(source)


@pytest.mark.parametrize("form", ["json", "zip"])
def test_round_trip_without_the_reader(source, empty_tf, form):
    if form == "json":
        read = read_result_from_document(export.export_document(source))
    else:
        read = read_result_from_zip(zip_bytes(source))

    _import(empty_tf, read)

    assert canonical_dump(empty_tf) == canonical_dump(source)


@pytest.mark.parametrize("form", ["json", "zip"])
def test_reimport_creates_nothing_and_reports_everything_unchanged(source, empty_tf, form):
    data, name = (json_bytes(source), "d.json") if form == "json" else (zip_bytes(source), "d.zip")
    _import(empty_tf, read_file(data, filename=name))
    before, dump = table_counts(), canonical_dump(empty_tf)

    result = _import(empty_tf, read_file(data, filename=name))

    assert table_counts() == before
    assert canonical_dump(empty_tf) == dump
    assert all(counts["created"] == counts["updated"] == 0 for counts in result.counts.values()), result.counts
    assert result.counts["service"]["unchanged"] == 3


def test_reimport_into_the_source_task_force_is_all_unchanged(source):
    dump = canonical_dump(source)

    result = _import(source, read_file(json_bytes(source), filename="d.json"))

    assert canonical_dump(source) == dump
    assert all(counts["created"] == counts["updated"] == 0 for counts in result.counts.values()), result.counts


def test_reimport_after_edits_updates_by_hsds_id(source, empty_tf):
    _import(empty_tf, read_file(json_bytes(source), filename="d.json"))
    service = Service.objects.get(task_force=source, name="Everything service")
    service.name, service.capacity = "Renamed service", None
    service.save()
    service.categories.remove(*service.categories.filter(code="OLD-1"))
    service.locations.clear()
    Partner.objects.filter(task_force=source, name="Bare Partner").update(kind=PartnerKind.GOVERNMENT, active=False)

    result = _import(empty_tf, read_file(json_bytes(source), filename="d.json"))

    assert canonical_dump(empty_tf) == canonical_dump(source)
    assert result.counts["service"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert result.counts["organization"]["updated"] == 1


def test_import_into_a_task_force_with_the_default_taxonomy_matches_terms_by_code(source, world):
    target = task_force_create(name="Seeded District", slug="seeded", actor_user=world.users["site_admin"])
    seeded = {t.code: t.hsds_id for t in TaxonomyTerm.objects.filter(task_force=target)}
    assert seeded

    result = _import(target, read_file(json_bytes(source), filename="d.json"))

    assert result.counts["taxonomy_term"]["created"] == 2  # the child and the retired term: the rest matched
    kept = {t.code: t.hsds_id for t in TaxonomyTerm.objects.filter(task_force=target, code__in=seeded)}
    assert kept == seeded  # our terms keep their ids
    everything = Service.objects.get(task_force=target, name="Everything service")
    assert sorted(everything.categories.values_list("code", flat=True)) == ["OLD-1", "PSN-HOU.EM", "PSN-MEN"]

    again = _import(target, read_file(json_bytes(source), filename="d.json"))
    assert again.counts["taxonomy_term"] == {"created": 0, "updated": 0, "unchanged": len(seeded) + 2}


def test_empty_task_force_round_trips(empty_tf):
    other = TaskForceFactory(name="Other Empty", slug="other-empty")
    for data, name in ((json_bytes(empty_tf), "e.json"), (zip_bytes(empty_tf), "e.zip")):
        result = _import(other, read_file(data, filename=name))
        assert all(sum(counts.values()) == 0 for counts in result.counts.values())
    assert canonical_dump(other) == canonical_dump(empty_tf)
