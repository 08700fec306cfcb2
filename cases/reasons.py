"""The coded reason lists (decline, unsuccessful close, withdrawal) and completion outcomes of a task force.

Every task force starts with the defaults below (``reason_codes_seed``, called when a task force is created and by
the data migration for existing ones); coordinators deactivate, relabel or add codes afterwards. Codes, never
free text, are what the monthly reports count; "other" codes ask for a written explanation.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from partners.models import TaskForce

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
