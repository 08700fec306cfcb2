"""Building a de-identified research extract: what is read, how people become pseudonyms, the k-anonymity check and
its suppression, and the zip of CSV files with its data dictionary and manifest.

What never enters an extract is never read: the queries below ask for ids, codes, statuses and dates only (no
name, alias, phone, address, email, date of birth as a date, note, free-text reason, meeting title or minutes).
The rules, written once here and stated in every extract's data dictionary and README:

- A person is ``HMAC-SHA256(key, "person:<id>")``, its first 16 hex characters. The key is the extract's own random
  key, or the grant's with a stable key (a longitudinal study: the same person, the same pseudonym). Referrals and
  meetings get keyed hashes the same way ("referral:<id>", "meeting:<id>") so rows join without internal ids.
- A date of birth becomes an age band at the period's end.
- A neighborhood is kept only where at least ``K_THRESHOLD`` people of the extract share it, else blank.
- k is the size of the smallest group of people sharing the same (age band, neighborhood, language). Below
  ``K_THRESHOLD`` the extract is refused, unless suppression was chosen: then the three quasi-identifiers of every
  person in a group smaller than the threshold become "*"; if those starred people are themselves fewer than the
  threshold, their rows stay (counts remain right) but lose the person pseudonym: they cannot be linked to a person.
- With date shifting, each person gets an offset of -30..+30 days (from the same key), added to every date of
  their rows (referrals, transitions, outcomes); durations are unchanged. Meetings and crime counts are not about
  a person and keep their dates.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import hmac
import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from cases.export import safe_cell
from cases.models import CLOSED_STATUSES, Referral, Transition
from meetings.models import Meeting, MeetingPartner
from reports.models import CrimeCount

from .models import K_THRESHOLD, QUASI_IDENTIFIERS, ResearchExtract

PSEUDONYM_LENGTH = 16
MAX_SHIFT_DAYS = 30
SUPPRESSED = "*"
UNKNOWN = "unknown"
AGE_BANDS = ((18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"))
OLDEST_BAND = "45+"


def keyed_hash(secret: bytes, kind: str, pk: int) -> str:
    return hmac.new(secret, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]


def date_offset(secret: bytes, person_id: int) -> int:
    """The person's shift in days, -30..+30, the same in every table of the extract."""
    digest = hmac.new(secret, f"shift:{person_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") % (2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS


def age_band(date_of_birth: datetime.date | None, on: datetime.date) -> str:
    if date_of_birth is None:
        return UNKNOWN
    age = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    for upper, label in AGE_BANDS:
        if age < upper:
            return label
    return OLDEST_BAND


# --- k-anonymity ------------------------------------------------------------------------------------------------


@dataclass
class Anonymity:
    """The quasi-identifiers each person is released with, and what it took."""

    qis: dict[int, tuple[str, str, str]]
    k: int | None  # None: no person left to single out
    small_classes: list[int]  # sizes of the groups below the threshold before suppression, smallest first
    refused: bool = False
    suppressed_people: int = 0
    unlinked: set[int] = field(default_factory=set)


def k_of(qis: dict[int, tuple]) -> int | None:
    sizes = Counter(qis.values()).values()
    return min(sizes) if sizes else None


def blank_rare_neighborhoods(neighborhoods: dict[int, str]) -> dict[int, str]:
    counts = Counter(value for value in neighborhoods.values() if value)
    return {pk: (value if value and counts[value] >= K_THRESHOLD else "") for pk, value in neighborhoods.items()}


def anonymize(people: dict[int, tuple[str, str, str]], *, suppress: bool) -> Anonymity:
    """``people``: person id -> (age band, neighborhood already thinned, language)."""
    sizes = Counter(people.values())
    small = {qi for qi, size in sizes.items() if size < K_THRESHOLD}
    small_sizes = sorted(sizes[qi] for qi in small)
    k = k_of(people)
    if not small:
        return Anonymity(qis=dict(people), k=k, small_classes=[])
    if not suppress:
        return Anonymity(qis=dict(people), k=k, small_classes=small_sizes, refused=True)
    starred = {pk for pk, qi in people.items() if qi in small}
    qis = {pk: ((SUPPRESSED,) * 3 if pk in starred else qi) for pk, qi in people.items()}
    unlinked = starred if len(starred) < K_THRESHOLD else set()
    linked = {pk: qi for pk, qi in qis.items() if pk not in unlinked}
    return Anonymity(
        qis=qis, k=k_of(linked), small_classes=small_sizes, suppressed_people=len(starred), unlinked=unlinked
    )


# --- The tables ---------------------------------------------------------------------------------------------------

# file -> [(column, type, meaning, de-identification)]
DICTIONARY: dict[str, list[tuple[str, str, str, str]]] = {
    "referrals.csv": [
        ("referral", "text", "The referral's key in this extract", "keyed hash of the referral id"),
        (
            "person",
            "text",
            "The person referred",
            "HMAC-SHA256 of the person id, 16 hex; blank where unlinked: people suppressed to '*' who are fewer than 5",
        ),
        (
            "age_band",
            "text",
            "Age at the period's end: <18, 18-24, 25-34, 35-44, 45+, unknown",
            "generalised from the date of birth (never exported); '*' where suppressed",
        ),
        (
            "neighborhood",
            "text",
            "The person's neighborhood",
            "kept only where at least 5 people of the extract share it, else blank; '*' where suppressed",
        ),
        ("language", "text", "Preferred language (ISO 639-1) or unknown", "'*' where suppressed"),
        ("sending_partner", "text", "Partner that sent the referral", "organisation, not a person: as recorded"),
        ("sending_partner_kind", "text", "Kind of the sending partner", "as recorded"),
        ("receiving_partner", "text", "Partner the person was referred to", "as recorded"),
        ("receiving_partner_kind", "text", "Kind of the receiving partner", "as recorded"),
        ("service", "text", "The service referred to, if any", "directory name, as recorded"),
        ("priority", "text", "routine, urgent, asap or stat", "as recorded"),
        ("status", "text", "Status at the extract's generation", "as recorded"),
        ("submitted_on", "date", "Day the referral was submitted", "shifted per person when date shifting is on"),
        ("acknowledged_on", "date", "Day it was accepted or declined", "shifted per person when on"),
        ("first_contact_on", "date", "Day of the first recorded contact", "shifted per person when on"),
        ("closed_on", "date", "Day it was closed", "shifted per person when on"),
        ("due_on", "date", "Due date", "shifted per person when on"),
        ("transferred_from", "text", "The referral this one continues (a transfer)", "keyed hash of its id"),
    ],
    "transitions.csv": [
        ("referral", "text", "The referral's key", "keyed hash"),
        ("person", "text", "The person", "keyed hash; blank where unlinked"),
        ("on", "date", "Day of the move", "shifted per person when on"),
        ("from_status", "text", "Status before", "as recorded"),
        ("to_status", "text", "Status after", "as recorded"),
        ("reason_code", "text", "Coded reason or outcome", "code only: hand-written reasons are left out"),
        ("by_partner_kind", "text", "Kind of the partner that made the move", "as recorded"),
    ],
    "needs.csv": [
        ("referral", "text", "The referral's key", "keyed hash"),
        ("need_code", "text", "Need category code", "as recorded"),
        ("need", "text", "Need category name", "as recorded"),
    ],
    "outcomes.csv": [
        ("referral", "text", "The referral's key", "keyed hash"),
        ("person", "text", "The person", "keyed hash; blank where unlinked"),
        (
            "status",
            "text",
            "Closed status (declined, completed, closed unsuccessful, withdrawn, transferred)",
            "as recorded",
        ),
        ("outcome_code", "text", "Coded reason or outcome", "code only"),
        ("closed_on", "date", "Day it was closed", "shifted per person when on"),
        (
            "days_to_acknowledge",
            "integer",
            "Calendar days from submission to accept or decline",
            "a duration: unchanged by the shift",
        ),
        ("days_to_close", "integer", "Calendar days from submission to close", "a duration: unchanged"),
    ],
    "meetings.csv": [
        ("meeting", "text", "The meeting's key", "keyed hash of the meeting id"),
        ("kind", "text", "task_force, working_group, case_review or call_in", "as recorded"),
        ("status", "text", "scheduled, held or cancelled", "as recorded"),
        ("on", "date", "Day of the meeting", "not shifted (not about a person); title, agenda, minutes left out"),
        ("duration_minutes", "integer", "Planned length", "as recorded"),
    ],
    "attendance.csv": [
        ("meeting", "text", "The meeting's key", "keyed hash"),
        ("partner", "text", "Invited partner", "organisation: as recorded"),
        ("partner_kind", "text", "Kind of the partner", "as recorded"),
        ("attendance", "text", "present, absent, excused or blank (not recorded)", "as recorded"),
    ],
    "crime_counts.csv": [
        ("month", "text", "Month (YYYY-MM)", "aggregate counts from the police partner, as uploaded"),
        ("offense", "text", "Offense category", "as uploaded"),
        ("count", "integer", "Number of offenses in the month", "as uploaded"),
    ],
}


def _day(moment: datetime.datetime | None, tz) -> datetime.date | None:
    return timezone.localtime(moment, tz).date() if moment is not None else None


class Tables:
    """Reads the extract's rows and writes its CSV files."""

    def __init__(self, extract: ResearchExtract, secret: bytes):
        self.extract = extract
        self.grant = extract.grant
        self.task_force = extract.task_force
        self.tz = self.task_force.tzinfo
        self.secret = secret
        start = datetime.datetime.combine(self.grant.period_start, datetime.time.min, self.tz)
        end = datetime.datetime.combine(self.grant.period_end + datetime.timedelta(days=1), datetime.time.min, self.tz)
        self.window = (start, end)

    def referrals(self) -> QuerySet[Referral]:
        """The referrals submitted in the period (drafts never count)."""
        return Referral.objects.filter(
            task_force=self.task_force, submitted_at__gte=self.window[0], submitted_at__lt=self.window[1]
        )

    def people(self) -> dict[int, tuple[str, str, str]]:
        rows = (
            self.referrals()
            .order_by()
            .values_list(
                "person_id", "person__date_of_birth", "person__neighborhood", "person__preferred_language__code"
            )
            .distinct()
        )
        on = self.grant.period_end
        bands, neighborhoods, languages = {}, {}, {}
        for pk, born, neighborhood, language in rows:
            bands[pk] = age_band(born, on)
            neighborhoods[pk] = (neighborhood or "").strip()
            languages[pk] = language or UNKNOWN
        thinned = blank_rare_neighborhoods(neighborhoods)
        return {pk: (bands[pk], thinned[pk], languages[pk]) for pk in bands}

    # -- helpers over a person's row
    def key(self, kind: str, pk: int | None) -> str:
        return keyed_hash(self.secret, kind, pk) if pk is not None else ""

    def prepare(self, anonymity: Anonymity) -> None:
        self.anonymity = anonymity
        self.offsets = {pk: date_offset(self.secret, pk) for pk in anonymity.qis} if self.extract.shift_dates else {}

    def person(self, pk: int) -> str:
        return "" if pk in self.anonymity.unlinked else self.key("person", pk)

    def shifted(self, person_id: int, day: datetime.date | None) -> str:
        if day is None:
            return ""
        return (day + datetime.timedelta(days=self.offsets.get(person_id, 0))).isoformat()

    # -- the files
    def referral_rows(self):
        rows = (
            self.referrals()
            .order_by("submitted_at", "pk")
            .values_list(
                "pk",
                "person_id",
                "sending_partner__name",
                "sending_partner__kind",
                "receiving_partner__name",
                "receiving_partner__kind",
                "service__name",
                "priority",
                "status",
                "submitted_at",
                "acknowledged_at",
                "first_contact_at",
                "closed_at",
                "due_date",
                "transferred_from_id",
            )
        )
        for (
            pk,
            person,
            s_name,
            s_kind,
            r_name,
            r_kind,
            service,
            priority,
            status,
            submitted,
            acknowledged,
            contact,
            closed,
            due,
            transferred_from,
        ) in rows.iterator(chunk_size=2000):
            yield [
                self.key("referral", pk),
                self.person(person),
                *self.anonymity.qis[person],
                s_name,
                s_kind,
                r_name,
                r_kind,
                service or "",
                priority,
                status,
                self.shifted(person, _day(submitted, self.tz)),
                self.shifted(person, _day(acknowledged, self.tz)),
                self.shifted(person, _day(contact, self.tz)),
                self.shifted(person, _day(closed, self.tz)),
                self.shifted(person, due),
                self.key("referral", transferred_from),
            ]

    def transition_rows(self):
        rows = (
            Transition.objects.filter(task_force=self.task_force, referral__in=self.referrals())
            .order_by("referral_id", "at", "pk")
            .values_list(
                "referral_id",
                "referral__person_id",
                "at",
                "from_status",
                "to_status",
                "reason__code",
                "actor_partner__kind",
            )
        )
        for referral, person, at, from_status, to_status, reason, kind in rows.iterator(chunk_size=2000):
            yield [
                self.key("referral", referral),
                self.person(person),
                self.shifted(person, _day(at, self.tz)),
                from_status,
                to_status,
                reason or "",
                kind or "",
            ]

    def need_rows(self):
        through = Referral.needs.through
        rows = (
            through.objects.filter(referral__in=self.referrals())
            .order_by("referral_id", "taxonomyterm__code")
            .values_list("referral_id", "taxonomyterm__code", "taxonomyterm__name")
        )
        for referral, code, name in rows.iterator(chunk_size=2000):
            yield [self.key("referral", referral), code, name]

    def outcome_rows(self):
        rows = (
            self.referrals()
            .filter(status__in=CLOSED_STATUSES)
            .order_by("closed_at", "pk")
            .values_list(
                "pk", "person_id", "status", "close_reason__code", "submitted_at", "acknowledged_at", "closed_at"
            )
        )
        for pk, person, status, reason, submitted, acknowledged, closed in rows.iterator(chunk_size=2000):
            days = [
                (_day(end, self.tz) - _day(submitted, self.tz)).days if end is not None else ""
                for end in (acknowledged, closed)
            ]
            yield [
                self.key("referral", pk),
                self.person(person),
                status,
                reason or "",
                self.shifted(person, _day(closed, self.tz)),
                *days,
            ]

    def meetings(self) -> QuerySet[Meeting]:
        return Meeting.objects.filter(task_force=self.task_force, start__gte=self.window[0], start__lt=self.window[1])

    def meeting_rows(self):
        rows = self.meetings().order_by("start", "pk").values_list("pk", "kind", "status", "start", "end")
        for pk, kind, status, start, end in rows.iterator(chunk_size=2000):
            yield [
                self.key("meeting", pk),
                kind,
                status,
                _day(start, self.tz).isoformat(),
                int((end - start).total_seconds() // 60),
            ]

    def attendance_rows(self):
        rows = (
            MeetingPartner.objects.filter(meeting__in=self.meetings())
            .order_by("meeting_id", "partner__name")
            .values_list("meeting_id", "partner__name", "partner__kind", "attendance")
        )
        for meeting, name, kind, attendance in rows.iterator(chunk_size=2000):
            yield [self.key("meeting", meeting), name, kind, attendance or ""]

    def crime_rows(self):
        rows = (
            CrimeCount.objects.filter(
                task_force=self.task_force,
                month__gte=self.grant.period_start.replace(day=1),
                month__lte=self.grant.period_end,
            )
            .order_by("month", "offense")
            .values_list("month", "offense", "count")
        )
        for month, offense, count in rows:
            yield [f"{month:%Y-%m}", offense, count]


def _csv(header: list[str], rows) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        count += 1
    return buffer.getvalue().encode("utf-8"), count


@dataclass
class Built:
    anonymity: Anonymity
    people: int
    content: bytes | None = None  # None: refused
    row_counts: dict[str, int] = field(default_factory=dict)
    suppressed_cells: int = 0


def build(extract: ResearchExtract, secret: bytes, tell: Callable[[int, str], None]) -> Built:
    """The extract's zip (or a refusal) and what it found. ``tell(percent, label)`` reports progress."""
    tables = Tables(extract, secret)
    tell(5, "people")
    people = tables.people()
    anonymity = anonymize(people, suppress=extract.suppress)
    built = Built(anonymity=anonymity, people=len(people))
    if anonymity.refused:
        return built
    tables.prepare(anonymity)
    files: dict[str, bytes] = {}
    steps = [
        ("referrals.csv", tables.referral_rows),
        ("transitions.csv", tables.transition_rows),
        ("needs.csv", tables.need_rows),
        ("outcomes.csv", tables.outcome_rows),
        ("meetings.csv", tables.meeting_rows),
        ("attendance.csv", tables.attendance_rows),
        ("crime_counts.csv", tables.crime_rows),
    ]
    for index, (name, rows) in enumerate(steps):
        tell(10 + index * 11, name.removesuffix(".csv"))
        files[name], built.row_counts[name] = _csv([column[0] for column in DICTIONARY[name]], rows())
    starred = {pk for pk, qi in anonymity.qis.items() if qi == (SUPPRESSED,) * 3}
    suppressed_rows = sum(1 for _ in tables.referrals().filter(person_id__in=starred).values("pk").iterator())
    built.suppressed_cells = suppressed_rows * len(QUASI_IDENTIFIERS)
    tell(90, "dictionary")
    files["data_dictionary.csv"], _ = _csv(["file", "column", "type", "meaning", "de_identification"], _dictionary())
    manifest = _manifest(extract, built)
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode()
    files["README.txt"] = _readme(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    built.content = out.getvalue()
    return built


def _dictionary():
    for name, columns in DICTIONARY.items():
        for column, kind, meaning, how in columns:
            yield [name, column, kind, meaning, how]


def _manifest(extract: ResearchExtract, built: Built) -> dict:
    anonymity = built.anonymity
    return {
        "task_force": extract.task_force.slug,
        "period": {"start": extract.grant.period_start.isoformat(), "end": extract.grant.period_end.isoformat()},
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "options": {
            "stable_key": extract.stable_key,
            "shift_dates": extract.shift_dates,
            "suppress": extract.suppress,
        },
        "quasi_identifiers": list(QUASI_IDENTIFIERS),
        "threshold": K_THRESHOLD,
        "k": anonymity.k,
        "people": built.people,
        "suppression": {
            "groups_below_threshold": anonymity.small_classes,
            "people_suppressed": anonymity.suppressed_people,
            "cells_suppressed": built.suppressed_cells,
            "people_unlinked": len(anonymity.unlinked),
        },
        "files": built.row_counts,
    }


def _readme(manifest: dict) -> str:
    suppression = manifest["suppression"]
    lines = [
        f"De-identified research extract of {manifest['task_force']}, "
        f"{manifest['period']['start']} to {manifest['period']['end']}.",
        f"Generated {manifest['generated_at']}.",
        "",
        f"k-anonymity over {', '.join(manifest['quasi_identifiers'])}: k = {manifest['k']} "
        f"(threshold {manifest['threshold']}); {manifest['people']} people.",
        "People are keyed pseudonyms (HMAC-SHA256, 16 hex characters): "
        + (
            "stable across this grant's extracts made with a stable key."
            if manifest["options"]["stable_key"]
            else "valid in this extract only."
        ),
        "Dates of a person's rows are shifted by a per-person offset of -30..+30 days."
        if manifest["options"]["shift_dates"]
        else "Dates are not shifted.",
        "Neighborhoods shared by fewer than 5 people of the extract are blank. No names, contact details, dates of "
        "birth, notes, hand-written reasons or meeting texts are included.",
    ]
    if manifest["options"]["suppress"]:
        lines.append(
            "Suppression: the age band, neighborhood and language of every person in a group smaller than 5 are '*' "
            f"({suppression['people_suppressed']} people, {suppression['cells_suppressed']} cells; group sizes "
            f"{suppression['groups_below_threshold']}). Where the '*' group itself has fewer than 5 people, their "
            f"rows are kept without a person pseudonym ({suppression['people_unlinked']} people unlinked)."
        )
    lines += [
        "",
        "Files (rows): " + ", ".join(f"{name} ({count})" for name, count in manifest["files"].items()),
        "data_dictionary.csv describes every column of every file.",
        "",
    ]
    return "\n".join(lines)
