"""The page of a person's record for a records request (/people/<id>/record/, coordinators): GET says what the zip
holds; the form on it POSTs (with its CSRF token) and gets the zip. A download is a POST so that another site cannot
make a coordinator's browser export a record, and write an "exported" event, with a link or an image."""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from psn import audit
from psn.decorators import task_force_required

from . import person_record


def record_response(export: person_record.PersonRecordExport) -> FileResponse:
    """The zip as a download that no cache keeps (the page's and the API's answer)."""
    response = FileResponse(export.handle, as_attachment=True, filename=export.filename, content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@task_force_required
@require_http_methods(["GET", "POST"])
def person_record_page(request, pk: int):
    actor = request.actor
    person = person_record.person_record_person_get_for(actor=actor, pk=pk)
    if request.method == "POST":
        return record_response(person_record.person_record_export(actor=actor, person=person, request=request))
    audit.record_viewed(actor=actor, obj=person, request=request)  # the page names the person
    return render(request, "people/person_record.html", {"person": person})
