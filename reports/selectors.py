"""Reads of report snapshots, for coordinators only (``access.reports_visible_to``): anyone else in the task force is
refused (403), and another task force's report does not exist for anyone (404, whatever their role). The numbers
are large JSON: each read loads only the version it shows, and lists load none."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from psn import access
from psn.pagination import DeepPaginator

from .models import ReportSnapshot

FULL = "full"
SHARED = "shared"
VERSIONS = (FULL, SHARED)
MONTHS_PER_PAGE = 12
# What lists and the version menu show of a snapshot: never its numbers.
_LISTED = ("numbers", "shared_numbers")


def require_reports(actor: access.Actor) -> None:
    access.require(access.can_manage_reports(actor), _("Only coordinators see the monthly reports."))


def _snapshots(actor: access.Actor) -> QuerySet[ReportSnapshot]:
    require_reports(actor)
    return access.reports_visible_to(actor)


@dataclass
class Month:
    period: datetime.date
    snapshots: list[ReportSnapshot]


def report_month_page_for(*, actor: access.Actor, page: str | int | None) -> tuple[Page, list[Month]]:
    """A page of the months that have reports, newest first, each with its versions (newest first)."""
    periods = _snapshots(actor).order_by("-period").values_list("period", flat=True).distinct()
    month_page = DeepPaginator(periods, MONTHS_PER_PAGE).get_page(page)
    shown = list(month_page.object_list)
    snapshots = (
        _snapshots(actor)
        .filter(period__in=shown)
        .defer(*_LISTED)
        .select_related("generated_by")
        .order_by("-period", "-version")
    )
    by_period: dict[datetime.date, list[ReportSnapshot]] = {period: [] for period in shown}
    for snapshot in snapshots:
        by_period[snapshot.period].append(snapshot)
    return month_page, [Month(period=period, snapshots=by_period[period]) for period in shown]


def _one(actor: access.Actor, pk: int, queryset: QuerySet[ReportSnapshot]) -> ReportSnapshot:
    """A snapshot of the actor's task force (another task force's does not exist for them: 404), then the right to
    read reports (403 inside the task force)."""
    try:
        snapshot = queryset.filter(task_force=actor.task_force).get(pk=pk)
    except ReportSnapshot.DoesNotExist as exc:
        raise Http404("No such report.") from exc
    require_reports(actor)
    return snapshot


def report_get_for(*, actor: access.Actor, pk: int, version: str = FULL) -> ReportSnapshot:
    """One snapshot with the numbers of the version asked for (the other is not loaded), or 404."""
    if version not in VERSIONS:
        raise Http404("No such version.")
    other = "shared_numbers" if version == FULL else "numbers"
    return _one(actor, pk, ReportSnapshot.objects.select_related("generated_by").defer(other))


def report_row_for(*, actor: access.Actor, pk: int) -> ReportSnapshot:
    """A snapshot without its numbers (its files, status and version: downloads, retry), or 404."""
    return _one(actor, pk, ReportSnapshot.objects.select_related("task_force").defer(*_LISTED))


def report_status_for(*, actor: access.Actor, pk: int) -> ReportSnapshot:
    """A snapshot's status and progress only (the polling of the progress bar), or 404."""
    fields = ("pk", "task_force_id", "status", "progress", "progress_label", "error")
    return _one(actor, pk, ReportSnapshot.objects.only(*fields))


def report_versions_for(*, actor: access.Actor, snapshot: ReportSnapshot) -> list[ReportSnapshot]:
    """Every version of the snapshot's month, newest first, without their numbers."""
    return list(
        _snapshots(actor)
        .filter(period=snapshot.period)
        .only("pk", "period", "version", "status", "scheduled", "created_at", "finished_at")
        .order_by("-version")
    )
