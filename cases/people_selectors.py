"""Reads of people and their consents, scoped to the actor: psn/access.py decides who sees whom
(``people_visible_to``, ``consents_visible_to``; ``people_of_task_force`` for the coordinators' merge), this
module only asks and loads what the pages and the API show in a constant number of queries.

The name search is fuzzy: every word entered must be found among the person's names and aliases (folded:
lower case, no accents), exactly or, on PostgreSQL, as a close spelling by the trigram index of migration
0003 (``%>``, with the threshold of the duplicate check). Its rows must be read inside
``cases.people.word_similarity_threshold()``: ``page_of`` does that for a page.
"""

from __future__ import annotations

import datetime
import functools
import operator
from dataclasses import dataclass, field

from django.core.paginator import Page
from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from partners.models import Partner
from psn import access
from psn.pagination import DeepPaginator

from . import selectors
from .consent import consent_affected_referrals
from .models import Consent, ConsentShares, Person, Referral
from .people import Candidate, fold, person_duplicates, phone_digits, word_similarity_threshold

PAGE_SIZE = 25
SEARCH_WORDS = 5
MERGE_SEARCH_LIMIT = 25


def _id(pk) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < value < 2**63:
        raise Http404
    return value


# --- Search --------------------------------------------------------------------------------------------------


def _names_matching(queryset: QuerySet[Person], q: str) -> QuerySet[Person]:
    """Every word among the names and aliases, the closest first on PostgreSQL; name order otherwise."""
    words = fold(q).split()[:SEARCH_WORDS]
    if not words:
        return queryset.order_by("family_name", "given_name", "pk")
    if connection.vendor != "postgresql":
        for word in words:
            queryset = queryset.filter(search_text__contains=word)
        return queryset.order_by("family_name", "given_name", "pk")
    from django.contrib.postgres.search import TrigramWordSimilarity

    for word in words:
        # search_text is folded already: a plain LIKE and %> are both answered by the trigram index.
        queryset = queryset.filter(Q(search_text__contains=word) | Q(search_text__trigram_word_similar=word))
    similarity = functools.reduce(operator.add, (TrigramWordSimilarity(word, "search_text") for word in words))
    return queryset.annotate(name_similarity=similarity).order_by("-name_similarity", "family_name", "given_name", "pk")


def person_list_for(
    *,
    actor: access.Actor,
    q: str | None = None,
    date_of_birth: datetime.date | None = None,
    phone: str | None = None,
) -> QuerySet[Person]:
    """The people the actor may read, searched by name or alias (fuzzy), date of birth and phone (any format).
    Read the rows inside ``word_similarity_threshold()`` (``page_of``). One query for a page, plus its count."""
    rows = access.people_visible_to(actor).select_related("preferred_language")
    if date_of_birth is not None:
        rows = rows.filter(date_of_birth=date_of_birth)
    digits = phone_digits(phone or "")
    if digits:
        rows = rows.filter(phone_digits=digits)
    return _names_matching(rows, q or "")


def page_of(rows: QuerySet, number, *, per_page: int = PAGE_SIZE) -> Page:
    """One page of a person search, read (count and rows) with the fuzzy search's threshold in force."""
    with word_similarity_threshold():
        page = DeepPaginator(rows, per_page).get_page(number)
        page.object_list = list(page.object_list)
    return page


# --- One person ----------------------------------------------------------------------------------------------


def consent_state(consent: Consent, today: datetime.date) -> str:
    """ "revoked", "expired", "pending" (given in the future: recorded ahead) or "valid" on ``today``."""
    if consent.revoked_at is not None:
        return "revoked"
    if consent.expires_on is not None and consent.expires_on < today:
        return "expired"
    if consent.given_on > today:
        return "pending"
    return "valid"


def _consent_rows() -> QuerySet[Consent]:
    return (
        Consent.objects.select_related("recorded_by", "recorded_by_partner", "revoked_by")
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
        .order_by("-given_on", "-recorded_at", "-pk")
    )


def _with_states(consents, actor: access.Actor) -> list[Consent]:
    """Each consent with its ``state`` of today and ``share_labels`` (what may be shared, in words)."""
    today = timezone.localdate(timezone=actor.task_force.tzinfo)
    labels = dict(ConsentShares.choices)
    consents = list(consents)
    for consent in consents:
        consent.state = consent_state(consent, today)
        consent.share_labels = [str(labels.get(value, value)) for value in consent.shares]
    return consents


def person_get_for(*, actor: access.Actor, pk) -> Person:
    """One person the actor may read (Http404 otherwise) with ``consent_list`` (each with its ``state``) and
    ``referral_list``: the referrals of this person whose details the actor sees. Five queries: the person, the
    consents, their partners, the referrals, their needs."""
    person = (
        access.people_visible_to(actor)
        .select_related("preferred_language", "created_by")
        .prefetch_related(Prefetch("consents", queryset=_consent_rows()))
        .filter(pk=_id(pk))
        .first()
    )
    if person is None:
        raise Http404
    person.consent_list = _with_states(person.consents.all(), actor)
    person.referral_list = list(person_referrals_for(actor=actor, person=person))
    return person


