"""The coordinators' CSV export of the audit trail for a period (the audit page and ``GET
/api/v1/audit-events/export/``).

The rows are the trail's own scope (``psn.selectors.audit_event_list_for``: the task force's events and the
sign-in events of its members, nothing of another task force), between two dates of the task force's calendar,
oldest first. A period is at most ``MAX_DAYS`` long, and the rows are streamed from one server-side cursor
(``.iterator``), so a busy year never sits in memory. Queries: one for the count and the last id, one for the
export's own audit event, one for the rows, whatever the number of events.

The export is itself audited ("exported", with the period and the number of rows, never the content). The rows
are those that existed when it was asked for (up to the last id counted): the export's own event and anything
written while the file streams are not in it, so the file always holds the count the audit event states.
Cells a spreadsheet would run as a formula are neutralised by ``cases.export.safe_cell``.
"""

from __future__ import annotations

import csv
import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.export import safe_cell

from . import access, audit
from .models import AuditEvent
from .selectors import audit_event_list_for

# A year and a day: a whole year (a leap one too), the shortest time the trail is kept, in one file.
MAX_DAYS = 366
DEFAULT_DAYS = 30
CHUNK_SIZE = 2000
DATE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

COLUMNS = (
    gettext_lazy("Event"),
    gettext_lazy("When"),
    gettext_lazy("Actor email"),
    gettext_lazy("Actor id"),
    gettext_lazy("Task force"),
    gettext_lazy("Action"),
    gettext_lazy("Object type"),
    gettext_lazy("Object id"),
    gettext_lazy("Object"),
    gettext_lazy("Changes"),
    gettext_lazy("IP address"),
    gettext_lazy("Path"),
    gettext_lazy("User agent"),
)
FIELDS = (
    "pk",
    "at",
    "actor_email",
    "actor_id",
    "task_force__slug",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "ip",
    "path",
    "user_agent",
)


class AuditExportForm(forms.Form):
    """The period's shape (dates); the rules on it are ``audit_export``'s. Either date may be left out: the
    period then ends today and starts ``DEFAULT_DAYS`` before its end."""

    max_days = MAX_DAYS

    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "export-%s")  # the audit page has the filter's "From" and "Until" too
        super().__init__(*args, **kwargs)

    def period(self, *, today: datetime.date) -> tuple[datetime.date, datetime.date]:
        until = self.cleaned_data.get("until") or today
        since = self.cleaned_data.get("since") or until - datetime.timedelta(days=DEFAULT_DAYS - 1)
        return since, until


@dataclass
class AuditExport:
    filename: str
    row_count: int
    lines: Iterator[str]


def period_check(*, since: datetime.date, until: datetime.date) -> None:
    """Refuse a reversed period, or one longer than ``MAX_DAYS`` (a ValidationError naming the field)."""
    if since > until:
        raise ValidationError({"until": _("The end of the period must not be before its start.")})
    if (until - since).days + 1 > MAX_DAYS:
        raise ValidationError(
            {"since": _("A period of at most %(days)d days can be exported at once.") % {"days": MAX_DAYS}}
        )


def _bounds(since: datetime.date, until: datetime.date, tz) -> tuple[datetime.datetime, datetime.datetime]:
    """The period's first instant and the instant after its last, in the task force's time zone."""
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min), tz)
    end = timezone.make_aware(datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min), tz)
    return start, end


class _Line:
    """What csv.writer writes to: each row comes back as its line."""

    def write(self, line: str) -> str:
        return line


def _cells(row: tuple, tz) -> list[str]:
    pk, at, email, actor_id, slug, action, object_type, object_id, object_repr, changes, ip, path, agent = row
    values = (
        pk,
        timezone.localtime(at, tz).strftime(DATE_TIME_FORMAT),
        email,
        actor_id,
        slug,
        action,
        object_type,
        object_id,
        object_repr,
        json.dumps(changes, ensure_ascii=False, sort_keys=True) if changes else "",
        ip,
        path,
        agent,
    )
    return [safe_cell(value) for value in values]


def _lines(rows: QuerySet, tz, header: list[str]) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(header)
    batch: list[str] = []
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        batch.append(writer.writerow(_cells(row, tz)))
        if len(batch) == CHUNK_SIZE:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def audit_export(*, actor: access.Actor, since: datetime.date, until: datetime.date, request=None) -> AuditExport:
    """The actor's audit trail from ``since`` to ``until`` (both included, the task force's dates) as CSV lines,
    for coordinators (and site admins acting in the task force). Audited once, when asked."""
    access.require(access.can_view_audit(actor), _("Only coordinators can read the audit trail."))
    period_check(since=since, until=until)
    task_force = actor.task_force
    tz = task_force.tzinfo
    start, end = _bounds(since, until, tz)
    events = audit_event_list_for(actor=actor).filter(at__gte=start, at__lt=end)
    counted = events.aggregate(rows=Count("pk"), last=Max("pk"))
    row_count, last = counted["rows"], counted["last"] or 0
    audit.record(
        action="exported",
        actor=actor.user,
        task_force=task_force,
        object_type=AuditEvent._meta.label_lower,
        object_repr=_("Audit trail (CSV)"),
        changes={
            "since": [None, since.isoformat()],
            "until": [None, until.isoformat()],
            "rows": [None, str(row_count)],
        },
        request=request,
    )
    rows = events.filter(pk__lte=last).select_related(None).order_by("at", "pk").values_list(*FIELDS)
    return AuditExport(
        filename=f"audit-{task_force.slug}-{since:%Y-%m-%d}-{until:%Y-%m-%d}.csv",
        row_count=row_count,
        lines=_lines(rows, tz, [safe_cell(column) for column in COLUMNS]),
    )


def audit_export_response(export: AuditExport) -> StreamingHttpResponse:
    """The file as the page and the API serve it: a download, never kept by a cache."""
    response = StreamingHttpResponse(export.lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def audit_export_for_query(*, actor: access.Actor, query, request=None) -> AuditExport:
    """``audit_export`` for the dates of a query string (the page's form, the API's parameters): a
    ValidationError naming the field for a date that is no date, a reversed or too long period."""
    access.require(access.can_view_audit(actor), _("Only coordinators can read the audit trail."))
    form = AuditExportForm(query)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    since, until = form.period(today=timezone.localdate(timezone=actor.task_force.tzinfo))
    return audit_export(actor=actor, since=since, until=until, request=request)
