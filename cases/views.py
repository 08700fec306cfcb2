"""The referral pages: the list (filters in the URL), filing a referral, the detail (clock, timeline, notes,
attachments) and one POST view per lifecycle move, for a note and for an attachment; the attachment download.
Every right and state check is the services' (``cases.lifecycle``, ``cases.notes``, ``cases.attachments``); the
pages only offer what ``rule_for`` and ``access`` allow now, and show a refusal next to the referral or the field
(never a 500)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from psn import access, audit
from psn.decorators import task_force_required
from psn.pagination import DeepPaginator

from . import attachments, lifecycle, notes, notifications, selectors
from .consent import has_valid_consent
from .forms import (
    AttachmentForm,
    NoteForm,
    PersonSearchForm,
    ReasonForm,
    ReferralFileForm,
    ReferralFilterForm,
    TransferForm,
)
from .lifecycle import Action
from .models import ReasonCode, Referral, Status

LIST_PAGE_SIZE = 25

# The moves offered on the page, in display order, with their button labels and success messages.
ACTIONS = {
    Action.SUBMIT: (_("Submit"), _("Referral %(reference)s was submitted.")),
    Action.ACCEPT: (_("Accept"), _("Referral %(reference)s was accepted.")),
    Action.START: (_("Start work"), _("Work on referral %(reference)s has started.")),
    Action.RECORD_CONTACT: (_("Record contact"), _("Contact with the person was recorded.")),
    Action.COMPLETE: (_("Complete"), _("Referral %(reference)s was completed.")),
    Action.DECLINE: (_("Decline"), _("Referral %(reference)s was declined.")),
    Action.CLOSE_UNSUCCESSFUL: (_("Close as unsuccessful"), _("Referral %(reference)s was closed unsuccessful.")),
    Action.WITHDRAW: (_("Withdraw"), _("Referral %(reference)s was withdrawn.")),
    Action.TRANSFER: (_("Transfer"), _("Referral %(reference)s was transferred as %(successor)s.")),
}
SERVICES = {
    Action.SUBMIT: lifecycle.referral_submit,
    Action.ACCEPT: lifecycle.referral_accept,
    Action.START: lifecycle.referral_start,
    Action.RECORD_CONTACT: lifecycle.referral_record_contact,
    Action.COMPLETE: lifecycle.referral_complete,
    Action.DECLINE: lifecycle.referral_decline,
    Action.CLOSE_UNSUCCESSFUL: lifecycle.referral_close_unsuccessful,
    Action.WITHDRAW: lifecycle.referral_withdraw,
}


def _messages_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _add_service_errors(form, error: ValidationError) -> None:
    """A service's refusal next to the field it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@task_force_required
@require_safe
def referral_list(request):
    actor = request.actor
    form = ReferralFilterForm(request.GET or None, task_force=actor.task_force)
    invalid = form.is_bound and not form.is_valid()
    # Invalid filters list nothing (no query). Not the selector's ``.none()``: building its queryset costs ~1.5 ms.
    rows = Referral.objects.none()
    if not invalid:
        arguments = form.selector_arguments() if form.is_bound else {}
        try:
            rows = selectors.referral_list_for(actor=actor, **arguments)
        except ValidationError as error:  # the selector's own checks (the form already holds them)
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            invalid = True
    page = DeepPaginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [referral for referral in page if referral.details_visible]  # the rows naming their person
    audit.record_listed(actor=actor, rows=shown, label=_("Referral list"), request=request)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": form, "page": page, "query": query.urlencode(), "can_file": access.can_file_referrals(actor)}
    return render(request, "cases/referral_list.html", context, status=400 if invalid else 200)


def _available_actions(actor, referral) -> list[str]:
    return [
        action
        for action in ACTIONS
        if lifecycle.rule_for(referral.status, action) is not None
        and access.can_act_on_referral(actor, referral, action)
    ]