def person_referrals_for(*, actor: access.Actor, person: Person) -> QuerySet[Referral]:
    """The person's referrals the actor sees with their details: that a referral is about this person is a
    detail, so a coordinator's metadata-only referrals are not listed."""
    return (
        selectors.referral_list_for(actor=actor).filter(person=person).filter(access.referral_details_condition(actor))
    )


def person_is_visible(*, actor: access.Actor, pk: int) -> bool:
    return access.people_visible_to(actor).filter(pk=pk).exists()


def person_in_task_force(*, actor: access.Actor, pk: int) -> Person | None:
    """A standing record of the actor's task force, whether or not they may read it: what the duplicate check
    offers, and whom consent is recorded for (``consent_record`` reaches the whole task force)."""
    return access.people_of_task_force(actor).filter(pk=pk).first()


def person_to_refer_get_for(*, actor: access.Actor, pk) -> Person:
    """A person the actor picked among the duplicate check's candidates, to refer (Http404 if none)."""
    access.require(access.can_enter_people(actor))
    person = person_in_task_force(actor=actor, pk=_id(pk))
    if person is None:
        raise Http404
    return person


# --- Consents ------------------------------------------------------------------------------------------------


def consent_list_for(*, actor: access.Actor, person: Person | int | None = None) -> QuerySet[Consent]:
    """The consents of the people the actor may read (of one person if given). Two queries: rows, partners."""
    rows = access.consents_visible_to(actor).select_related("person")
    if person is not None:
        rows = rows.filter(person_id=person.pk if isinstance(person, Person) else person)
    return (
        rows.select_related("recorded_by", "recorded_by_partner", "revoked_by")
        .prefetch_related(Prefetch("partners", queryset=Partner.objects.order_by("name")))
        .order_by("-given_on", "-recorded_at", "-pk")
    )


def with_states(consents, *, actor: access.Actor) -> list[Consent]:
    """The consents (a page of them) with their ``state`` of today."""
    return _with_states(consents, actor)


def consent_get_for(*, actor: access.Actor, pk) -> Consent:
    """One consent of a person the actor may read (Http404 otherwise), with its ``state``."""
    consent = consent_list_for(actor=actor).filter(pk=_id(pk)).first()
    if consent is None:
        raise Http404
    return _with_states([consent], actor)[0]


@dataclass
class AffectedReferrals:
    """The open referrals a revocation leaves without consent: those the actor sees, and how many others."""

    visible: list[Referral] = field(default_factory=list)
    hidden: int = 0


def affected_referrals_for(*, actor: access.Actor, consent: Consent, referrals=None) -> AffectedReferrals:
    """``consent_affected_referrals`` (or the list a revocation returned) as the actor may see it: a referral
    between partners they are not in is counted, never named."""
    referrals = consent_affected_referrals(consent=consent) if referrals is None else referrals
    visible = [r for r in referrals if access.can_view_referral_details(actor, r)]
    return AffectedReferrals(visible=visible, hidden=len(referrals) - len(visible))


# --- Merging (coordinators) ----------------------------------------------------------------------------------


def merge_person_get_for(*, actor: access.Actor, pk) -> Person:
    """A record of the task force a coordinator may merge (the whole task force: duplicates cross partners)."""
    person = access.people_of_task_force(actor).filter(pk=_id(pk)).first()
    if person is None:
        raise Http404
    return person


def merge_other_for(*, actor: access.Actor, keep: Person, pk: int) -> Person | None:
    """The record chosen to merge into ``keep``: another standing record of the task force, else None."""
    return access.people_of_task_force(actor).exclude(pk=keep.pk).filter(pk=pk).first()


def merge_candidates_for(*, actor: access.Actor, keep: Person, q: str = "") -> list[Candidate]:
    """The records a coordinator may merge into ``keep``: those found by name when ``q`` is given (no score),
    else the duplicate check's candidates for ``keep`` (with their reasons and score). At most 25, one query."""
    if not access.can_merge_people(actor):
        return []
    if q.strip():
        rows = _names_matching(access.people_of_task_force(actor).exclude(pk=keep.pk), q)
        with word_similarity_threshold():
            found = list(rows[:MERGE_SEARCH_LIMIT])
        return [Candidate.of(person) for person in found]
    return person_duplicates(
        actor=actor,
        given_name=keep.given_name,
        family_name=keep.family_name,
        aliases=keep.aliases,
        date_of_birth=keep.date_of_birth,
        phone=keep.phone,
        exclude_id=keep.pk,
    )


@dataclass(frozen=True)
class MergePreview:
    referrals: int
    consents: int
    merged_earlier: int


def merge_preview_for(*, actor: access.Actor, merge: Person) -> MergePreview:
    """What a merge of ``merge`` would move: its referrals and consents, and the records merged into it earlier.
    One query."""
    counts = (
        access.people_of_task_force(actor)
        .filter(pk=merge.pk)
        .aggregate(
            referrals=Count("referrals", distinct=True),
            consents=Count("consents", distinct=True),
            merged_earlier=Count("merged_from", distinct=True),
        )
    )
    return MergePreview(**{key: value or 0 for key, value in counts.items()})
