"""The coordinators' CSV export of the referral list: the list page's filters, every matching row, streamed.

The rows come from ``cases.selectors.referral_list_for`` (the same scope, filters, ordering and row privacy as the
page: a person's name only where the actor sees the referral's details, else an empty cell). They are read with
one server-side cursor (``.iterator``) and written as they come, so 100,000 rows never sit in memory; the needs
travel in the same query (one aggregated subquery per row) instead of a prefetch per chunk, so the number of
queries does not grow with the rows: one count (for the audit event), the audit event, the rows.

The file opens in Excel as it is: UTF-8 with a byte-order mark, CRLF line ends, dates in the task force's time
zone. A cell that a spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return: OWASP "CSV injection") is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Aggregate, CharField, OuterRef, QuerySet, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from psn import access, audit

from . import selectors
from .models import Priority, Referral, Status

CHUNK_SIZE = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Between two need names inside the query: a character no name is typed with, so the names split back safely.
NAME_SEPARATOR = "\x1f"
NEEDS_JOINER = "; "
DATE_TIME_FORMAT = "%Y-%m-%d %H:%M"

COLUMNS = (
    gettext_lazy("Reference"),
    gettext_lazy("Status"),
    gettext_lazy("Priority"),
    gettext_lazy("Sending partner"),
    gettext_lazy("Receiving partner"),
    gettext_lazy("Service"),
    gettext_lazy("Needs"),
    gettext_lazy("Person"),
    gettext_lazy("Created"),
    gettext_lazy("Submitted"),
    gettext_lazy("Acknowledged"),
    gettext_lazy("First contact"),
    gettext_lazy("Closed"),
    gettext_lazy("Due date"),
    gettext_lazy("Overdue"),
    gettext_lazy("Outcome or reason code"),
    gettext_lazy("Outcome or reason"),
)


class _Concatenated(Aggregate):
    """The group's text values in one string, in no particular order (GROUP_CONCAT on SQLite, STRING_AGG on
    PostgreSQL; Django 5.2 has no portable one)."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def __init__(self, expression, separator: str, **extra):
        super().__init__(expression, Value(separator), **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra_context)


def _need_names() -> Subquery:
    through = Referral.needs.through
    names = (
        through.objects.filter(referral_id=OuterRef("pk"))
        .order_by()
        .values("referral_id")
        .annotate(names=_Concatenated("taxonomyterm__name", NAME_SEPARATOR))
        .values("names")
    )
    return Subquery(names, output_field=CharField())


@dataclass(frozen=True)
class _Words:
    """The translated words of the file, read while the request's language is active (the lines are written
    later, as the response streams)."""

    header: list[str]
    statuses: dict[str, str]
    priorities: dict[str, str]
    yes: str
    no: str

    @classmethod
    def now(cls) -> _Words:
        return cls(
            header=[safe_cell(column) for column in COLUMNS],
            statuses={value: str(label) for value, label in Status.choices},
            priorities={value: str(label) for value, label in Priority.choices},
            yes=_("yes"),
            no=_("no"),
        )


@dataclass
class ReferralExport:
    filename: str
    row_count: int
    lines: Iterator[str]


def safe_cell(value) -> str:
    """The text of a cell, with an apostrophe before what a spreadsheet would run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _local(moment: datetime.datetime | None, tz) -> str:
    return timezone.localtime(moment, tz).strftime(DATE_TIME_FORMAT) if moment is not None else ""


def _needs(names: str | None) -> str:
    return NEEDS_JOINER.join(sorted(names.split(NAME_SEPARATOR), key=str.casefold)) if names else ""


def _cells(referral: Referral, tz, words: _Words) -> list[str]:
    reason = referral.close_reason
    return [
        safe_cell(value)
        for value in (
            referral.reference,
            words.statuses.get(referral.status, referral.status),
            words.priorities.get(referral.priority, referral.priority),
            referral.sending_partner.name,
            referral.receiving_partner.name,
            referral.service.name if referral.service is not None else "",
            _needs(referral.need_names),
            referral.person_name,  # empty where the actor sees metadata only (the selector's row privacy)
            _local(referral.created_at, tz),
            _local(referral.submitted_at, tz),
            _local(referral.acknowledged_at, tz),
            _local(referral.first_contact_at, tz),
            _local(referral.closed_at, tz),
            referral.due_date.isoformat() if referral.due_date else "",
            words.yes if referral.is_overdue else words.no,
            reason.code if reason is not None else "",
            reason.label if reason is not None else "",
        )
    ]


class _Line:
    """What csv.writer writes to: each row comes back as its line."""

    def write(self, line: str) -> str:
        return line


def _lines(rows: QuerySet[Referral], tz, words: _Words) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(words.header)
    batch: list[str] = []
    for referral in rows.iterator(chunk_size=CHUNK_SIZE):
        batch.append(writer.writerow(_cells(referral, tz, words)))
        if len(batch) == CHUNK_SIZE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def _audited_filters(filters: dict) -> dict[str, list]:
    return {
        name: [None, str(getattr(value, "pk", value))] for name, value in filters.items() if value not in (None, "")
    }


def referral_export(*, actor: access.Actor, filters: dict, request=None) -> ReferralExport:
    """The filtered referral list of the actor's task force as CSV lines (coordinators only). ``filters`` are
    ``referral_list_for``'s keyword arguments (its ``ValidationError`` for a bad one comes through unchanged).
    Audited once, when asked, with the filters and the number of rows."""
    access.require(access.can_export_referrals(actor), _("Only coordinators export the referral list."))
    rows = (
        selectors.referral_list_for(actor=actor, **filters)
        .prefetch_related(None)  # the needs come in the rows' own query (see the module's docstring)
        .select_related("close_reason")
        .annotate(need_names=_need_names())
    )
    row_count = rows.count()
    task_force = actor.task_force
    audit.record(
        action="exported",
        actor=actor.user,
        task_force=task_force,
        object_type=Referral._meta.label_lower,
        object_repr=_("Referral list (CSV)"),
        changes={**_audited_filters(filters), "rows": [None, str(row_count)]},
        request=request,
    )
    today = timezone.localdate(timezone=task_force.tzinfo)
    return ReferralExport(
        filename=f"referrals-{task_force.slug}-{today:%Y-%m-%d}.csv",
        row_count=row_count,
        lines=_lines(rows, task_force.tzinfo, _Words.now()),
    )
