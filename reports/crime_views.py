"""Crime-count pages: the upload form (with the format's sample and every bad line of a refused file) and the list
of uploads with the counts by month. Coordinators and the police partner's referral staff and admins."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from psn import access
from psn.decorators import task_force_required

from . import crime
from .crime_forms import CrimeCountUploadForm
from .models import Offense

UPLOADS_SHOWN = 50


@task_force_required
@require_http_methods(["GET", "POST"])
def upload(request):
    actor = request.actor
    crime.require_crime_reader(actor)
    partners = crime.crime_upload_partners_for(actor)
    posted = request.method == "POST"
    form = CrimeCountUploadForm(request.POST if posted else None, request.FILES if posted else None, partners=partners)
    if posted and form.is_valid():
        try:
            made = crime.crime_counts_upload(
                actor=actor,
                partner=form.cleaned_data["partner"],
                uploaded_file=form.cleaned_data["file"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)  # {"file": [every bad line]}: shown next to the file field
        else:
            messages.success(
                request,
                _("%(rows)s counts stored for %(months)s.") % {"rows": made.rows, "months": ", ".join(made.months)},
            )
            return redirect("crime:list")
    context = {
        "form": form,
        "sample": crime.SAMPLE,
        "offenses": Offense.choices,
        "has_partners": partners.exists(),
    }
    return render(request, "reports/crime_upload.html", context, status=400 if form.errors else 200)


@task_force_required
@require_GET
def upload_list(request):
    actor = request.actor
    uploads = crime.crime_upload_list_for(actor=actor)[:UPLOADS_SHOWN]
    context = {
        "uploads": uploads,
        "table": crime.crime_count_table(actor=actor),
        "can_upload": access.can_upload_crime_counts(actor),
    }
    return render(request, "reports/crime_list.html", context)
