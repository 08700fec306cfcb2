"""The referral lifecycle (DESIGN.md "Referrals", after HL7 FHIR Task) as one state machine.

``TRANSITIONS`` is the whole table: from status and action to the next status, the side that may act and the
kind of coded reason the action asks for. One service per action; each locks the referral row, checks the actor's
right (``psn.access.can_act_on_referral``) and the current state, records a ``Transition``, sets the clock fields,
writes the audit event and notifies the other side once the transaction commits. A refusal changes nothing.

Choices the table makes beyond DESIGN.md: an accepted referral may be closed unsuccessful before work starts
(the person could not be reached); ``record_contact`` is in the table as a move that keeps the status, so the same
checks apply to it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from partners.models import Partner, Service, TaskForce, TaxonomyTerm
from psn import access, audit

from . import notifications, sla
from .consent import has_valid_consent
from .models import (
    OPEN_STATUSES,
    Person,
    Priority,
    ReasonCode,
    ReasonKind,
    Referral,
    Status,
    Transition,
)

SENDING = "sending"
RECEIVING = "receiving"
SIDE_LABELS = {SENDING: gettext_noop("sending"), RECEIVING: gettext_noop("receiving")}


class Action:
    CREATE = "create"
    SUBMIT = "submit"
    ACCEPT = "accept"
    DECLINE = "decline"
    START = "start"
    COMPLETE = "complete"
    CLOSE_UNSUCCESSFUL = "close_unsuccessful"
    WITHDRAW = "withdraw"
    TRANSFER = "transfer"
    RECORD_CONTACT = "record_contact"


@dataclass(frozen=True)
class Rule:
    to_status: str
    side: str
    reason_kind: str | None = None


S = Status
TRANSITIONS: dict[tuple[str, str], Rule] = {
    (S.DRAFT, Action.SUBMIT): Rule(S.SUBMITTED, SENDING),
    (S.SUBMITTED, Action.ACCEPT): Rule(S.ACCEPTED, RECEIVING),
    (S.SUBMITTED, Action.DECLINE): Rule(S.DECLINED, RECEIVING, ReasonKind.DECLINE),
    (S.ACCEPTED, Action.START): Rule(S.IN_PROGRESS, RECEIVING),
    (S.IN_PROGRESS, Action.COMPLETE): Rule(S.COMPLETED, RECEIVING, ReasonKind.OUTCOME),
    (S.ACCEPTED, Action.CLOSE_UNSUCCESSFUL): Rule(S.CLOSED_UNSUCCESSFUL, RECEIVING, ReasonKind.UNSUCCESSFUL),
    (S.IN_PROGRESS, Action.CLOSE_UNSUCCESSFUL): Rule(S.CLOSED_UNSUCCESSFUL, RECEIVING, ReasonKind.UNSUCCESSFUL),
    (S.DRAFT, Action.WITHDRAW): Rule(S.WITHDRAWN, SENDING, ReasonKind.WITHDRAW),
    (S.SUBMITTED, Action.WITHDRAW): Rule(S.WITHDRAWN, SENDING, ReasonKind.WITHDRAW),
    (S.ACCEPTED, Action.WITHDRAW): Rule(S.WITHDRAWN, SENDING, ReasonKind.WITHDRAW),
    (S.IN_PROGRESS, Action.WITHDRAW): Rule(S.WITHDRAWN, SENDING, ReasonKind.WITHDRAW),
    (S.SUBMITTED, Action.TRANSFER): Rule(S.TRANSFERRED, RECEIVING),
    (S.ACCEPTED, Action.TRANSFER): Rule(S.TRANSFERRED, RECEIVING),
    (S.IN_PROGRESS, Action.TRANSFER): Rule(S.TRANSFERRED, RECEIVING),
    (S.ACCEPTED, Action.RECORD_CONTACT): Rule(S.ACCEPTED, RECEIVING),
    (S.IN_PROGRESS, Action.RECORD_CONTACT): Rule(S.IN_PROGRESS, RECEIVING),
}
SIDES = {action: rule.side for (_status, action), rule in TRANSITIONS.items()} | {Action.CREATE: SENDING}
ACTION_VERBS = {
    Action.SUBMIT: gettext_noop("submit"),
    Action.ACCEPT: gettext_noop("accept"),
    Action.DECLINE: gettext_noop("decline"),
    Action.START: gettext_noop("start"),
    Action.COMPLETE: gettext_noop("complete"),
    Action.CLOSE_UNSUCCESSFUL: gettext_noop("close as unsuccessful"),
    Action.WITHDRAW: gettext_noop("withdraw"),
    Action.TRANSFER: gettext_noop("transfer"),
    Action.RECORD_CONTACT: gettext_noop("record contact on"),
}
# What the other side reads (in-app and by email) after each move; never the person's name.
MESSAGES = {
    S.SUBMITTED: gettext_noop("Referral %(reference)s from %(sending)s was submitted to %(receiving)s."),
    S.ACCEPTED: gettext_noop("Referral %(reference)s was accepted by %(receiving)s."),
    S.DECLINED: gettext_noop("Referral %(reference)s was declined by %(receiving)s."),
    S.IN_PROGRESS: gettext_noop("%(receiving)s started work on referral %(reference)s."),
    S.COMPLETED: gettext_noop("Referral %(reference)s was completed by %(receiving)s."),
    S.CLOSED_UNSUCCESSFUL: gettext_noop("Referral %(reference)s was closed unsuccessful by %(receiving)s."),
    S.WITHDRAWN: gettext_noop("Referral %(reference)s was withdrawn by %(sending)s."),
    S.TRANSFERRED: gettext_noop("Referral %(reference)s was transferred by %(receiving)s to another partner."),
}
REFERENCE_PATTERN = re.compile(r"^R-(\d{4})-(\d{6})$")


def side_of(action: str) -> str:
    return SIDES[action]


def rule_for(status: str, action: str) -> Rule | None:
    return TRANSITIONS.get((status, action))


# --- Helpers ---------------------------------------------------------------------------------------------------


def state_refusal(referral: Referral, action: str) -> ValidationError:
    status = Status(referral.status)
    targets = {rule.to_status for (_s, a), rule in TRANSITIONS.items() if a == action}
    if status in targets and action != Action.RECORD_CONTACT:
        return ValidationError(
            _("Referral %(reference)s is already %(status)s.")
            % {"reference": referral.reference, "status": status.label.lower()}
        )
    return ValidationError(
        _("Referral %(reference)s is %(status)s: you cannot %(verb)s it.")
        % {"reference": referral.reference, "status": status.label.lower(), "verb": _(ACTION_VERBS[action])}
    )


def _locked(referral: Referral) -> Referral:
    """The referral re-read under a row lock: every check below sees the committed state, not a stale copy."""
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("task_force", "sending_partner", "receiving_partner")
        .get(pk=referral.pk)
    )


def _side_partner(referral: Referral, side: str) -> Partner:
    return referral.sending_partner if side == SENDING else referral.receiving_partner


def _check_consent(*, person: Person, partner: Partner) -> None:
    if not has_valid_consent(person=person, partner=partner):
        raise ValidationError(
            _("%(person)s has no recorded consent to share with %(partner)s.")
            % {"person": person.full_name, "partner": partner.name}
        )


def _check_reason(*, task_force_id: int, kind: str | None, reason: ReasonCode | None, text: str) -> None:
    if kind is None:
        return
    if reason is None:
        raise ValidationError(
            {"reason": _("Choose a reason.") if kind != ReasonKind.OUTCOME else _("Choose an outcome.")}
        )
    if reason.task_force_id != task_force_id or reason.kind != kind or not reason.active:
        raise ValidationError({"reason": _("Choose one of the reasons offered.")})
    if reason.needs_text and not (text or "").strip():
        raise ValidationError({"reason_text": _("Explain “%(reason)s” in a few words.") % {"reason": reason.label}})


def _message(referral: Referral, status: str) -> str:
    return _(MESSAGES[status]) % {
        "reference": referral.reference,
        "sending": referral.sending_partner.name,
        "receiving": referral.receiving_partner.name,
    }


def _record(
    *,
    referral: Referral,
    actor: access.Actor,
    actor_partner: Partner,
    from_status: str,
    to_status: str,
    reason: ReasonCode | None = None,
    text: str = "",
    at: datetime.datetime,
    request=None,
) -> Transition:
    transition = Transition(
        task_force_id=referral.task_force_id,
        referral=referral,
        actor=actor.user,
        actor_partner=actor_partner,
        at=at,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        reason_text=(text or "").strip(),
    )
    transition.full_clean()
    transition.save()
    changes = {"status": [from_status or None, to_status]}
    if reason is not None:
        changes["reason"] = [None, reason.code]
    audit.record(
        action="created" if not from_status else "changed",
        actor=actor.user,
        task_force=referral.task_force,
        obj=referral,
        changes=changes,
        request=request,
    )
    return transition


def _notify_side(*, referral: Referral, side: str, status: str) -> None:
    """Tell the partner on ``side`` (its referral staff and partner admins) that the referral moved."""
    partner = _side_partner(referral, side)
    notifications.notify(
        referral=referral,
        kind=status,
        recipients=notifications.staff_of(partner.pk),
        message=_message(referral, status),
    )


def _other(side: str) -> str:
    return RECEIVING if side == SENDING else SENDING


def _move(
    *,
    actor: access.Actor,
    referral: Referral,
    action: str,
    reason: ReasonCode | None = None,
    text: str = "",
    request=None,
) -> Referral:
    """The common path of every status change: lock, right, state, reason, transition, clock, audit, notice."""
    with transaction.atomic():
        referral = _locked(referral)
        access.require(
            access.can_act_on_referral(actor, referral, action),
            _("Only the referral staff and admins of the %(side)s partner can %(verb)s this referral.")
            % {"side": _(SIDE_LABELS[side_of(action)]), "verb": _(ACTION_VERBS[action])},
        )
        rule = rule_for(referral.status, action)
        if rule is None:
            raise state_refusal(referral, action)
        _check_reason(task_force_id=referral.task_force_id, kind=rule.reason_kind, reason=reason, text=text)
        if action == Action.SUBMIT:
            _check_consent(person=referral.person, partner=referral.receiving_partner)
        now = timezone.now()
        from_status = referral.status
        referral.status = rule.to_status
        if action == Action.SUBMIT:
            referral.submitted_at = now
            referral.acknowledge_by = sla.acknowledge_deadline(referral.task_force, now)
        if action in (Action.ACCEPT, Action.DECLINE):
            referral.acknowledged_at = now
        if rule.to_status not in OPEN_STATUSES:
            referral.closed_at = now
            referral.close_reason = reason
        referral.full_clean()
        referral.save()
        _record(
            referral=referral,
            actor=actor,
            actor_partner=_side_partner(referral, rule.side),
            from_status=from_status,
            to_status=rule.to_status,
            reason=reason,
            text=text,
            at=now,
            request=request,
        )
        # A draft was never shown to the receiving side: withdrawing it tells nobody.
        if from_status != Status.DRAFT or action == Action.SUBMIT:
            _notify_side(referral=referral, side=_other(rule.side), status=rule.to_status)
    return referral


# --- Creating ----------------------------------------------------------------------------------------------


def _next_reference(*, task_force: TaskForce, year: int) -> str:
    """The next R-YYYY-NNNNNN of the task force. The caller holds the task force row lock, so two filings at once
    queue here instead of both taking the same number (the unique constraint would refuse the second)."""
    prefix = f"R-{year}-"
    last = (
        Referral.objects.filter(task_force=task_force, reference__startswith=prefix)
        .order_by("-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(REFERENCE_PATTERN.match(last).group(2)) + 1 if last and REFERENCE_PATTERN.match(last) else 1
    return f"{prefix}{number:06d}"


def _new_referral(
    *,
    actor: access.Actor,
    person: Person,
    sending_partner: Partner,
    receiving_partner: Partner,
    service: Service | None,
    needs: Iterable[TaxonomyTerm],
    priority: str,
    due_date: datetime.date | None,
    reason: str,
    status: str,
    transferred_from: Referral | None = None,
) -> Referral:
    task_force = actor.task_force
    needs = list(needs)
    if person.task_force_id != task_force.pk or person.merged_into_id is not None:
        raise ValidationError({"person": _("Choose a person of this task force.")})
    if (
        receiving_partner.task_force_id != task_force.pk
        or not receiving_partner.active
        or receiving_partner.pk == sending_partner.pk
    ):
        raise ValidationError({"receiving_partner": _("Choose another active partner of this task force.")})
    if service is not None and (service.partner_id != receiving_partner.pk or not service.active):
        raise ValidationError(
            {"service": _("Choose an active service of %(partner)s.") % {"partner": receiving_partner}}
        )
    if not needs:
        raise ValidationError({"needs": _("Choose at least one need.")})
    # A transfer carries the needs as they were, even one deactivated since the referral was filed.
    if any(term.task_force_id != task_force.pk or not (term.active or transferred_from) for term in needs):
        raise ValidationError({"needs": _("Choose needs from this task force's list.")})
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Choose one of the priorities offered.")})
    _check_consent(person=person, partner=receiving_partner)
    TaskForce.objects.select_for_update().filter(pk=task_force.pk).first()
    now = timezone.now()
    referral = Referral(
        task_force=task_force,
        reference=_next_reference(task_force=task_force, year=timezone.localtime(now, task_force.tzinfo).year),
        person=person,
        sending_partner=sending_partner,
        receiving_partner=receiving_partner,
        service=service,
        reason=(reason or "").strip(),
        priority=priority,
        due_date=due_date,
        status=status,
        transferred_from=transferred_from,
        created_by=actor.user,
        created_at=now,
    )
    if status == Status.SUBMITTED:
        referral.submitted_at = now
        referral.acknowledge_by = sla.acknowledge_deadline(task_force, now)
    referral.full_clean()
    referral.save()
    referral.needs.set(needs)
    return referral


def referral_create(
    *,
    actor: access.Actor,
    person: Person,
    sending_partner: Partner,
    receiving_partner: Partner,
    needs: Iterable[TaxonomyTerm],
    service: Service | None = None,
    priority: str = Priority.ROUTINE,
    due_date: datetime.date | None = None,
    reason: str = "",
    request=None,
) -> Referral:
    """File a draft referral from the actor's partner. Nothing is sent until ``referral_submit``."""
    access.require(
        access.can_file_referral_from(actor, sending_partner),
        _("Only the referral staff and admins of %(partner)s can file referrals from it.")
        % {"partner": sending_partner.name},
    )
    with transaction.atomic():
        referral = _new_referral(
            actor=actor,
            person=person,
            sending_partner=sending_partner,
            receiving_partner=receiving_partner,
            service=service,
            needs=needs,
            priority=priority,
            due_date=due_date,
            reason=reason,
            status=Status.DRAFT,
        )
        _record(
            referral=referral,
            actor=actor,
            actor_partner=sending_partner,
            from_status="",
            to_status=Status.DRAFT,
            at=referral.created_at,
            request=request,
        )
    return referral