def _detail_context(request, referral, *, attachment_form: AttachmentForm | None = None) -> dict:
    """What the detail page shows. Reason codes and transfer partners are read only when a move needs them (one
    query each): the page's query count does not depend on the referral's history."""
    actor = request.actor
    available = _available_actions(actor, referral)
    kinds = {lifecycle.rule_for(referral.status, a).reason_kind for a in available} - {None}
    codes: dict[str, list] = {kind: [] for kind in kinds}
    if kinds:
        for code in ReasonCode.objects.filter(task_force=actor.task_force, kind__in=kinds, active=True):
            codes[code.kind].append(code)
    partners = []
    if Action.TRANSFER in available:
        partners = list(selectors.referral_transfer_targets_for(actor=actor, referral=referral))
    forms = []
    for action in available:
        rule = lifecycle.rule_for(referral.status, action)
        forms.append(
            {
                "action": action,
                "label": ACTIONS[action][0],
                "codes": codes.get(rule.reason_kind, []),
                "asks_reason": rule.reason_kind is not None,
                "partners": partners if action == Action.TRANSFER else [],
            }
        )
    return {
        "referral": referral,
        "actions": forms,
        "can_add_note": access.can_add_note(actor, referral),
        "note_form": NoteForm(),
        "can_add_attachment": access.can_add_attachment(actor, referral),
        "attachment_form": attachment_form or AttachmentForm(),
        "successor_visible": hasattr(referral, "transferred_to")
        and access.can_view_referral(actor, referral.transferred_to),
        "predecessor_visible": referral.transferred_from is not None
        and access.can_view_referral(actor, referral.transferred_from),
    }


def _render_detail(request, referral, *, status: int = 200, attachment_form: AttachmentForm | None = None):
    context = _detail_context(request, referral, attachment_form=attachment_form)
    return render(request, "cases/referral_detail.html", context, status=status)


@task_force_required
@require_safe
def referral_detail(request, pk: int):
    referral = selectors.referral_get_for(actor=request.actor, pk=pk)
    selectors.referral_viewed(actor=request.actor, referral=referral, request=request)
    notifications.notifications_mark_read(actor=request.actor, referral=referral)
    return _render_detail(request, referral)


@task_force_required
@require_POST
def notifications_read(request):
    """The inbox's "Mark all as read"."""
    count = notifications.notifications_mark_read(actor=request.actor)
    messages.success(
        request,
        ngettext("%(count)d notification marked read.", "%(count)d notifications marked read.", count)
        % {"count": count},
    )
    return redirect("home")


def _refused(request, pk: int, errors: list[str]):
    """The page again with the refusal next to the referral (a 400, nothing changed)."""
    for message in errors:
        messages.error(request, message)
    return _render_detail(request, selectors.referral_get_for(actor=request.actor, pk=pk), status=400)


@task_force_required
@require_POST
def referral_act(request, pk: int, action: str):
    actor = request.actor
    if action not in ACTIONS:
        raise Http404
    referral = selectors.referral_get_for(actor=actor, pk=pk)
    # The right first (audited when missing), so nobody learns more from a form error than from the 403.
    access.require(
        access.can_act_on_referral(actor, referral, action),
        _("Only the referral staff and admins of the %(side)s partner can %(verb)s this referral.")
        % {
            "side": _(lifecycle.SIDE_LABELS[lifecycle.side_of(action)]),
            "verb": _(lifecycle.ACTION_VERBS[action]),
        },
    )
    rule = lifecycle.rule_for(referral.status, action)
    try:
        if action == Action.TRANSFER:
            form = TransferForm(
                request.POST, partners=selectors.referral_transfer_targets_for(actor=actor, referral=referral)
            )
            if not form.is_valid():
                return _refused(request, pk, [e for errors in form.errors.values() for e in errors])
            successor = lifecycle.referral_transfer(
                actor=actor,
                referral=referral,
                to_partner=form.cleaned_data["to_partner"],
                text=form.cleaned_data["text"],
                request=request,
            )
            messages.success(
                request,
                ACTIONS[action][1] % {"reference": referral.reference, "successor": successor.reference},
            )
            return redirect("cases:referral_detail", referral.pk)
        service = SERVICES[action]
        if rule is not None and rule.reason_kind is not None:
            codes = ReasonCode.objects.filter(task_force=actor.task_force, kind=rule.reason_kind, active=True)
            form = ReasonForm(request.POST, codes=codes)
            if not form.is_valid():
                return _refused(request, pk, [e for errors in form.errors.values() for e in errors])
            keyword = "outcome" if action == Action.COMPLETE else "reason"
            service(
                actor=actor,
                referral=referral,
                **{keyword: form.cleaned_data["reason"]},
                text=form.cleaned_data["text"],
                request=request,
            )
        elif rule is None and action in (Action.DECLINE, Action.COMPLETE, Action.CLOSE_UNSUCCESSFUL, Action.WITHDRAW):
            keyword = "outcome" if action == Action.COMPLETE else "reason"
            service(actor=actor, referral=referral, **{keyword: None}, request=request)  # refuses the state
        else:
            service(actor=actor, referral=referral, request=request)
    except ValidationError as error:
        return _refused(request, pk, _messages_of(error))
    messages.success(request, ACTIONS[action][1] % {"reference": referral.reference})
    return redirect("cases:referral_detail", referral.pk)


