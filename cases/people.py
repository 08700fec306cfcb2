"""People: entering the individual referred (with the duplicate check first), correcting them, and merging two
records of the same person (coordinators).

Duplicate detection narrows in SQL (same phone digits, same or day/month-swapped date of birth, or a family name
close to the one entered) and then scores the few rows left in Python with rapidfuzz, so it stays one query and
fast on a district's whole history.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BigIntegerField, BooleanField, ExpressionWrapper, Q, Value
from django.db.models.functions import Cast, Greatest, Length
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from partners.models import Language
from psn import access, audit

from .models import Consent, Person, Referral

MAX_CANDIDATES = 10
# Rows the SQL narrowing may hand to Python at most: the best by similarity on PostgreSQL.
MAX_NARROWED = 500
# A name this similar (0-100) is a candidate on its own; with the same date of birth a weaker one is enough.
NAME_ALONE = 85
NAME_WITH_DOB = 60
# word_similarity() of the family name entered against a person's names and aliases (PostgreSQL).
TRIGRAM_THRESHOLD = 0.3
ALIASES_MAX_LENGTH = Person._meta.get_field("aliases").max_length

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D")


# --- Derived fields ------------------------------------------------------------------------------------------


def normalise_name(value: str) -> str:
    """Strip and collapse inner whitespace (keep case and accents: it is the name as people write it)."""
    return _SPACES.sub(" ", value or "").strip()


def fold(value: str) -> str:
    """Lower-case, accents removed, spaces collapsed: "  José  Núñez" -> "jose nunez"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return normalise_name(stripped).lower()


