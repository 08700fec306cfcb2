"""The vendored HSDS 3.0 schemas: present with their provenance and licence, ``$ref``s resolved offline, one
validator per table, and the tabular field types of datapackage.json."""

import uuid

import pytest

from partners.hsds import schemas


def test_vendored_files_carry_provenance_and_licence():
    readme = (schemas.SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    assert "279fd2eb" in readme and "2024-05-16" in readme and "CC BY-SA 4.0" in readme and "3.0" in readme
    assert "Attribution Share-Alike 4.0" in (schemas.SCHEMA_DIR / "LICENSE").read_text(encoding="utf-8")
    assert schemas.datapackage()["version"] == "3.0.0"


def test_every_table_of_the_package_has_a_schema_and_a_validator():
    assert {"organization", "service", "location", "service_at_location", "taxonomy_term"} <= schemas.table_names()
    for table in schemas.table_names():
        assert schemas.schema_for(table)["properties"]["id"]["format"] == "uuid"
        schemas.validator_for(table)  # builds: every $ref resolves offline


def test_validator_follows_refs_into_nested_objects():
    errors = list(
        schemas.validator_for("service").iter_errors(
            {
                "id": str(uuid.uuid4()),
                "name": "A service",
                "status": "active",
                "attributes": [{"id": str(uuid.uuid4()), "taxonomy_term": {"id": "not-a-uuid", "name": 3}}],
                "phones": [{"id": str(uuid.uuid4())}],
            }
        )
    )
    found = {(tuple(error.absolute_path), error.validator) for error in errors}
    assert (("attributes", 0, "taxonomy_term", "id"), "format") in found
    assert (("attributes", 0, "taxonomy_term", "name"), "type") in found
    assert (("attributes", 0, "taxonomy_term"), "required") in found  # description
    assert (("phones", 0), "required") in found  # number


def test_validator_checks_enums_formats_and_required():
    validator = schemas.validator_for("service")
    assert validator.is_valid({"id": str(uuid.uuid4()), "name": "x", "status": "active"})
    assert not validator.is_valid({"id": str(uuid.uuid4()), "name": "x", "status": "open"})
    assert not validator.is_valid({"id": "42", "name": "x", "status": "active"})
    assert not validator.is_valid({"id": str(uuid.uuid4()), "status": "active"})
    assert not validator.is_valid({"id": str(uuid.uuid4()), "name": "x", "status": "active", "email": "nope"})


def test_tabular_fields_give_csv_types_paths_and_required():
    service = schemas.tabular_resource("service")
    assert service.path == "services.csv"
    assert service.by_name["organization_id"].required
    assert service.by_name["minimum_age"].type == "number"
    assert service.by_name["status"].enum == ("active", "inactive", "defunct", "temporarily closed")
    assert schemas.tabular_resource("service_at_location").path == "service_at_location.csv"
    assert schemas.tabular_resource("schedule").by_name["opens_at"].type == "time"
    assert schemas.table_for_path("organizations.csv") == "organization"
    assert schemas.table_for_path("pkg/service_at_location.csv") == "service_at_location"
    assert schemas.table_for_path("nonsense.csv") is None


def test_unknown_table_has_no_validator():
    with pytest.raises(KeyError):
        schemas.validator_for("nonsense")


@pytest.mark.parametrize(
    ("table", "row", "quick"),
    [
        ("service", {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "name": "x", "status": "active"}, True),
        ("service", {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "name": "x", "status": "open"}, False),
        ("service", {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "name": "x"}, False),
        ("service", {"id": "42", "name": "x", "status": "active"}, False),
        ("service", {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "name": 5, "status": "active"}, False),
        (
            "service",
            {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "name": "x", "status": "active", "email": "no"},
            False,
        ),
        (
            "service",
            {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "name": "x", "status": "active", "phones": []},
            False,
        ),
        (
            "location",
            {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "location_type": "physical", "latitude": 1.5},
            True,
        ),
        (
            "location",
            {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "location_type": "physical", "latitude": True},
            False,
        ),
        ("phone", {"id": "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "number": "1", "colour": "blue"}, True),
    ],
)
def test_quick_check_never_passes_what_the_full_validator_refuses(table, row, quick):
    assert schemas.quick_valid(table, row) is quick
    if quick:
        assert schemas.validator_for(table).is_valid(row)
