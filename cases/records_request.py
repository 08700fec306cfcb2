"""Finding the person a records request is about (issue 10, item 4): a coordinator types the requester's name and
date of birth exactly as the request gives them, and gets the task force's records of that person, each with the link
to export it (cases/person_record.py).

Coordinators may export anyone's record, but the people pages show them only the people of their own referrals
(``access.people_visible_to``): this lookup is how they reach the others, and it is narrow on purpose. It is not a
search: the date of birth must be equal and the name must be equal, letter for letter once case, accents, spaces and
hyphens are set aside, to the record's first and last name, or to one of its aliases. A record merged into another
leads to the one it was merged into. Every lookup writes one audit event (who, when, the records it found, none of
what was typed), found or not.

Two queries: the records of that date of birth (``person_tf_dob_idx``), with what they were merged into; the event.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from psn import access, audit
from psn.models import AuditAction

from .models import Person
from .people import fold
from .person_record import EXPORT_DENIED

LOOKUP_LABEL = "records request lookup"


# Hyphens, apostrophes and periods count as spaces: "Núñez-Ortiz" is "nunez ortiz", "O'Brien" is "o brien".
_NAME_MARKS = str.maketrans({"-": " ", "'": " ", "\u2019": " ", ".": " "})


def name_key(text: str) -> str:
    """``"  José  Núñez-Ortiz "`` and ``"jose nunez ortiz"`` give the same key: ``people.fold`` (case, accents and
    spaces set aside) once hyphens, apostrophes and periods are spaces."""
    return fold((text or "").translate(_NAME_MARKS))


# How a record was found, the surest first: a record found two ways is shown with the surer.
MATCH_ORDER = ("name", "alias", "merged record")


@dataclass(frozen=True)
class LookupMatch:
    person: Person  # the standing record, the one to export
    matched_on: str  # "name", "alias" or "merged record"


def _matched_on(person: Person, wanted: str) -> str | None:
    if name_key(f"{person.given_name} {person.family_name}") == wanted:
        return "name"
    if any(name_key(alias) == wanted for alias in person.alias_list):
        return "alias"
    return None


def records_request_lookup(
    *, actor: access.Actor, given_name: str, family_name: str, date_of_birth: datetime.date, request=None
) -> list[LookupMatch]:
    """The standing records of the actor's task force that are this person (coordinators only: PermissionDenied,
    audited, for anyone else), audited. Names are compared whole (see ``name_key``), never as a prefix."""
    access.require(access.can_export_person_record(actor), _(EXPORT_DENIED))
    wanted = name_key(f"{given_name} {family_name}")
    candidates = (
        Person.objects.filter(task_force=actor.task_force, date_of_birth=date_of_birth)
        .select_related("merged_into")
        .order_by("family_name", "given_name", "pk")
    )
    found: dict[int, LookupMatch] = {}
    for candidate in candidates if wanted else ():
        how = _matched_on(candidate, wanted)
        if how is None:
            continue
        standing = candidate.merged_into or candidate
        if standing.merged_into_id is not None or standing.task_force_id != actor.task_force.pk:
            continue  # merges point at the standing record; anything else is not for this lookup
        if candidate.merged_into_id is not None:
            how = "merged record"
        earlier = found.get(standing.pk)
        if earlier is None or MATCH_ORDER.index(how) < MATCH_ORDER.index(earlier.matched_on):
            found[standing.pk] = LookupMatch(person=standing, matched_on=how)
    matches = sorted(found.values(), key=lambda m: (m.person.family_name, m.person.given_name, m.person.pk))
    audit.record(
        action=AuditAction.VIEWED,
        actor=actor.user,
        task_force=actor.task_force,
        object_type=Person._meta.label_lower,
        object_repr=LOOKUP_LABEL,
        changes={"listed": [None, ",".join(str(m.person.pk) for m in matches)], "found": [None, str(len(matches))]},
        request=request,
    )
    return matches