def phone_digits(phone: str) -> str:
    """The digits of a phone number; a U.S. number (10 digits, or 11 with the country code 1) as its last 10."""
    digits = _NON_DIGITS.sub("", phone or "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:]
    return digits[:15]


def normalise_aliases(aliases: str) -> str:
    """One alias per line, each normalised, empty lines and repeats (ignoring case and accents) dropped."""
    seen: set[str] = set()
    lines = []
    for line in (aliases or "").splitlines():
        name = normalise_name(line)
        if name and fold(name) not in seen:
            seen.add(fold(name))
            lines.append(name)
    return "\n".join(lines)


def search_text_of(*, given_name: str, family_name: str, aliases: str) -> str:
    names = [f"{given_name} {family_name}", *aliases.splitlines()]
    return "\n".join(fold(name) for name in names if fold(name))


def _fill_derived(person: Person) -> None:
    person.given_name = normalise_name(person.given_name)
    person.family_name = normalise_name(person.family_name)
    person.aliases = normalise_aliases(person.aliases)
    person.phone = (person.phone or "").strip()
    person.neighborhood = normalise_name(person.neighborhood)
    person.phone_digits = phone_digits(person.phone)
    person.search_text = search_text_of(
        given_name=person.given_name, family_name=person.family_name, aliases=person.aliases
    )


# --- Duplicate detection -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A possible earlier record of the person being entered: enough to recognise them, nothing of their
    referrals."""

    person_id: int
    full_name: str
    aliases: list[str]
    birth_year: int | None
    neighborhood: str
    score: int
    reasons: list[str] = field(default_factory=list)
    # The phone's last four digits ("•••0101"), enough to tell two people apart; display only, so two candidates
    # of the same record compare equal whatever is shown.
    masked_phone: str = field(default="", compare=False)

    @classmethod
    def of(cls, person: Person, *, score: int = 0, reasons: list[str] | None = None) -> Candidate:
        """The candidate showing ``person`` (its name, aliases, birth year, neighbourhood and masked phone)."""
        return cls(
            person_id=person.pk,
            full_name=person.full_name,
            aliases=person.alias_list,
            birth_year=person.date_of_birth.year if person.date_of_birth else None,
            neighborhood=person.neighborhood,
            score=score,
            reasons=reasons if reasons is not None else [],
            masked_phone=masked_phone(person.phone_digits),
        )


class DuplicateCandidates(ValidationError):
    """Refusal of ``person_create`` while earlier records may be the same person: the UI offers them, and the user
    picks one or confirms that this is someone new (``confirm_new=True``)."""

    def __init__(self, candidates: list[Candidate]):
        super().__init__(
            _("This person may already be recorded. Pick the matching record, or confirm that this is someone new."),
            code="possible_duplicates",
        )
        self.candidates = candidates


def _swapped(dob: datetime.date | None) -> datetime.date | None:
    if dob is None or dob.day > 12 or dob.day == dob.month:
        return None
    try:
        return dob.replace(month=dob.day, day=dob.month)
    except ValueError:
        return None


def _name_similarity(entered: list[str], known: list[str]) -> tuple[int, str]:
    """The best similarity (0-100) of any entered name against any known name or alias, and the known one."""
    best, best_name = 0.0, ""
    folded = [fold(a) for a in entered]
    for b in known:
        folded_b = fold(b)
        for a in folded:
            score = max(fuzz.token_sort_ratio(a, folded_b), fuzz.WRatio(a, folded_b))
            if score > best:
                best, best_name = score, b
    return round(best), best_name


def _narrowing(*, keys: list[str], digits: str, dob: datetime.date | None, swapped: datetime.date | None):
    """The SQL half of the search: rows that share a strong key (phone, date of birth) or whose names or aliases
    come close to one of ``keys`` (the folded family names entered: the person's and their aliases')."""
    strong = Q()
    if digits:
        strong |= Q(phone_digits=digits)
    if dob is not None:
        strong |= Q(date_of_birth=dob)
    if swapped is not None:
        strong |= Q(date_of_birth=swapped)
    if not keys:
        return Person.objects.filter(strong).order_by("pk") if strong else Person.objects.none()
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramWordSimilarity

        # Each key against every name and alias of the person (search_text holds them all, folded).
        similarities = [TrigramWordSimilarity(key, "search_text") for key in keys]
        similarity = similarities[0] if len(similarities) == 1 else Greatest(*similarities)
        # ``%>`` (trigram_word_similar) is what the trigram index of migration 0003 answers; its threshold is
        # pg_trgm.word_similarity_threshold, set to TRIGRAM_THRESHOLD for the query (person_duplicates).
        close = Q()
        for key in keys:
            close |= Q(search_text__trigram_word_similar=key)
        return (
            Person.objects.annotate(name_similarity=similarity, **_strong_first(strong))
            .filter(close | strong if strong else close)
            .order_by(*(["-strong_match"] if strong else []), "-name_similarity", "pk")
        )
    # SQLite (the embedded default): same first letter and a length within two, or the key appearing among the
    # names and aliases.
    close = Q()
    for key in keys:
        close |= Q(
            family_name__istartswith=key[0], family_length__gte=len(key) - 2, family_length__lte=len(key) + 2
        ) | Q(search_text__contains=key)
    return (
        Person.objects.annotate(family_length=Length("family_name"), **_strong_first(strong))
        .filter(close | strong if strong else close)
        .order_by(*(["-strong_match"] if strong else []), "pk")
    )


def task_force_key(task_force) -> Cast:
    """The task force's id as a bigint, for the trigram indexes that lead with ``task_force_id`` (btree_gin,
    migration 0008). Django writes the id into the SQL as an integer literal, and btree_gin's bigint operator class
    has no bigint = integer operator: compared with an integer the index answers the names alone, from the trigrams
    of every task force's people (ten districts: the duplicate check's query 14 -> 29 ms). Give it where it is the
    query's only task force condition (a subquery of its own): next to an equal integer condition PostgreSQL keeps
    only one of the two, the first."""
    return Cast(Value(task_force.pk), BigIntegerField())


@contextmanager
def word_similarity_threshold() -> Iterator[None]:
    """On PostgreSQL, the word-similarity threshold of the ``%>`` operator (``trigram_word_similar``) lowered to
    TRIGRAM_THRESHOLD for the queries run inside (SET LOCAL, in its own transaction or savepoint); nothing
    elsewhere."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [str(TRIGRAM_THRESHOLD)])
        yield


def masked_phone(digits: str) -> str:
    return f"•••{digits[-4:]}" if len(digits) >= 4 else ""


def _fetch(rows) -> list[Person]:
    """The narrowed rows, with the lowered word-similarity threshold on PostgreSQL."""
    with word_similarity_threshold():
        return list(rows)


def _strong_first(strong: Q) -> dict:
    """An annotation that sorts the rows sharing a phone or birth date first, so the cap never drops them."""
    return {"strong_match": ExpressionWrapper(strong, output_field=BooleanField())} if strong else {}


def _family_keys(family_name: str, aliases: str) -> list[str]:
    keys = [fold(family_name), *(fold(alias).rsplit(" ", 1)[-1] for alias in aliases.splitlines())]
    return list(dict.fromkeys(key for key in keys if key))[:5]