# --- Moves -----------------------------------------------------------------------------------------------------


def referral_submit(*, actor: access.Actor, referral: Referral, request=None) -> Referral:
    """Send the draft to the receiving partner and start the acknowledgement clock (consent checked again)."""
    return _move(actor=actor, referral=referral, action=Action.SUBMIT, request=request)


def referral_accept(*, actor: access.Actor, referral: Referral, request=None) -> Referral:
    return _move(actor=actor, referral=referral, action=Action.ACCEPT, request=request)


def referral_decline(
    *, actor: access.Actor, referral: Referral, reason: ReasonCode | None, text: str = "", request=None
) -> Referral:
    return _move(actor=actor, referral=referral, action=Action.DECLINE, reason=reason, text=text, request=request)


def referral_start(*, actor: access.Actor, referral: Referral, request=None) -> Referral:
    return _move(actor=actor, referral=referral, action=Action.START, request=request)


def referral_complete(
    *, actor: access.Actor, referral: Referral, outcome: ReasonCode | None, text: str = "", request=None
) -> Referral:
    return _move(actor=actor, referral=referral, action=Action.COMPLETE, reason=outcome, text=text, request=request)


def referral_close_unsuccessful(
    *, actor: access.Actor, referral: Referral, reason: ReasonCode | None, text: str = "", request=None
) -> Referral:
    return _move(
        actor=actor, referral=referral, action=Action.CLOSE_UNSUCCESSFUL, reason=reason, text=text, request=request
    )


