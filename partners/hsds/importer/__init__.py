"""Import HSDS 3.0 tables (already read and flattened by ``partners/hsds/reader/``) into a task force's
directory: validation of every row first, collecting every problem; then, only when there is no error, one
transaction that creates or updates rows by HSDS id (ids are unique per task force only) with bulk queries.

Validation, in order: CSV strings typed as ``datapackage.json`` says ("" is a missing value); each row against
its HSDS JSON schema; required fields; duplicate ids; references between tables (to rows of the file or of the
task force's directory); our own model rules (lengths, email and URL validity, a partner's name and a term's
code unique in the task force); unknown tables and columns are warnings. ``mapping.py`` says where each field
goes. Nothing is ever deleted; the links a file describes (a service's categories, languages and locations)
replace the links of the rows it lists.

The package: ``import_tables`` (here) drives one ``_Plan``, the state in ``state.py`` with the steps mixed in
from ``validate.py`` (typing, schema, references, model rules), ``directory.py`` (lookups by HSDS id in the file
and the task force's directory), ``plan.py`` (what is created, updated or unchanged) and ``write.py`` (the bulk
write).
"""

from __future__ import annotations

from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext as _

from partners.models import TaskForce
from partners.services import analyze_directory
from psn import audit
from psn.models import AuditAction

from ..types import ImportResult, Problem, ReadResult
from .directory import _Directory
from .plan import COUNTED_TABLES, _Planning
from .state import Progress, _show
from .validate import KEPT_COLUMNS, REFERENCES, SUPPORTED_TABLES, _typed, _Validation
from .write import BATCH, _Writing

__all__ = [
    "BATCH",
    "COUNTED_TABLES",
    "KEPT_COLUMNS",
    "REFERENCES",
    "SUPPORTED_TABLES",
    "Progress",
    "_typed",
    "import_tables",
]


def import_tables(
    *,
    task_force: TaskForce,
    read: ReadResult,
    dry_run: bool,
    actor_user=None,
    request=None,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate ``read.tables`` and, when nothing is wrong (the reader's problems included) and this is not a
    dry run, write them in one transaction. The result lists every problem (the reader's first) and the
    created/updated/unchanged counts per table."""
    result = ImportResult(dry_run=dry_run, problems=list(read.problems))
    plan = _Plan(task_force=task_force, read=read, problems=result.problems, progress=progress)
    plan.validate()
    if not read.ok:
        # The file itself was refused in part: its rows are still checked so that the report is complete,
        # but nothing is written and there is nothing to count.
        plan.reporter.at(plan.reporter.total)
        return result
    result.counts = plan.counts()
    if not result.ok or dry_run:
        plan.reporter.at(plan.reporter.total)
        return result
    try:
        with transaction.atomic():
            plan.write()
            audit.record(
                action=_IMPORTED,
                actor=actor_user,
                task_force=task_force,
                object_type="partners.directory",
                object_id=task_force.slug,
                object_repr=f"HSDS 3 import into {task_force.name}"[:200],
                changes={"format": read.file_format, "counts": result.counts},
                request=request,
            )
    except (IntegrityError, DataError) as exc:
        # A row written meanwhile by someone else (a partner given the same name...): nothing was kept.
        result.problems.append(
            Problem(
                file=plan.first_file,
                row=None,
                field=None,
                message=_(
                    "The directory changed while the file was being imported, so nothing was imported "
                    "(%(error)s). Please try again."
                )
                % {"error": _show(exc)},
            )
        )
        result.counts = {}
    else:
        written = sum(c.get("created", 0) + c.get("updated", 0) for c in result.counts.values())
        if written >= ANALYZE_AFTER_ROWS:
            analyze_directory()
    plan.reporter.at(plan.reporter.total)
    return result


# A large import changes the directory's shape: the planner gets fresh statistics at once (else the search is
# slow until autovacuum runs).
ANALYZE_AFTER_ROWS = 1000


_IMPORTED = AuditAction.IMPORTED


class _Plan(_Validation, _Directory, _Planning, _Writing):
    """One import: validated (and planned) by ``validate()``, counted by ``counts()``, written by ``write()``."""
