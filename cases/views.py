"""The referral pages: the list (filters in the URL), the detail (clock, timeline, notes) and one POST view per
lifecycle move and for a note. Every right and state check is the services' (``cases.lifecycle``,
``cases.notes``); the pages only offer what ``rule_for`` and ``access.can_act_on_referral`` allow now, and show a
refusal as a message next to the referral (never a 500)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partners.models import Partner
from psn import access, audit
from psn.decorators import task_force_required

from . import lifecycle, notes, selectors
from .forms import NoteForm, ReasonForm, ReferralFilterForm, TransferForm
from .lifecycle import Action
from .models import ReasonCode

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


@task_force_required
def referral_list(request):
    actor = request.actor
    form = ReferralFilterForm(request.GET or None, task_force=actor.task_force)
    invalid = form.is_bound and not form.is_valid()
    rows = selectors.referral_list_for(actor=actor).none()
    if not invalid:
        arguments = form.selector_arguments() if form.is_bound else {}
        try:
            rows = selectors.referral_list_for(actor=actor, **arguments)
        except ValidationError as error:  # the selector's own checks (the form already holds them)
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            invalid = True
    page = Paginator(rows, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filter": form, "page": page, "query": query.urlencode()}
    return render(request, "cases/referral_list.html", context, status=400 if invalid else 200)


def _available_actions(actor, referral) -> list[str]:
    return [
        action
        for action in ACTIONS
        if lifecycle.rule_for(referral.status, action) is not None
        and access.can_act_on_referral(actor, referral, action)
    ]


def _detail_context(request, referral) -> dict:
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
        partners = list(_transfer_partners(actor, referral))
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
        "successor_visible": hasattr(referral, "transferred_to")
        and access.can_view_referral(actor, referral.transferred_to),
        "predecessor_visible": referral.transferred_from is not None
        and access.can_view_referral(actor, referral.transferred_from),
    }


def _transfer_partners(actor, referral):
    return (
        Partner.objects.filter(task_force=actor.task_force, active=True)
        .exclude(pk__in=[referral.sending_partner_id, referral.receiving_partner_id])
        .order_by("name")
    )


def _render_detail(request, referral, *, status: int = 200):
    return render(request, "cases/referral_detail.html", _detail_context(request, referral), status=status)


@task_force_required
def referral_detail(request, pk: int):
    referral = selectors.referral_get_for(actor=request.actor, pk=pk)
    if referral.details_visible:
        audit.record(
            action="viewed", actor=request.user, task_force=request.actor.task_force, obj=referral, request=request
        )
    return _render_detail(request, referral)


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
            form = TransferForm(request.POST, partners=_transfer_partners(actor, referral))
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
