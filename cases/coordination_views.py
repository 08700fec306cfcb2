"""The coordinators' pages of the referrals area: the CSV export of the referral list (with the list page's
filters) and the task force's reason codes (list by kind, add, edit, deactivate, reactivate).

The right is checked first (a 403, audited, before any form or filter is read: nobody learns more from a form
error than from the refusal); the services check it again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners.views import _form_page, _posted
from psn import access
from psn.decorators import task_force_required

from . import export, reasons
from .coordination_forms import ReasonCodeCreateForm, ReasonCodeEditForm
from .forms import ReferralFilterForm
from .models import ReasonKind

# --- The CSV export --------------------------------------------------------------------------------------------


@task_force_required
@require_GET
def referral_export(request):
    actor = request.actor
    access.require(access.can_export_referrals(actor), _("Only coordinators export the referral list."))
    form = ReferralFilterForm(request.GET or None, task_force=actor.task_force)
    if form.is_bound and not form.is_valid():
        return _invalid_filters(request, form)
    filters = form.selector_arguments() if form.is_bound else {}
    try:
        csv_file = export.referral_export(actor=actor, filters=filters, request=request)
    except ValidationError as error:  # the selector's own checks (the form already holds them)
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _invalid_filters(request, form)
    response = StreamingHttpResponse(csv_file.lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{csv_file.filename}"'
    return response


def _invalid_filters(request, form):
    """A 400 that names each bad filter, with the way back to the list (no file, nothing audited)."""
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "cases/coordination/export_invalid.html", {"filter": form, "query": query.urlencode()}, status=400
    )


# --- Reason codes ----------------------------------------------------------------------------------------------


def _require_manager(actor) -> None:
    access.require(access.can_manage_reason_codes(actor), _("Only coordinators manage the reason codes."))


@task_force_required
@require_GET
def reason_code_list(request):
    actor = request.actor
    _require_manager(actor)
    by_kind: dict[str, list] = {kind: [] for kind in ReasonKind.values}
    for code in reasons.reason_code_list_for(actor=actor):
        by_kind[code.kind].append(code)
    sections = [{"kind": kind, "label": label, "codes": by_kind[kind]} for kind, label in ReasonKind.choices]
    return render(request, "cases/coordination/reason_code_list.html", {"sections": sections})


@task_force_required
@require_http_methods(["GET", "POST"])
def reason_code_create(request):
    actor = request.actor
    _require_manager(actor)
    kind = request.GET.get("kind")
    form = ReasonCodeCreateForm(*_posted(request), initial={"kind": kind if kind in ReasonKind.values else None})

    def saved(form):
        code = reasons.reason_code_create(actor=actor, request=request, **form.service_arguments())
        messages.success(request, _("“%(label)s” was added.") % {"label": code.label})
        return redirect("cases:reason_code_list")

    return _form_page(request, "cases/coordination/reason_code_form.html", form, {"code": None}, saved=saved)


@task_force_required
@require_http_methods(["GET", "POST"])
def reason_code_edit(request, pk: int):
    actor = request.actor
    code = reasons.reason_code_get_for(actor=actor, pk=pk)
    _require_manager(actor)
    initial = {"label": code.label, "position": code.position, "needs_text": code.needs_text}
    form = ReasonCodeEditForm(*_posted(request), initial=initial)

    def saved(form):
        updated = reasons.reason_code_update(actor=actor, reason_code=code, request=request, **form.service_arguments())
        messages.success(request, _("“%(label)s” was saved.") % {"label": updated.label})
        return redirect("cases:reason_code_list")

    return _form_page(request, "cases/coordination/reason_code_form.html", form, {"code": code}, saved=saved)


def _status_change(request, pk: int, change, *, done: str, unchanged: str):
    actor = request.actor
    code = reasons.reason_code_get_for(actor=actor, pk=pk)
    _require_manager(actor)
    try:
        changed = change(actor=actor, reason_code=code, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, (done if changed else unchanged) % {"label": code.label})
    return redirect("cases:reason_code_list")


@task_force_required
@require_POST
def reason_code_deactivate(request, pk: int):
    return _status_change(
        request,
        pk,
        reasons.reason_code_deactivate,
        done=_("“%(label)s” is deactivated: it is no longer offered, and referrals that used it keep it."),
        unchanged=_("“%(label)s” was already inactive."),
    )


@task_force_required
@require_POST
def reason_code_reactivate(request, pk: int):
    return _status_change(
        request,
        pk,
        reasons.reason_code_reactivate,
        done=_("“%(label)s” is offered again."),
        unchanged=_("“%(label)s” was already active."),
    )
