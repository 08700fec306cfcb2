"""The pages of a records request (coordinators).

- /people/records-request/: find the person (cases/records_request.py). The name and date of birth are POSTed, so
  that they never sit in a URL (browser history, server and proxy logs); GET shows the empty form.
- /people/<id>/record/: GET says what the zip holds and lists the person's latest exports; its form POSTs (with its
  CSRF token) to queue a new export, built by the worker, and goes to the export's page.
- /people/record-exports/<id>/: the export's progress (the bar polls .../progress/, JSON), then its download: a POST,
  so that another site cannot make a coordinator's browser download a record, and write an "exported" event, with a
  link or an image.
"""

from __future__ import annotations

from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psn import access, audit, jobs
from psn.decorators import task_force_required

from . import person_record, records_request
from .models import PersonRecordJob, PersonRecordJobStatus
from .people_forms import RecordsRequestLookupForm


def record_response(download: person_record.PersonRecordDownload) -> FileResponse:
    """The zip as a download that no cache keeps (the page's and the API's answer)."""
    response = FileResponse(
        download.handle, as_attachment=True, filename=download.filename, content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def progress_label(job: PersonRecordJob) -> str:
    """What the bar says: the build's step while it runs, else the status."""
    steps = {
        "": _("Waiting for a worker"),
        "starting": _("Starting"),
        "reading": _("Reading the record"),
        "files": _("Adding the attachments and consent forms"),
        "json": _("Writing record.json"),
        "pdf": _("Laying out record.pdf (the longest step)"),
        "zip": _("Packing the zip"),
    }
    if job.status in (PersonRecordJobStatus.QUEUED, PersonRecordJobStatus.RUNNING):
        return steps.get(job.progress_label, job.progress_label)
    return job.get_status_display()


def counts_shown(job: PersonRecordJob) -> list[tuple[str, int]]:
    """What the export holds, named for people, in a fixed order."""
    labels = {
        "referrals": _("Referrals"),
        "transitions": _("Status changes"),
        "notes": _("Notes"),
        "attachments": _("Attachments"),
        "notifications": _("Notifications"),
        "consents": _("Consents"),
        "merged_records": _("Records merged into this one"),
        "audit_events": _("Audit events"),
        "files": _("Files in the zip"),
    }
    return [(label, job.counts[name]) for name, label in labels.items() if name in job.counts]


def _job_context(job: PersonRecordJob, **extra) -> dict:
    running = job.status in (PersonRecordJobStatus.QUEUED, PersonRecordJobStatus.RUNNING)
    return {
        "job": job,
        "person": job.person,
        "running": running,
        "progress_label": progress_label(job),
        "counts": counts_shown(job),
        **extra,
    }


@task_force_required
@require_http_methods(["GET", "POST"])
def person_record_page(request, pk: int):
    actor = request.actor
    person = person_record.person_record_person_get_for(actor=actor, pk=pk)
    if request.method == "POST":
        job = person_record.person_record_request(actor=actor, person=person, request=request)
        return redirect("people:record_job", pk=job.pk)
    audit.record_viewed(actor=actor, obj=person, request=request)  # the page names the person
    exports = person_record.person_record_jobs_of(actor=actor, person=person)
    return render(request, "people/person_record.html", {"person": person, "exports": exports})


@task_force_required
@require_GET
def record_job_page(request, pk: int):
    job = person_record.person_record_job_get_for(actor=request.actor, pk=pk)
    audit.record_viewed(actor=request.actor, obj=job.person, request=request)  # the page names the person
    return render(request, "people/record_job.html", _job_context(job))


@task_force_required
@require_GET
def record_job_progress(request, pk: int):
    job = person_record.person_record_job_get_for(actor=request.actor, pk=pk)
    return JsonResponse(
        jobs.progress_payload(job, label=progress_label(job), url=reverse("people:record_job", args=[job.pk]))
    )


@task_force_required
@require_POST
def record_job_download(request, pk: int):
    job = person_record.person_record_job_get_for(actor=request.actor, pk=pk)
    try:
        download = person_record.person_record_download(actor=request.actor, job=job, request=request)
    except person_record.RecordNotReady as not_ready:
        context = _job_context(job, not_ready=str(not_ready))
        return render(request, "people/record_job.html", context, status=409)
    return record_response(download)


@task_force_required
@require_http_methods(["GET", "POST"])
def records_request_lookup_page(request):
    actor = request.actor
    access.require(access.can_export_person_record(actor), _(person_record.EXPORT_DENIED))
    form = RecordsRequestLookupForm(request.POST if request.method == "POST" else None)
    matches = None
    if form.is_bound and form.is_valid():
        matches = records_request.records_request_lookup(actor=actor, request=request, **form.cleaned_data)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "people/records_request.html", {"form": form, "matches": matches}, status=status)