def referral_withdraw(
    *, actor: access.Actor, referral: Referral, reason: ReasonCode | None, text: str = "", request=None
) -> Referral:
    return _move(actor=actor, referral=referral, action=Action.WITHDRAW, reason=reason, text=text, request=request)


def referral_transfer(
    *,
    actor: access.Actor,
    referral: Referral,
    to_partner: Partner,
    service: Service | None = None,
    text: str = "",
    request=None,
) -> Referral:
    """Hand the referral on to ``to_partner``: a new referral (``transferred_from`` the first), submitted at once with
    the same person, needs, priority and due date, and the first closed as transferred. Returns the new one."""
    with transaction.atomic():
        referral = _locked(referral)
        access.require(
            access.can_act_on_referral(actor, referral, Action.TRANSFER),
            _("Only the referral staff and admins of the receiving partner can transfer this referral."),
        )
        rule = rule_for(referral.status, Action.TRANSFER)
        if rule is None:
            raise state_refusal(referral, Action.TRANSFER)
        if to_partner.pk == referral.receiving_partner_id:
            raise ValidationError({"to_partner": _("Choose another partner than the one that has the referral.")})
        if to_partner.pk == referral.sending_partner_id:
            raise ValidationError({"to_partner": _("The referral cannot go back to the partner that sent it.")})
        successor = _new_referral(
            actor=actor,
            person=referral.person,
            sending_partner=referral.sending_partner,
            receiving_partner=to_partner,
            service=service,
            needs=referral.needs.all(),
            priority=referral.priority,
            due_date=referral.due_date,
            reason=referral.reason,
            status=Status.SUBMITTED,
            transferred_from=referral,
        )
        now = successor.created_at
        from_status = referral.status
        referral.status = Status.TRANSFERRED
        referral.closed_at = now
        referral.full_clean()
        referral.save()
        _record(
            referral=referral,
            actor=actor,
            actor_partner=successor.transferred_from.receiving_partner,
            from_status=from_status,
            to_status=Status.TRANSFERRED,
            text=text,
            at=now,
            request=request,
        )
        _record(
            referral=successor,
            actor=actor,
            actor_partner=successor.transferred_from.receiving_partner,
            from_status="",
            to_status=Status.SUBMITTED,
            text=text,
            at=now,
            request=request,
        )
        _notify_side(referral=referral, side=SENDING, status=Status.TRANSFERRED)
        _notify_side(referral=successor, side=RECEIVING, status=Status.SUBMITTED)
    return successor


