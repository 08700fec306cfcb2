"""The coordinators' report pages: the months with their versions and the "Generate" form, a report (its numbers,
charts and definitions; the shared version as others see it; the progress bar while it is built; the error and a
Retry button when it failed), the progress JSON the bar polls, and the CSV and PDF downloads of a stored snapshot.
The glossary of definitions is open to every member."""

from __future__ import annotations

import datetime
import zoneinfo

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from psn import access, jobs
from psn.decorators import task_force_required

from . import metrics, rendering, selectors, services
from .models import ReportSnapshot, ReportStatus

# A done snapshot never changes: its charts are drawn once per version and language, then kept a day.
DOCUMENT_CACHE_SECONDS = 24 * 60 * 60


class ReportRequestForm(forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        max_length=7,
        help_text=gettext_lazy("Year and month, as YYYY-MM."),
        widget=forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}", "placeholder": "YYYY-MM"}),
    )

    def clean_month(self) -> datetime.date:
        try:
            return metrics.month_of(self.cleaned_data["month"])
        except ValueError:
            raise ValidationError(_("Enter a month as YYYY-MM, such as 2026-10.")) from None


def _last_month(actor) -> str:
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(actor.task_force.timezone))
    return f"{(today.replace(day=1) - datetime.timedelta(days=1)):%Y-%m}"


def _list_page(request, form: ReportRequestForm, *, status: int = 200):
    month_page, months = selectors.report_month_page_for(actor=request.actor, page=request.GET.get("page"))
    context = {"form": form, "page": month_page, "months": months}
    return render(request, "reports/report_list.html", context, status=status)


@task_force_required
@require_GET
def report_list(request):
    return _list_page(request, ReportRequestForm(initial={"month": _last_month(request.actor)}))


@task_force_required
@require_POST
def report_generate(request):
    selectors.require_reports(request.actor)
    form = ReportRequestForm(request.POST)
    if form.is_valid():
        try:
            snapshot = services.report_request(actor=request.actor, month=form.cleaned_data["month"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The report was queued. This page shows its progress."))
            return redirect("reports:report_detail", pk=snapshot.pk)
    return _list_page(request, form, status=400)


def _document(snapshot: ReportSnapshot, version: str) -> rendering.Document:
    numbers = snapshot.shared_numbers if version == selectors.SHARED else snapshot.numbers
    key = f"reports:document:{snapshot.pk}:{version}:{get_language()}"
    return cache.get_or_set(key, lambda: rendering.report_document(numbers), DOCUMENT_CACHE_SECONDS)


@task_force_required
@require_GET
def report_detail(request, pk: int):
    version = request.GET.get("version", selectors.FULL)
    snapshot = selectors.report_get_for(actor=request.actor, pk=pk, version=version)
    context = {
        "snapshot": snapshot,
        "version": version,
        "shared": version == selectors.SHARED,
        "month_name": rendering.month_name(f"{snapshot.period:%Y-%m}"),
        "versions": selectors.report_versions_for(actor=request.actor, snapshot=snapshot),
        "running": snapshot.status in (ReportStatus.QUEUED, ReportStatus.RUNNING),
        "progress_label": progress_label(snapshot),
        "document": _document(snapshot, version) if snapshot.is_done else None,
        "downloads": _downloads(snapshot) if snapshot.is_done else [],
    }
    return render(request, "reports/report_detail.html", context)


def _downloads(snapshot: ReportSnapshot) -> list[dict]:
    names = {selectors.FULL: _("Full version"), selectors.SHARED: _("Shared version (small numbers suppressed)")}
    return [
        {
            "version": version,
            "name": names[version],
            "files": [
                (fmt.upper(), f"{reverse('reports:report_download', args=[snapshot.pk, fmt])}?version={version}")
                for fmt in ("csv", "pdf")
                if getattr(snapshot, f"{'shared_' if version == selectors.SHARED else ''}{fmt}_file")
            ],
        }
        for version in selectors.VERSIONS
    ]


def progress_label(snapshot: ReportSnapshot) -> str:
    """The build's step in words (the service records a short code)."""
    steps = {
        "": _("Waiting for a worker"),
        "starting": _("Starting"),
        "referrals": _("Counting referrals"),
        "acknowledgement": _("Counting acknowledgements"),
        "timing": _("Measuring times"),
        "outcomes": _("Counting outcomes"),
        "open": _("Counting open referrals"),
        "people": _("Counting people served"),
        "meetings": _("Counting meetings"),
        "crime": _("Reading crime counts"),
        "comparison": _("Comparing with other months"),
        "trend": _("Drawing up the 12-month trends"),
        "files": _("Writing the CSV and PDF files"),
        "saving": _("Saving"),
        "done": _("Done"),
    }
    if snapshot.status == ReportStatus.FAILED:
        return _("Failed")
    if snapshot.status == ReportStatus.DONE:
        return steps["done"]
    return steps.get(snapshot.progress_label, snapshot.progress_label)


@task_force_required
@require_GET
def report_progress(request, pk: int):
    snapshot = selectors.report_status_for(actor=request.actor, pk=pk)
    return JsonResponse(
        jobs.progress_payload(
            snapshot, label=progress_label(snapshot), url=reverse("reports:report_detail", args=[snapshot.pk])
        )
    )


@task_force_required
@require_POST
def report_retry(request, pk: int):
    snapshot = selectors.report_row_for(actor=request.actor, pk=pk)
    try:
        services.report_retry(actor=request.actor, snapshot=snapshot, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The report was queued again."))
    return redirect("reports:report_detail", pk=snapshot.pk)


@task_force_required
@require_GET
def report_download(request, pk: int, fmt: str):
    """A stored file of a done snapshot, through this check (there is no public URL), audited as an export."""
    snapshot = selectors.report_row_for(actor=request.actor, pk=pk)
    opened = services.report_file_open(
        actor=request.actor,
        snapshot=snapshot,
        file_format=fmt,
        version=request.GET.get("version", selectors.FULL),
        request=request,
    )
    if opened is None:
        raise Http404("No such file.")
    response = FileResponse(
        opened.handle, as_attachment=True, filename=opened.filename, content_type=opened.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@task_force_required
@require_GET
def glossary(request):
    context = {"definitions": rendering.definitions(), "may_see_reports": access.can_manage_reports(request.actor)}
    return render(request, "reports/glossary.html", context)
