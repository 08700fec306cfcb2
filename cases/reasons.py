"""The coded reason lists (decline, unsuccessful close, withdrawal) and completion outcomes of a task force.

Every task force starts with the defaults below (``reason_codes_seed``, called when a task force is created and by
the data migration for existing ones); coordinators deactivate, relabel or add codes afterwards. Codes, never
free text, are what the monthly reports count; "other" codes ask for a written explanation.
"""

from __future__ import annotations

import copy
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partners.models import TaskForce
from psn import access, audit

from .models import ReasonCode, ReasonKind

# kind -> [(code, label, needs_text)], in display order.
DEFAULT_REASON_CODES: dict[str, list[tuple[str, str, bool]]] = {
    ReasonKind.DECLINE: [
        ("no_capacity", _("No capacity"), False),
        ("not_eligible", _("Not eligible"), False),
        ("person_unreachable", _("Person unreachable"), False),
        ("service_not_offered", _("Service not offered"), False),
        ("duplicate", _("Duplicate referral"), False),
        ("other", _("Other"), True),
    ],
    ReasonKind.UNSUCCESSFUL: [
        ("could_not_contact", _("Could not contact the person"), False),
        ("person_declined_services", _("Person declined services"), False),
        ("moved_away", _("Moved away"), False),
        ("incarcerated", _("Incarcerated"), False),
        ("deceased", _("Deceased"), False),
        ("other", _("Other"), True),
    ],
    ReasonKind.OUTCOME: [
        ("service_completed", _("Service completed"), False),
        ("goals_met", _("Goals met"), False),
        ("enrolled_placed", _("Enrolled / placed"), False),
        ("referred_onward", _("Referred onward"), False),
        ("partially_completed", _("Partially completed"), False),
    ],
    ReasonKind.WITHDRAW: [
        ("sent_in_error", _("Sent in error"), False),
        ("person_declined", _("Person declined"), False),
        ("need_met_elsewhere", _("Need met elsewhere"), False),
        ("other", _("Other"), True),
    ],
}


def reason_codes_seed(*, task_force: TaskForce) -> int:
    """Give a task force the default codes it lacks (codes it already has, even edited, are left alone).
    Returns how many were added."""
    existing = set(ReasonCode.objects.filter(task_force=task_force).values_list("kind", "code"))
    missing = [
        ReasonCode(
            task_force=task_force, kind=kind, code=code, label=str(label), needs_text=needs_text, position=position
        )
        for kind, codes in DEFAULT_REASON_CODES.items()
        for position, (code, label, needs_text) in enumerate(codes)
        if (kind, code) not in existing
    ]
    ReasonCode.objects.bulk_create(missing)
    return len(missing)


# --- Management by coordinators --------------------------------------------------------------------------------
#
# A code is never deleted (referrals and their transitions keep pointing at it, the reports count it): it is
# deactivated, which takes it out of the transition forms and the API's choices. Its kind and code never change
# after creation, for the same reason; its label, position and whether it asks for text do. The last active code
# of a kind cannot be deactivated: nobody could decline (or close, complete, withdraw) a referral any more.

CODE_PATTERN = re.compile(r"[a-z0-9_-]{1,50}")
POSITION_MAX = 32767  # PositiveSmallIntegerField on every database
EDITABLE_FIELDS = ("label", "position", "needs_text")


def reason_code_list_for(
    *, actor: access.Actor, kind: str | None = None, active: bool | None = None
) -> QuerySet[ReasonCode]:
    """The task force's codes (every member reads them), by kind, position and label. One query."""
    codes = access.reason_codes_of_task_force(actor)
    if kind:
        if kind not in ReasonKind.values:
            raise ValidationError({"kind": gettext("Unknown kind: %(value)s.") % {"value": kind}})
        codes = codes.filter(kind=kind)
    if active is not None:
        codes = codes.filter(active=active)
    return codes.order_by("kind", "position", "label", "pk")


def reason_code_get_for(*, actor: access.Actor, pk: int | str) -> ReasonCode:
    """One code of the actor's task force, else Http404 (another task force's code does not exist for them)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    code = access.reason_codes_of_task_force(actor).filter(pk=pk).first()
    if code is None:
        raise Http404
    return code


def _require_manager(actor: access.Actor) -> None:
    access.require(access.can_manage_reason_codes(actor), gettext("Only coordinators manage the reason codes."))


def _snapshot(code: ReasonCode) -> dict:
    return {"kind": code.kind, "code": code.code, **{name: getattr(code, name) for name in EDITABLE_FIELDS}}


def _validate(code: ReasonCode, errors: dict | None = None) -> None:
    """The model's own checks (kind, code pattern, label length, position), plus ``errors`` found before."""
    errors = dict(errors or {})
    code.label = (code.label or "").strip()
    if code.position is None:
        code.position = 0
    try:
        code.full_clean(exclude=["task_force"], validate_constraints=False)
    except ValidationError as error:
        errors = {**error.message_dict, **errors}
    if isinstance(code.position, int) and not 0 <= code.position <= POSITION_MAX:
        errors.setdefault("position", [gettext("Give a position from 0 to %(max)s.") % {"max": POSITION_MAX}])
    if errors:
        raise ValidationError(errors)


