"""HSDS pages for coordinators: export downloads, the upload form with its dry run, and each import's
progress and line-by-line report."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psn.decorators import task_force_required

from . import selectors, services
from .forms import ImportUploadForm

RECENT_IMPORTS = 20
REPORT_ROWS_SHOWN = 500


@task_force_required
@require_http_methods(["GET", "POST"])
def index(request):
    selectors.require_importer(request.actor)
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    if request.method == "POST" and form.is_valid():
        try:
            directory_import = services.directory_import_start(
                actor=request.actor,
                uploaded_file=form.cleaned_data["file"],
                dry_run=form.cleaned_data["dry_run"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The file was received."))
            return redirect("hsds:import_detail", pk=directory_import.pk)
    imports = selectors.directory_import_list_for(actor=request.actor)[:RECENT_IMPORTS]
    return render(
        request, "partners/hsds/index.html", {"form": form, "imports": imports}, status=400 if form.errors else 200
    )


def _detail_page(request, directory_import, *, status: int = 200, errors=()):
    problems = directory_import.problems or []
    context = {
        "import": directory_import,
        "problems": problems[:REPORT_ROWS_SHOWN],
        "problems_hidden": max(0, len(problems) - REPORT_ROWS_SHOWN),
        "error_count": sum(1 for problem in problems if problem.get("severity") == "error"),
        "warning_count": sum(1 for problem in problems if problem.get("severity") == "warning"),
        "confirmable": services.directory_import_confirmable(directory_import),
        "running": directory_import.status in (services.Status.QUEUED, services.Status.RUNNING),
        "errors": errors,
    }
    return render(request, "partners/hsds/import_detail.html", context, status=status)


@task_force_required
@require_GET
def import_detail(request, pk: int):
    return _detail_page(request, selectors.directory_import_get_for(actor=request.actor, pk=pk))


@task_force_required
@require_GET
def import_status(request, pk: int):
    directory_import = selectors.directory_import_get_for(actor=request.actor, pk=pk)
    return JsonResponse(
        {
            "status": directory_import.status,
            "status_display": directory_import.get_status_display(),
            "progress": directory_import.progress,
            "stage": directory_import.stage,
            "finished": directory_import.status in (services.Status.DONE, services.Status.FAILED),
            "url": reverse("hsds:import_detail", kwargs={"pk": directory_import.pk}),
        }
    )


@task_force_required
@require_POST
def import_confirm(request, pk: int):
    try:
        directory_import = services.directory_import_confirm(actor=request.actor, import_id=pk, request=request)
    except ValidationError as exc:
        preview = selectors.directory_import_get_for(actor=request.actor, pk=pk)
        return _detail_page(request, preview, status=400, errors=exc.messages)
    messages.success(request, _("The import has started."))
    return redirect("hsds:import_detail", pk=directory_import.pk)


def _download(request, file_format: str) -> HttpResponse:
    export = services.directory_export(actor=request.actor, file_format=file_format, request=request)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@task_force_required
@require_GET
def export_json(request):
    return _download(request, "json")


@task_force_required
@require_GET
def export_zip(request):
    return _download(request, "zip")