@task_force_required
@require_POST
def note_add(request, pk: int):
    actor = request.actor
    referral = selectors.referral_get_for(actor=actor, pk=pk)
    access.require(
        access.can_add_note(actor, referral), _("Only the members of this referral's two partners add notes to it.")
    )
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, [e for errors in form.errors.values() for e in errors])
    try:
        notes.note_add(
            actor=actor,
            referral=referral,
            body=form.cleaned_data["body"],
            visibility=form.cleaned_data["visibility"],
            request=request,
        )
    except ValidationError as error:
        return _refused(request, pk, _messages_of(error))
    messages.success(request, _("Your note was added."))
    return redirect("cases:referral_detail", referral.pk)


# --- Attachments ---------------------------------------------------------------------------------------------


@task_force_required
@require_POST
def attachment_add(request, pk: int):
    actor = request.actor
    referral = selectors.referral_get_for(actor=actor, pk=pk)
    access.require(
        access.can_add_attachment(actor, referral),
        _("Only the members of this referral's two partners attach files to it."),
    )
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = attachments.attachment_add(
                actor=actor,
                referral=referral,
                uploaded_file=form.cleaned_data["file"],
                visibility=form.cleaned_data["visibility"],
                request=request,
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, _("%(name)s was attached.") % {"name": attachment.original_name})
            return redirect(reverse("cases:referral_detail", args=[referral.pk]) + "#attachments")
    return _render_detail(request, referral, status=400, attachment_form=form)


def attachment_response(attachment, handle) -> FileResponse:
    """The download of an opened attachment (``attachments.attachment_open_for``): never shown in the browser,
    never sniffed into another type, never kept by a cache. The web page and the API serve it alike."""
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@task_force_required
@require_safe
def attachment_download(request, pk: int):
    attachment, handle = attachments.attachment_open_for(actor=request.actor, pk=pk, request=request)
    return attachment_response(attachment, handle)


# --- Filing a referral ---------------------------------------------------------------------------------------


def _filing_context(request, form: ReferralFileForm, person, *, search: PersonSearchForm | None) -> dict:
    """The filing page: the person chosen (or the search and its results), the links that keep the other choices,
    and the link to record consent when the receiving partner needs it and the person has none."""
    chosen = request.GET if request.method == "GET" else request.POST
    kept = {name: chosen.getlist(name) for name in ReferralFileForm.PREFILLED if chosen.get(name)}
    here = reverse("cases:referral_create")
    kept_query = urlencode(kept, doseq=True)
    change_url = f"{here}?{kept_query}" if kept_query else here
    results = None
    if person is None and search is not None and search.is_valid():
        results = selectors.person_search_for(actor=request.actor, q=search.cleaned_data["q"])
    receiving = getattr(form, "cleaned_data", {}).get("receiving_partner")
    consent_url = None
    if person is not None and receiving is not None and not has_valid_consent(person=person, partner=receiving):
        consent_url = reverse("people:consent_create", args=[person.pk])
    return {
        "form": form,
        "person": person,
        "search": search or PersonSearchForm(),
        "results": results,
        "choose_query": kept_query,
        "kept": [(name, value) for name, values in kept.items() for value in values],
        "change_url": change_url,
        # /people/new/ sends the new person back to ``next`` with ``person=<id>`` added.
        "new_person_url": reverse("people:person_create") + "?" + urlencode({"next": change_url}),
        "consent_url": consent_url,
    }


