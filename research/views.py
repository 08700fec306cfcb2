"""Research pages: grants (coordinators: list, grant, revoke), extracts (coordinators: list, request, follow the
build; the research partner's members: their partner's extracts while the grant runs), the progress JSON the bar
polls, and the download (audited)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from psn import jobs
from psn.decorators import task_force_required
from psn.pagination import DeepPaginator

from . import selectors, services
from .access import can_download_extract, can_manage_research, today_of
from .forms import ExtractForm, GrantForm
from .models import ExtractStatus, ResearchExtract

PER_PAGE = 25


def _grant_page(request, form: GrantForm, *, status: int = 200):
    grants = DeepPaginator(selectors.grant_list_for(actor=request.actor), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "research/grant_list.html", {"form": form, "page": grants}, status=status)


@task_force_required
@require_GET
def grant_list(request):
    selectors.require_manager(request.actor)
    return _grant_page(request, GrantForm(task_force=request.actor.task_force))


@task_force_required
@require_POST
def grant_create(request):
    selectors.require_manager(request.actor)
    form = GrantForm(request.POST, task_force=request.actor.task_force)
    if form.is_valid():
        try:
            services.grant_create(actor=request.actor, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The research partner was granted access."))
            return redirect("research:grant_list")
    return _grant_page(request, form, status=400)


@task_force_required
@require_POST
def grant_revoke(request, pk: int):
    grant = selectors.grant_get_for(actor=request.actor, pk=pk)
    try:
        services.grant_revoke(actor=request.actor, grant=grant, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The grant was revoked: its extracts can no longer be downloaded."))
    return redirect("research:grant_list")


def _extract_form(request, data=None) -> ExtractForm | None:
    if not can_manage_research(request.actor):
        return None
    grants = selectors.active_grants_for(actor=request.actor, today=today_of(request.actor))
    return ExtractForm(data, grants=grants)


def _extract_page(request, form: ExtractForm | None, *, status: int = 200):
    extracts = DeepPaginator(selectors.extract_list_for(actor=request.actor), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "research/extract_list.html", {"form": form, "page": extracts}, status=status)


@task_force_required
@require_GET
def extract_list(request):
    selectors.require_extract_reader(request.actor)
    return _extract_page(request, _extract_form(request))


@task_force_required
@require_POST
def extract_create(request):
    selectors.require_manager(request.actor)
    form = _extract_form(request, request.POST)
    if form.is_valid():
        try:
            extract = services.extract_request(actor=request.actor, request=request, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The extract was queued. This page shows its progress."))
            return redirect("research:extract_detail", pk=extract.pk)
    return _extract_page(request, form, status=400)


def progress_label(extract: ResearchExtract) -> str:
    steps = {
        "": _("Waiting for a worker"),
        "starting": _("Starting"),
        "people": _("Checking k-anonymity"),
        "referrals": _("Writing referrals"),
        "transitions": _("Writing transitions"),
        "needs": _("Writing needs"),
        "outcomes": _("Writing outcomes"),
        "meetings": _("Writing meetings"),
        "attendance": _("Writing attendance"),
        "crime_counts": _("Writing crime counts"),
        "dictionary": _("Writing the data dictionary"),
    }
    if not extract.is_running:
        return extract.get_status_display()
    return steps.get(extract.progress_label, extract.progress_label)


@task_force_required
@require_GET
def extract_detail(request, pk: int):
    extract = selectors.extract_get_for(actor=request.actor, pk=pk)
    context = {
        "extract": extract,
        "grant": extract.grant,
        "progress_label": progress_label(extract),
        "downloadable": can_download_extract(request.actor, extract),
        "refused": extract.status == ExtractStatus.REFUSED,
    }
    return render(request, "research/extract_detail.html", context)


@task_force_required
@require_GET
def extract_progress(request, pk: int):
    extract = selectors.extract_get_for(actor=request.actor, pk=pk)
    return JsonResponse(
        jobs.progress_payload(
            extract, label=progress_label(extract), url=reverse("research:extract_detail", args=[extract.pk])
        )
    )


@task_force_required
@require_GET
def extract_download(request, pk: int):
    """The zip through this check (no public URL), audited as an export."""
    extract = selectors.extract_get_for(actor=request.actor, pk=pk)
    opened = services.extract_file_open(actor=request.actor, extract=extract, request=request)
    response = FileResponse(opened.handle, as_attachment=True, filename=opened.filename, content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