def referral_record_contact(
    *, actor: access.Actor, referral: Referral, at: datetime.datetime | None = None, request=None
) -> Referral:
    """Record that the receiving partner reached the person: ``first_contact_at`` is set once, later contacts
    leave it alone (the reports measure time to first contact)."""
    with transaction.atomic():
        referral = _locked(referral)
        access.require(
            access.can_act_on_referral(actor, referral, Action.RECORD_CONTACT),
            _("Only the referral staff and admins of the receiving partner can record contact."),
        )
        if rule_for(referral.status, Action.RECORD_CONTACT) is None:
            raise state_refusal(referral, Action.RECORD_CONTACT)
        at = at or timezone.now()
        if at > timezone.now() or (referral.submitted_at and at < referral.submitted_at):
            raise ValidationError({"at": _("The contact must be after the submission and not in the future.")})
        if referral.first_contact_at is None:
            referral.first_contact_at = at
            referral.full_clean()
            referral.save(update_fields=["first_contact_at", "updated_at"])
            audit.record(
                action="changed",
                actor=actor.user,
                task_force=referral.task_force,
                obj=referral,
                changes={"first_contact_at": [None, at.isoformat()]},
                request=request,
            )
    return referral


# --- The overdue sweep ---------------------------------------------------------------------------------------


