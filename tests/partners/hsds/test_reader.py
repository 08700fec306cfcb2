"""partners/hsds/reader/: both HSDS forms become the same normalised tables (types.py)."""

import io
import json
import zipfile

import pytest

from partners.hsds import reader
from partners.hsds.types import Problem

LIMITS = reader.Limits(
    max_bytes=1024 * 1024, zip_max_uncompressed=4 * 1024 * 1024, zip_max_ratio=100, zip_max_members=30
)


def zip_of(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def datapackage(*tables: str) -> str:
    return json.dumps(
        {
            "name": "x",
            "resources": [{"name": t, "path": reader.TABLE_FILES[t], "schema": {"fields": []}} for t in tables],
        }
    )


def rows(result, table: str) -> list[dict]:
    return [record.data for record in result.tables.get(table, [])]


def test_json_object_of_tables_keeps_json_types():
    document = {
        "organizations": [{"id": "o1", "name": "Org", "description": "d"}],
        "services": [{"id": "s1", "name": "Mentoring", "status": "active", "organization_id": "o1", "minimum_age": 16}],
    }
    result = reader.read_file(json.dumps(document).encode(), filename="directory.json", limits=LIMITS)
    assert result.ok, result.problems
    assert result.file_format == "json"
    assert rows(result, "organization") == [{"id": "o1", "name": "Org", "description": "d"}]
    assert rows(result, "service")[0]["minimum_age"] == 16
    record = result.tables["service"][0]
    assert (record.table, record.file, record.row) == ("service", "directory.json", 1)


def test_json_singular_table_names_are_accepted_and_unknown_keys_warned():
    # "generator" is our export's header: known, so not even a warning; "colour" is nothing we know.
    document = {"organization": [{"id": "o1", "name": "Org", "description": "d"}], "generator": "x", "colour": 1}
    result = reader.read_file(json.dumps(document).encode(), filename="d.json", limits=LIMITS)
    assert rows(result, "organization")[0]["id"] == "o1"
    assert result.problems == [
        Problem("d.json", None, "colour", "“colour” is not an HSDS table; it was ignored.", "warning")
    ]
    assert result.ok


def test_a_bare_list_of_services_with_nested_objects_is_flattened():
    services = [
        {
            "id": "s1",
            "name": "Mentoring",
            "status": "active",
            "organization": {"id": "o1", "name": "Org", "description": "d", "phones": [{"id": "p-o", "number": "1"}]},
            "phones": [{"id": "p1", "number": "816-555-0100", "languages": [{"id": "l1", "code": "es"}]}],
            "service_at_locations": [
                {"id": "sal1", "location": {"id": "loc1", "location_type": "physical", "addresses": [{"id": "a1"}]}}
            ],
            "attributes": [{"id": "at1", "taxonomy_term": {"id": "t1", "name": "Mentoring", "description": "m"}}],
        },
        # The same organization again, as an HSDS API does for every service: one row, not two.
        {
            "id": "s2",
            "name": "Housing",
            "status": "active",
            "organization": {"id": "o1", "name": "Org", "description": "d", "phones": [{"id": "p-o", "number": "1"}]},
        },
    ]
    result = reader.read_file(json.dumps(services).encode(), filename="services.json", limits=LIMITS)
    assert result.ok, result.problems
    assert [s["organization_id"] for s in rows(result, "service")] == ["o1", "o1"]
    assert rows(result, "organization") == [{"id": "o1", "name": "Org", "description": "d"}]
    assert sorted(p["id"] for p in rows(result, "phone")) == ["p-o", "p1"]
    assert {p["id"]: p.get("service_id") or p.get("organization_id") for p in rows(result, "phone")} == {
        "p1": "s1",
        "p-o": "o1",
    }
    assert rows(result, "language") == [{"id": "l1", "code": "es", "phone_id": "p1"}]
    assert rows(result, "service_at_location") == [{"id": "sal1", "service_id": "s1", "location_id": "loc1"}]
    assert rows(result, "location") == [{"id": "loc1", "location_type": "physical"}]
    assert rows(result, "address") == [{"id": "a1", "location_id": "loc1"}]
    assert rows(result, "attribute") == [
        {"id": "at1", "link_id": "s1", "link_entity": "service", "taxonomy_term_id": "t1"}
    ]
    assert rows(result, "taxonomy_term") == [{"id": "t1", "name": "Mentoring", "description": "m"}]
    # Rows point at the top-level item they came from.
    assert [r.row for r in result.tables["service"]] == [1, 2]


def test_the_hsds_api_page_shape_contents():
    page = {"total_items": 1, "contents": [{"id": "s1", "name": "A", "status": "active"}]}
    result = reader.read_file(json.dumps(page).encode(), filename="page.json", limits=LIMITS)
    assert rows(result, "service") == [{"id": "s1", "name": "A", "status": "active"}]


def test_a_nested_row_naming_another_parent_is_an_error():
    services = [
        {"id": "s1", "name": "A", "status": "active", "phones": [{"id": "p1", "number": "1", "service_id": "s9"}]}
    ]
    result = reader.read_file(json.dumps(services).encode(), filename="s.json", limits=LIMITS)
    assert not result.ok
    assert result.problems == [
        Problem("s.json", 1, "service_id", "This phone is nested under service “s1” but names “s9”.")
    ]


def test_a_row_that_is_not_an_object_is_an_error():
    result = reader.read_file(json.dumps({"services": [1]}).encode(), filename="s.json", limits=LIMITS)
    assert result.problems == [
        Problem("s.json", 1, "service", "Each row of “service” must be an object, not a number.")
    ]


def test_csv_package_with_datapackage_maps_files_to_tables():
    package = zip_of(
        {
            "datapackage.json": datapackage("organization", "service", "service_at_location"),
            "organizations.csv": 'id,name,description\r\no1,Org,"Two\r\nlines"\r\no2,Other,x\r\n',
            "services.csv": "id,organization_id,name,status\no-s1,o1,Mentoring,active\n",
            "service_at_location.csv": "id,service_id,location_id\n",
        }
    )
    result = reader.read_file(package, filename="package.zip", limits=LIMITS)
    assert result.ok, result.problems
    assert result.file_format == "zip"
    assert rows(result, "organization") == [
        {"id": "o1", "name": "Org", "description": "Two\r\nlines"},
        {"id": "o2", "name": "Other", "description": "x"},
    ]
    # A record's row is the line it starts on; the header is line 1.
    assert [r.row for r in result.tables["organization"]] == [2, 4]
    assert result.tables["organization"][0].file == "organizations.csv"
    assert rows(result, "service") == [{"id": "o-s1", "organization_id": "o1", "name": "Mentoring", "status": "active"}]
    assert result.tables["service_at_location"] == []


def test_csv_package_zipped_with_its_folder_and_singular_names():
    package = zip_of({"export/organization.csv": "id,name\no1,Org\n", "export/datapackage.json": datapackage()})
    result = reader.read_file(package, filename="p.zip", limits=LIMITS)
    assert rows(result, "organization") == [{"id": "o1", "name": "Org"}]
    assert result.ok


def test_blank_lines_are_skipped_and_line_numbers_stay_true():
    package = zip_of(
        {"organizations.csv": "id,name\n\no1,Org\n\n\no2,B\n", "datapackage.json": datapackage("organization")}
    )
    result = reader.read_file(package, filename="p.zip", limits=LIMITS)
    assert [r.row for r in result.tables["organization"]] == [3, 6]


def test_a_column_without_a_name_is_ignored_with_a_warning():
    package = zip_of({"organizations.csv": "id,name,\no1,Org,\n", "datapackage.json": datapackage("organization")})
    result = reader.read_file(package, filename="p.zip", limits=LIMITS)
    assert rows(result, "organization") == [{"id": "o1", "name": "Org"}]
    assert result.problems == [
        Problem("organizations.csv", 1, None, "Column 3 has no name; it was ignored.", "warning")
    ]


def test_read_path_reads_a_folder_of_csv_files(tmp_path):
    (tmp_path / "organizations.csv").write_text("id,name\no1,Org\n")
    (tmp_path / "datapackage.json").write_text(datapackage("organization"))
    result = reader.read_path(tmp_path, limits=LIMITS)
    assert result.ok and rows(result, "organization") == [{"id": "o1", "name": "Org"}]


def test_read_path_reads_json_and_zip_files(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps({"organizations": [{"id": "o1"}]}))
    (tmp_path / "p.zip").write_bytes(zip_of({"organizations.csv": "id\no2\n", "datapackage.json": datapackage()}))
    assert rows(reader.read_path(tmp_path / "d.json", limits=LIMITS), "organization") == [{"id": "o1"}]
    assert rows(reader.read_path(tmp_path / "p.zip", limits=LIMITS), "organization") == [{"id": "o2"}]


def test_an_upload_file_object_is_read_from_its_start():
    handle = io.BytesIO(b'{"organizations": []}')
    handle.read(5)
    assert reader.read_file(handle, filename="d.json", limits=LIMITS).ok


def test_table_files_match_the_vendored_datapackage():
    from partners.hsds import schemas

    try:
        resources = schemas.tabular_resources()
    except FileNotFoundError:
        pytest.skip("the HSDS schemas are not vendored yet")
    assert {name: resource.path for name, resource in resources.items()} == reader.TABLE_FILES


def test_report_lines_for_the_command():
    lines = list(
        reader.iter_problem_lines(
            [Problem("services.csv", 3, "name", "Required."), Problem("x.json", None, None, "Odd.", "warning")]
        )
    )
    assert lines == ["ERROR   services.csv:3 [name]: Required.", "WARNING x.json: Odd."]