def _file(request, form: ReferralFileForm):
    """Create the referral and, for "Submit", send it: both or nothing."""
    data = form.cleaned_data
    with transaction.atomic():
        referral = lifecycle.referral_create(
            actor=request.actor,
            person=data["person"],
            sending_partner=data["sending_partner"],
            receiving_partner=data["receiving_partner"],
            needs=data["needs"],
            service=data["service"],
            priority=data["priority"],
            due_date=data["due_date"],
            reason=data["reason"],
            request=request,
        )
        if request.POST.get("action") == "submit":
            referral = lifecycle.referral_submit(actor=request.actor, referral=referral, request=request)
    return referral


FILED = {
    "draft": gettext_lazy("Referral %(reference)s was saved as a draft: submit it when it is ready."),
    "submit": gettext_lazy("Referral %(reference)s was submitted to %(partner)s."),
}


def _filing_post(request):
    actor = request.actor
    picked = request.session.get(access.PICKED_PEOPLE_SESSION_KEY, [])
    if request.POST.get("action") == "services":
        # "Show services": the page again with the chosen receiving partner's services offered, nothing filed.
        person = selectors.person_for_filing(actor=actor, pk=request.POST.get("person"), picked=picked)
        form = ReferralFileForm(
            actor=actor, initial={"person": person, "reason": request.POST.get("reason", "")[:4000]}, picked=picked
        )
        form.prefill(request.POST)
        return render(request, "cases/referral_form.html", _filing_context(request, form, person, search=None))
    form = ReferralFileForm(request.POST, actor=actor, picked=picked)
    if form.is_valid():
        try:
            referral = _file(request, form)
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            message = FILED["draft" if referral.status == Status.DRAFT else "submit"]
            names = {"reference": referral.reference, "partner": referral.receiving_partner.name}
            messages.success(request, message % names)
            return redirect("cases:referral_detail", referral.pk)
    person = form.cleaned_data.get("person") or selectors.person_for_filing(
        actor=actor, pk=request.POST.get("person"), picked=picked
    )
    return render(request, "cases/referral_form.html", _filing_context(request, form, person, search=None), status=400)


@task_force_required
@require_http_methods(["GET", "HEAD", "POST"])
def referral_create(request):
    """The filing page: GET shows it (``?person=``, ``?q=`` and the other fields preselect), POST files."""
    actor = request.actor
    access.require(access.can_file_referrals(actor), _("Only referral staff and partner admins file referrals."))
    if request.method == "POST":
        return _filing_post(request)
    picked = request.session.get(access.PICKED_PEOPLE_SESSION_KEY, [])
    person = selectors.person_for_filing(actor=actor, pk=request.GET.get("person"), picked=picked)
    form = ReferralFileForm(actor=actor, initial={"person": person}, picked=picked)
    form.prefill(request.GET)
    search = PersonSearchForm(request.GET) if "q" in request.GET else None
    unknown_person = "person" in request.GET and person is None
    if person is not None:  # the page shows the preselected person's record
        audit.record_viewed(actor=actor, obj=person, request=request)
    context = _filing_context(request, form, person, search=search) | {"unknown_person": unknown_person}
    invalid = unknown_person or (search is not None and not search.is_valid())
    return render(request, "cases/referral_form.html", context, status=400 if invalid else 200)
