"""The coordinators' data-governance pages: the retention schedule (with the latest purge runs), the dry run of the
next purge, and the legal holds (list, place, release)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from psn.decorators import task_force_required

from . import selectors, services
from .forms import LegalHoldForm, RetentionScheduleForm

RECORD_TYPES = {
    "referrals": gettext_lazy("Closed referrals"),
    "transitions": gettext_lazy("Their transitions"),
    "notes": gettext_lazy("Their notes"),
    "attachments": gettext_lazy("Their attachments"),
    "notifications": gettext_lazy("Their notifications"),
    "consents": gettext_lazy("Consents"),
    "people": gettext_lazy("People"),
    "audit_events": gettext_lazy("Audit events"),
}
HOLDS_SHOWN = 200


@task_force_required
@require_http_methods(["GET", "POST"])
def retention(request):
    schedule = selectors.retention_schedule_for(actor=request.actor)
    initial = {name: getattr(schedule, name) for name in services.SCHEDULE_FIELDS}
    form = RetentionScheduleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.retention_schedule_update(actor=request.actor, values=form.cleaned_data, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The retention schedule was saved."))
            return redirect("governance:retention")
    runs = [
        (run, [(RECORD_TYPES[key], run.counts.get(key, 0)) for key in RECORD_TYPES])
        for run in selectors.purge_run_list_for(actor=request.actor)[: selectors.RUNS_SHOWN]
    ]
    context = {"form": form, "schedule": schedule, "runs": runs, "record_types": RECORD_TYPES.values()}
    return render(request, "governance/retention.html", context, status=400 if form.errors else 200)


@task_force_required
@require_GET
def dry_run(request):
    rows = selectors.retention_dry_run_for(actor=request.actor)
    context = {"rows": [(RECORD_TYPES[row.key], row) for row in rows]}
    return render(request, "governance/dry_run.html", context)


def _hold_page(request, form: LegalHoldForm, *, status: int = 200):
    holds = selectors.legal_hold_list_for(actor=request.actor)[:HOLDS_SHOWN]
    return render(request, "governance/holds.html", {"form": form, "holds": holds}, status=status)


@task_force_required
@require_GET
def hold_list(request):
    selectors.require_governance(request.actor)
    return _hold_page(request, LegalHoldForm())


@task_force_required
@require_POST
def hold_place(request):
    selectors.require_governance(request.actor)
    form = LegalHoldForm(request.POST)
    if form.is_valid():
        try:
            hold = services.hold_place(actor=request.actor, **form.cleaned_data, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(record)s is on legal hold.") % {"record": hold.record_label})
            return redirect("governance:hold_list")
    return _hold_page(request, form, status=400)


@task_force_required
@require_POST
def hold_release(request, pk: int):
    hold = selectors.legal_hold_get_for(actor=request.actor, pk=pk)
    try:
        services.hold_release(actor=request.actor, hold=hold, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The hold on %(record)s was released.") % {"record": hold.record_label})
    return redirect("governance:hold_list")
