"""The shapes passed between the HSDS reader (files -> tables), the importer (tables -> database) and the pages,
API, task and commands around them.

The normalised form is the HSDS tabular one: table name (``organization``, ``service``, ``location``,
``address``, ``phone``, ``contact``, ``language``, ``service_at_location``, ``schedule``, ``service_area``,
``attribute``, ``taxonomy``, ``taxonomy_term``, ...) -> records. The CSV package gives it directly; the JSON form
is flattened into it (a nested object or array under a property named like a table, e.g. ``phones`` or
``service_at_locations``, becomes rows of that table with ``<parent table>_id`` set to the parent's ``id``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong, as the line-by-line report shows it. ``error`` blocks the import; ``warning`` does not
    (an unknown column, an ignored field)."""

    file: str  # "organization.csv", "directory.json", or the upload's name for the whole file
    # CSV: the line of the record's first line (the header is line 1); JSON: 1-based index; None: the whole file
    row: int | None
    field: str | None
    message: str
    severity: Severity = "error"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(**data)


@dataclass
class Record:
    """One row of one table. CSV values are strings ("" means missing); JSON values keep their JSON types."""

    table: str
    data: dict[str, Any]
    file: str
    row: int | None


@dataclass
class ReadResult:
    file_format: Literal["json", "zip"]
    tables: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(problem.severity == "error" for problem in self.problems)


@dataclass
class ImportResult:
    dry_run: bool
    problems: list[Problem] = field(default_factory=list)
    # {"organization": {"created": 3, "updated": 1, "unchanged": 10}, "service": {...}, ...}
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(problem.severity == "error" for problem in self.problems)
