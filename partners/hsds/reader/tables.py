"""The HSDS 3.0 tables and the names they go by: their CSV file in the tabular package, the JSON properties that
hold their rows (a table's name or its plural), the nested objects a parent points at, and the child tables that
link to their parent by id and entity type.
"""

from __future__ import annotations

from pathlib import Path

# table -> its CSV file in the HSDS 3.0 tabular package (datapackage.json, resources[].path).
TABLE_FILES: dict[str, str] = {
    "organization": "organizations.csv",
    "program": "programs.csv",
    "service": "services.csv",
    "attribute": "attributes.csv",
    "service_at_location": "service_at_location.csv",
    "location": "locations.csv",
    "phone": "phones.csv",
    "contact": "contacts.csv",
    "address": "addresses.csv",
    "schedule": "schedules.csv",
    "funding": "funding.csv",
    "service_area": "service_areas.csv",
    "required_document": "required_documents.csv",
    "language": "languages.csv",
    "accessibility": "accessibility.csv",
    "taxonomy_term": "taxonomy_terms.csv",
    "metadata": "metadata.csv",
    "meta_table_description": "meta_table_descriptions.csv",
    "cost_option": "cost_options.csv",
    "organization_identifier": "organization_identifiers.csv",
    "taxonomy": "taxonomies.csv",
}
TABLES = frozenset(TABLE_FILES)

# A JSON property holding rows of a table: the table's name, or its plural as HSDS spells it.
PLURALS: dict[str, str] = {
    **{name: name for name in TABLES},
    **{Path(file).stem: table for table, file in TABLE_FILES.items()},
    "service_at_locations": "service_at_location",
}
# A single nested object that the parent points at (the parent row gets ``<property>_id``), rather than
# children that point at the parent.
REFERENCED_OBJECTS: dict[str, str] = {
    "organization": "organization",
    "program": "program",
    "location": "location",
    "taxonomy_term": "taxonomy_term",
    "taxonomy_detail": "taxonomy",
}
# Child tables that do not name their parent ``<table>_id`` but link by id and entity type.
POLYMORPHIC_LINKS: dict[str, tuple[str, str]] = {
    "attribute": ("link_id", "link_entity"),
    "metadata": ("resource_id", "resource_type"),
}