def person_duplicates(
    *,
    actor: access.Actor,
    given_name: str,
    family_name: str,
    aliases: str = "",
    date_of_birth: datetime.date | None = None,
    phone: str = "",
    exclude_id: int | None = None,
) -> list[Candidate]:
    """Earlier records of the actor's task force that may be this person, best first (at most 10). One query."""
    given_name, family_name = normalise_name(given_name), normalise_name(family_name)
    digits = phone_digits(phone)
    swapped = _swapped(date_of_birth)
    if not access.can_act(actor):
        return []
    aliases = normalise_aliases(aliases)
    keys = _family_keys(family_name, aliases)
    narrowed = _narrowing(keys=keys, digits=digits, dob=date_of_birth, swapped=swapped)
    # The same scope as access.people_of_task_force, written as filters so the narrowing's annotation stays.
    rows = narrowed.filter(task_force_id=task_force_key(actor.task_force), merged_into__isnull=True)
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    rows = rows.only(
        "pk", "given_name", "family_name", "aliases", "date_of_birth", "phone_digits", "neighborhood", "task_force_id"
    )[:MAX_NARROWED]

    entered = [f"{given_name} {family_name}".strip(), *aliases.splitlines()]
    entered = [name for name in entered if name]
    candidates = []
    for person in _fetch(rows):
        name_score, matched = _name_similarity(entered, [person.full_name, *person.alias_list])
        same_dob = date_of_birth is not None and person.date_of_birth == date_of_birth
        swapped_dob = swapped is not None and person.date_of_birth == swapped
        same_phone = bool(digits) and person.phone_digits == digits
        if not (same_phone or name_score >= NAME_ALONE or ((same_dob or swapped_dob) and name_score >= NAME_WITH_DOB)):
            continue
        reasons = []
        if name_score >= NAME_WITH_DOB:
            reasons.append(_("same name") if name_score == 100 else _("similar name: %(name)s") % {"name": matched})
        if same_dob:
            reasons.append(_("same date of birth"))
        if swapped_dob:
            reasons.append(_("date of birth with day and month swapped"))
        if same_phone:
            reasons.append(_("same phone number"))
        different_dob = date_of_birth and person.date_of_birth and not (same_dob or swapped_dob)
        score = 0.6 * name_score + 35 * same_dob + 35 * same_phone + 10 * swapped_dob - 15 * bool(different_dob)
        candidates.append(Candidate.of(person, score=max(0, min(100, round(score))), reasons=reasons))
    candidates.sort(key=lambda c: (-c.score, c.full_name, c.person_id))
    return candidates[:MAX_CANDIDATES]


# --- Services ------------------------------------------------------------------------------------------------

_UNSET = object()
# The fields a person is entered and corrected with (the others are derived or set by a merge).
PERSON_FIELDS = ("given_name", "family_name", "aliases", "date_of_birth", "phone", "preferred_language", "neighborhood")


def _snapshot(person: Person) -> dict:
    return {
        name: (person.preferred_language_id if name == "preferred_language" else getattr(person, name))
        for name in PERSON_FIELDS
    }


def _check_language(language: Language | None) -> None:
    if language is not None and not isinstance(language, Language):
        raise ValidationError({"preferred_language": _("Choose one of the languages offered.")})


def _check_names(person: Person) -> None:
    errors = {}
    if not person.given_name:
        errors["given_name"] = _("Enter the first name.")
    if not person.family_name:
        errors["family_name"] = _("Enter the last name.")
    if person.date_of_birth is not None and person.date_of_birth > timezone.localdate(
        timezone=person.task_force.tzinfo
    ):
        errors["date_of_birth"] = _("The date of birth cannot be in the future.")
    # TextField's max_length is only a form hint: hold the limit here (a merge can join two long lists).
    if len(person.aliases) > ALIASES_MAX_LENGTH:
        errors["aliases"] = _("The aliases are longer than %(limit)d characters: shorten them.") % {
            "limit": ALIASES_MAX_LENGTH
        }
    if errors:
        raise ValidationError(errors)


def person_create(
    *,
    actor: access.Actor,
    given_name: str,
    family_name: str,
    aliases: str = "",
    date_of_birth: datetime.date | None = None,
    phone: str = "",
    preferred_language: Language | None = None,
    neighborhood: str = "",
    confirm_new: bool = False,
    request=None,
) -> Person:
    """Enter a person. Refused with ``DuplicateCandidates`` while earlier records may be the same person, unless
    the user confirmed that this one is new."""
    access.require(
        access.can_enter_people(actor), _("Only referral staff, partner admins and coordinators enter people.")
    )
    _check_language(preferred_language)
    person = Person(
        task_force=actor.task_force,
        given_name=given_name,
        family_name=family_name,
        aliases=aliases,
        date_of_birth=date_of_birth,
        phone=phone,
        preferred_language=preferred_language,
        neighborhood=neighborhood,
        created_by=actor.user,
    )
    _fill_derived(person)
    _check_names(person)
    person.full_clean()
    if not confirm_new:
        candidates = person_duplicates(
            actor=actor,
            given_name=person.given_name,
            family_name=person.family_name,
            aliases=person.aliases,
            date_of_birth=person.date_of_birth,
            phone=person.phone,
        )
        if candidates:
            raise DuplicateCandidates(candidates)
    with transaction.atomic():
        person.save()
        audit.record(
            action="created",
            actor=actor.user,
            task_force=actor.task_force,
            obj=person,
            changes={"confirmed_new": [None, str(confirm_new)]} if confirm_new else None,
            request=request,
        )
    return person


