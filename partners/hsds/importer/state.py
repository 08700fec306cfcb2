"""The state the import's steps share: ``_PlanState`` (the rows read, the problems found, the model rows planned
and the progress reported, with the two ways to report a problem), the ``_Row`` and ``_Planned`` wrappers it
holds, the progress reporter, and ``_show`` that shortens a value quoted in a message.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from partners.models import TaskForce

from ..types import Problem, ReadResult, Record

Progress = Callable[[int, int], None]


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


@dataclass
class _Row:
    record: Record
    data: dict[str, Any]
    ok: bool = True

    @property
    def id(self) -> str:
        return str(self.data.get("id") or "")

    def get(self, key: str) -> Any:
        value = self.data.get(key)
        return None if value in (None, "") else value


@dataclass
class _Planned:
    """A model row the import creates or updates, with the file row it came from."""

    obj: Any
    row: _Row
    created: bool
    changed: bool = False
    sources: dict[str, tuple[_Row, str]] = field(default_factory=dict)  # model field -> (row, HSDS column)
    links: dict[str, str | None] = field(default_factory=dict)  # "partner"/"service" -> the HSDS id it points at


class _ProgressReporter:
    def __init__(self, callback: Progress | None, total: int) -> None:
        self.callback = callback
        self.total = max(total, 1)
        self.done = 0
        self.step = max(1, self.total // 60)
        self.next_report = self.step

    def advance(self, amount: int = 1) -> None:
        self.done = min(self.done + amount, self.total)
        if self.callback is not None and self.done >= self.next_report:
            self.callback(self.done, self.total)
            self.next_report = self.done + self.step

    def at(self, done: int) -> None:
        self.done = min(done, self.total)
        if self.callback is not None:
            self.callback(self.done, self.total)


class _PlanState:
    """What validation, planning and writing work on; the steps are mixed in by ``importer._Plan``."""

    def __init__(self, *, task_force: TaskForce, read: ReadResult, problems: list[Problem], progress) -> None:
        self.tf = task_force
        self.read = read
        self.problems = problems
        self.rows: dict[str, list[_Row]] = {}
        self.by_id: dict[str, dict[str, _Row]] = defaultdict(dict)
        self.warned: set[tuple] = set()
        n_records = sum(len(records) for records in read.tables.values())
        self.reporter = _ProgressReporter(progress, 2 * n_records + 10)
        self.first_file = next((records[0].file for records in read.tables.values() if records), "import")
        self.partners: dict[str, _Planned] = {}
        self.services: dict[str, _Planned] = {}
        self.locations: dict[str, _Planned] = {}
        self.contacts: dict[str, _Planned] = {}
        self.terms: dict[str, _Planned] = {}
        self.term_parents: dict[str, str | None] = {}
        self.partner_languages: dict[str, list[str]] = {}
        self.service_categories: dict[str, set[str]] = {}
        self.service_languages: dict[str, set[str]] = {}
        self.service_locations: dict[str, set[str]] = {}
        self.extra_service_locations: set[tuple[str, str]] = set()
        self.extra_categories: set[tuple[str, str]] = set()
        self.extra_languages: set[tuple[str, str]] = set()

    # --- problems ---------------------------------------------------------------------------------------

    def error(self, row: _Row, column: str | None, message: str) -> None:
        row.ok = False
        self.problems.append(Problem(file=row.record.file, row=row.record.row, field=column, message=message))

    def warn_once(self, key: tuple, file: str, column: str | None, message: str, row: int | None = None) -> None:
        if key not in self.warned:
            self.warned.add(key)
            self.problems.append(Problem(file=file, row=row, field=column, message=message, severity="warning"))