def reason_code_create(
    *,
    actor: access.Actor,
    kind: str,
    code: str,
    label: str,
    position: int | None = 0,
    needs_text: bool = False,
    request=None,
) -> ReasonCode:
    """Add a code to one of the task force's lists (coordinators). The code is unique within its kind."""
    _require_manager(actor)
    code = (code or "").strip().lower()
    errors = {}
    if not CODE_PATTERN.fullmatch(code):
        errors["code"] = [gettext("Use 1 to 50 lower-case letters, digits, “-” and “_” (for example “no_capacity”).")]
    reason = ReasonCode(
        task_force=actor.task_force, kind=kind, code=code, label=label, position=position, needs_text=needs_text
    )
    _validate(reason, errors)
    taken = gettext("The code “%(code)s” is already in this list (perhaps deactivated): choose another.") % {
        "code": code
    }
    if ReasonCode.objects.filter(task_force=actor.task_force, kind=kind, code=code).exists():
        raise ValidationError({"code": taken})
    with transaction.atomic():
        try:
            with transaction.atomic():  # a twin saved at the same moment is the same form error, not a 500
                reason.save()
        except IntegrityError:
            raise ValidationError({"code": taken}) from None
        audit.record(
            action="created",
            actor=actor.user,
            task_force=actor.task_force,
            obj=reason,
            changes=audit.changed_fields({}, _snapshot(reason)),
            request=request,
        )
    return reason


def reason_code_update(*, actor: access.Actor, reason_code: ReasonCode, request=None, **changes) -> ReasonCode:
    """Change a code's label, position or whether it asks for text (coordinators). One audit event with what
    changed; nothing changed, nothing written."""
    _require_manager(actor)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: gettext("This cannot change: add a new code and deactivate this one.") for name in sorted(unknown)}
        )
    before = _snapshot(reason_code)
    updated = copy.copy(reason_code)  # the caller's object stays as it was if the change is refused
    for name, value in changes.items():
        setattr(updated, name, value)
    _validate(updated)
    diff = audit.changed_fields(before, _snapshot(updated))
    if not diff:
        return updated
    with transaction.atomic():
        updated.save(update_fields=list(EDITABLE_FIELDS))
        audit.record(
            action="changed", actor=actor.user, task_force=actor.task_force, obj=updated, changes=diff, request=request
        )
    return updated


def _set_active(*, actor: access.Actor, reason_code: ReasonCode, active: bool, request) -> bool:
    """Flip the flag with a conditional update (two clicks at once change it once); audit only a change."""
    with transaction.atomic():
        if not active:
            # Locks the kind's active codes: two coordinators deactivating the last two at once cannot both win.
            still_active = list(
                ReasonCode.objects.select_for_update()
                .filter(task_force_id=reason_code.task_force_id, kind=reason_code.kind, active=True)
                .values_list("pk", flat=True)
            )
            if still_active == [reason_code.pk]:
                raise ValidationError(
                    gettext("“%(label)s” is the last active code of its list (%(kind)s): add or reactivate another.")
                    % {"label": reason_code.label, "kind": reason_code.get_kind_display()}
                )
        changed = ReasonCode.objects.filter(pk=reason_code.pk, active=not active).update(active=active)
        reason_code.active = active
        if changed:
            audit.record(
                action="changed",
                actor=actor.user,
                task_force=actor.task_force,
                obj=reason_code,
                changes={"active": [str(not active), str(active)]},
                request=request,
            )
    return bool(changed)


def reason_code_deactivate(*, actor: access.Actor, reason_code: ReasonCode, request=None) -> bool:
    """Stop offering a code (coordinators); referrals that used it keep it. False if it was already inactive."""
    _require_manager(actor)
    return _set_active(actor=actor, reason_code=reason_code, active=False, request=request)


def reason_code_reactivate(*, actor: access.Actor, reason_code: ReasonCode, request=None) -> bool:
    """Offer a code again (coordinators). False if it was already active."""
    _require_manager(actor)
    return _set_active(actor=actor, reason_code=reason_code, active=True, request=request)