def person_update(
    *,
    actor: access.Actor,
    person: Person,
    given_name=_UNSET,
    family_name=_UNSET,
    aliases=_UNSET,
    date_of_birth=_UNSET,
    phone=_UNSET,
    preferred_language=_UNSET,
    neighborhood=_UNSET,
    request=None,
) -> Person:
    """Correct a person's details (only the arguments given change); the derived fields follow."""
    access.require(
        access.can_enter_people(actor), _("Only referral staff, partner admins and coordinators edit people.")
    )
    given = {
        "given_name": given_name,
        "family_name": family_name,
        "aliases": aliases,
        "date_of_birth": date_of_birth,
        "phone": phone,
        "preferred_language": preferred_language,
        "neighborhood": neighborhood,
    }
    given = {name: value for name, value in given.items() if value is not _UNSET}
    if "preferred_language" in given:
        _check_language(given["preferred_language"])
    with transaction.atomic():
        # Only someone who sees the person corrects them (a duplicate candidate shows too little to edit by).
        locked = access.people_visible_to(actor).select_for_update().filter(pk=person.pk).first()
        if locked is None:
            if Person.objects.filter(pk=person.pk, task_force=actor.task_force, merged_into__isnull=False).exists():
                raise ValidationError(_("This record was merged into another one: edit that one instead."))
            raise Http404(_("No such person."))
        before = _snapshot(locked)
        for name, value in given.items():
            setattr(locked, name, value if value is not None or name in ("date_of_birth", "preferred_language") else "")
        _fill_derived(locked)
        _check_names(locked)
        locked.full_clean()
        changes = audit.changed_fields(before, _snapshot(locked))
        if changes:
            locked.save()
            audit.record(
                action="changed",
                actor=actor.user,
                task_force=actor.task_force,
                obj=locked,
                changes=changes,
                request=request,
            )
    return locked


def person_merge(*, actor: access.Actor, keep: Person, merge: Person, request=None) -> Person:
    """Merge ``merge`` into ``keep`` (coordinators): its referrals and consents move (notes and attachments
    follow their referrals), keep's empty fields are filled from it, the names join as aliases, and ``merge``
    stays as a hidden record pointing at ``keep``. Both ids get an audit event."""
    access.require(access.can_merge_people(actor), _("Only coordinators merge people."))
    if keep.pk == merge.pk:
        raise ValidationError(_("Choose two different records to merge."))
    with transaction.atomic():
        # Both rows locked, in id order so two merges of the same pair cannot deadlock.
        rows = {
            p.pk: p
            for p in Person.objects.select_for_update()
            .filter(pk__in=[keep.pk, merge.pk], task_force=actor.task_force)
            .order_by("pk")
        }
        if len(rows) != 2:
            raise Http404(_("No such person."))
        keep, merge = rows[keep.pk], rows[merge.pk]
        if keep.merged_into_id is not None or merge.merged_into_id is not None:
            raise ValidationError(_("One of these records was already merged into another one."))
        before = _snapshot(keep)
        for name in ("date_of_birth", "phone", "neighborhood", "preferred_language"):
            if not getattr(keep, name) and getattr(merge, name):
                setattr(keep, name, getattr(merge, name))
        names = keep.alias_list + merge.alias_list
        if fold(merge.full_name) != fold(keep.full_name):
            names.append(merge.full_name)
        keep.aliases = "\n".join(n for n in names if fold(n) != fold(keep.full_name))
        _fill_derived(keep)
        _check_names(keep)
        keep.full_clean()
        keep.save()

        moved_referrals = Referral.objects.filter(task_force=actor.task_force, person=merge).update(person=keep)
        moved_consents = Consent.objects.filter(task_force=actor.task_force, person=merge).update(person=keep)
        # Records merged earlier into ``merge`` now point at the one that stands.
        Person.objects.filter(merged_into=merge).update(merged_into=keep)
        merge.merged_into = keep
        merge.merged_at = timezone.now()
        merge.save(update_fields=["merged_into", "merged_at", "updated_at"])

        moved = {"referrals_moved": [None, str(moved_referrals)], "consents_moved": [None, str(moved_consents)]}
        audit.record(
            action="changed",
            actor=actor.user,
            task_force=actor.task_force,
            obj=keep,
            changes={**audit.changed_fields(before, _snapshot(keep)), "merged_from": [None, str(merge.pk)], **moved},
            request=request,
        )
        audit.record(
            action="changed",
            actor=actor.user,
            task_force=actor.task_force,
            obj=merge,
            changes={"merged_into": [None, str(keep.pk)], **moved},
            request=request,
        )
    return keep