def referrals_mark_overdue(*, now: datetime.datetime | None = None) -> int:
    """Mark submitted referrals past their acknowledgement deadline as overdue and tell the receiving partner's
    referral staff and admins and the task force's coordinators, once. Safe to run twice or in two workers at
    once: only the run whose conditional UPDATE changed the row notifies. Returns how many it marked."""
    now = now or timezone.now()
    candidates = list(
        Referral.objects.filter(status=Status.SUBMITTED, overdue_at__isnull=True, acknowledge_by__lte=now)
        .order_by("acknowledge_by")
        .values_list("pk", flat=True)
    )
    marked = 0
    for pk in candidates:
        with transaction.atomic():
            changed = Referral.objects.filter(pk=pk, status=Status.SUBMITTED, overdue_at__isnull=True).update(
                overdue_at=now
            )
            if not changed:
                continue  # accepted, declined or marked by another worker since the list was read
            marked += 1
            referral = Referral.objects.select_related("task_force", "sending_partner", "receiving_partner").get(pk=pk)
            audit.record(
                action="changed",
                task_force=referral.task_force,
                obj=referral,
                changes={"overdue_at": [None, now.isoformat()]},
            )
            recipients = list(notifications.staff_of(referral.receiving_partner_id)) + list(
                notifications.coordinators_of(referral.task_force_id)
            )
            notifications.notify(
                referral=referral,
                kind="overdue",
                recipients=recipients,
                message=_("Referral %(reference)s to %(receiving)s is overdue: it was not acknowledged in time.")
                % {"reference": referral.reference, "receiving": referral.receiving_partner.name},
            )
    return marked
