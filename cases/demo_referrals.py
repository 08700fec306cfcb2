"""The demo district's people and referral history (``seed_demo``, issue 5 item 10): fictional people (with
aliases, languages, neighbourhoods and a few near-duplicate records for the duplicate check to find), their
consents (some expired, some revoked) and months of referrals between the demo partners ending now, in every
state of the lifecycle.

Each referral's history is simulated, not invented state by state: filed, submitted, acknowledged (mostly within
the task force's window of business days, some late and so marked overdue as the sweep would have), contact,
work, then an outcome, each move at a working hour of a business day in the task force's zone. Moves that would
come after ``now`` are cut off, so a referral's status is simply how far its history got: recent referrals are
open, older ones closed. Every move is one of ``lifecycle.TRANSITIONS`` (a test walks every chain), recorded as
the service would record it, with the demo accounts as actors where they act for a partner and a caseworker
account (``seed_caseworkers``) for each other hand-written partner; the generated partners of the full scale have
none, so their moves carry only their partner. Seeding writes no audit events, sends no email and
enqueues nothing: it is history, not activity; the in-app notifications of the last two weeks are written as
rows for the demo accounts' inbox, marked emailed (so the sweep of unsent emails leaves them alone).

Deterministic: people come from a fixed random seed and are the same at every scale (the small ones are the
first of the full ones); the history is a function of the scale, the directory and ``now``. Idempotent: a person
is matched by name and date of birth, and a person already in the database keeps what they have (their
consents and referrals are written only with them), so running it again adds nothing, and ``full`` after
``small`` adds the people ``small`` lacks. Reference numbers follow ``lifecycle._next_reference``: per year of
creation, in creation order, after the highest the task force already has (the task force row is locked, as
``referral_create`` does, so a referral filed meanwhile waits and then takes the next free number).

Bulk writes: every table in batches of ``BATCH`` rows, the referrals ``CHUNK`` at a time with their needs,
transitions and notes (the plan of the whole history is held, about 460 MB at the full scale: 60,000 people,
120,000 referrals; 5 minutes on PostgreSQL on the 2-core VM).
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, OuterRef, Subquery, Window
from django.db.models.functions import Coalesce, Greatest, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.demo_directory import NEIGHBOURHOODS, PARTNERS, TOWNS
from partners.models import Language, Membership, Partner, PartnerKind, Role, Service, TaskForce, TaxonomyTerm

from . import lifecycle, sla
from .consent import needs_consent
from .models import (
    OPEN_STATUSES,
    Consent,
    ConsentMethod,
    ConsentScope,
    ConsentShares,
    Note,
    NoteVisibility,
    Notification,
    Person,
    Priority,
    ReasonCode,
    ReasonKind,
    Referral,
    Status,
    Transition,
)
from .people import _fill_derived, fold
from .reasons import reason_codes_seed

SEED = 20261125
# Rows per INSERT, and referrals written per round (with their transitions, notes and links).
BATCH = 1000
CHUNK = 2000
# In-app notifications are written for the moves of the last two weeks; those of the last three days unread.
NOTIFY_DAYS = 14
UNREAD_DAYS = 3
UNREAD_NEWEST = 3  # and each account's newest notices stay unread, whatever day of the week the demo is seeded
# The overdue sweep runs every 15 minutes (psn/settings.py CELERY_BEAT_SCHEDULE).
SWEEP_MINUTES = 15


@dataclass(frozen=True)
class Scale:
    """How much history: people, referrals filed (transfers add their successors on top) and months."""

    people: int
    referrals: int
    months: int


SMALL = Scale(people=400, referrals=1440, months=18)
# DESIGN.md "Scale and speed": a district's ten years, 60,000 people and 120,000 referrals (with the transfers).
FULL = Scale(people=60_000, referrals=115_000, months=120)
SCALES = {"small": SMALL, "full": FULL}

S = Status
SENDING, RECEIVING = lifecycle.SENDING, lifecycle.RECEIVING
# The moves of the lifecycle's table, as (from, to): the only ones the history takes.
LEGAL_MOVES = frozenset((status, rule.to_status) for (status, _action), rule in lifecycle.TRANSITIONS.items())

# --- Word lists --------------------------------------------------------------------------------------------

GIVEN_NAMES = [
    "Aaliyah", "Adrian", "Alejandro", "Andre", "Anthony", "Antoine", "Ashanti", "Brandon", "Brianna", "Cameron",
    "Carlos", "Chris", "Christopher", "Cortez", "Daniel", "Darius", "Darnell", "David", "DeAndre", "Demetrius",
    "Deshawn", "Destiny", "Diamond", "Dominic", "Elijah", "Emmanuel", "Eric", "Esteban", "Isaiah", "Jabari",
    "Jalen", "Jamal", "Jasmine", "Javier", "Jayden", "Jermaine", "Jesús", "Jonathan", "Jordan", "José", "Joshua",
    "Juan", "Justin", "Kaden", "Kendrick", "Keyshawn", "Kiara", "Lamar", "Latoya", "Luis", "Malik", "Marcus",
    "Mario", "Marquise", "Michael", "Miguel", "Nia", "Nicholas", "Omar", "Quinton", "Ramón", "Raymond", "Reggie",
    "Ricardo", "Robert", "Samuel", "Shaquille", "Sofía", "Tavon", "Terrell", "Tiana", "Travis", "Trevon", "Tyrone",
    "Tyler", "Victor", "William", "Xavier", "Zion", "Abdi", "Ahmed", "Hassan", "Linh", "Minh", "Mohamed", "Ngozi",
]  # fmt: skip
FAMILY_NAMES = [
    "Allen", "Alvarez", "Anderson", "Baker", "Banks", "Bell", "Brooks", "Brown", "Bryant", "Butler", "Campbell",
    "Carter", "Castillo", "Clark", "Coleman", "Cooper", "Cruz", "Davis", "Dawson", "Díaz", "Edwards", "Ellis",
    "Evans", "Flores", "Ford", "Foster", "Franklin", "Gaines", "García", "Gibson", "Gómez", "Graham", "Gray",
    "Green", "Griffin", "Hall", "Harris", "Hayes", "Henderson", "Hernández", "Hill", "Holmes", "Howard", "Hughes",
    "Jackson", "James", "Jenkins", "Johnson", "Jones", "Jordan", "Kelly", "King", "Lee", "Lewis", "López",
    "Marshall", "Martin", "Martínez", "Mason", "McCoy", "Miller", "Mitchell", "Moore", "Morales", "Morgan",
    "Morris", "Muñoz", "Murphy", "Myers", "Nelson", "Nguyen", "Núñez", "Ortiz", "Owens", "Parker", "Patterson",
    "Peña", "Perry", "Peterson", "Phillips", "Powell", "Price", "Ramírez", "Reed", "Reyes", "Richardson",
    "Rivera", "Roberts", "Robinson", "Rodríguez", "Ross", "Russell", "Sanders", "Scott", "Simmons", "Smith",
    "Stewart", "Sullivan", "Taylor", "Thomas", "Thompson", "Torres", "Tran", "Turner", "Walker", "Wallace",
    "Ward", "Washington", "Watson", "White", "Williams", "Wilson", "Wright", "Young", "Yusuf", "Warsame",
]  # fmt: skip
# Other spellings and short forms people give: how the same person gets entered twice.
NICKNAMES = {
    "Anthony": "Tony", "Christopher": "Chris", "Jonathan": "Jon", "Michael": "Mike", "Nicholas": "Nick",
    "Robert": "Rob", "Daniel": "Danny", "William": "Will", "Joshua": "Josh", "Samuel": "Sam", "Raymond": "Ray",
    "Reggie": "Reginald", "Demetrius": "Meech", "Marcus": "Marc", "DeAndre": "Dre", "Emmanuel": "Manny",
}  # fmt: skip
STREET_NAMES = [
    "Lil Man", "Smoke", "Tank", "Junebug", "Peanut", "Boo", "Ghost", "Slim", "Red", "Bird", "Man-Man", "Pooh",
    "Tre", "Spider", "Face", "Scoob", "Bam", "Black", "Snoop", "Tiny", "Duke", "Ace", "Juice", "Nephew",
]  # fmt: skip
LANGUAGE_MIX = [("en", 70), ("es", 19), ("", 4), ("vi", 2), ("so", 2), ("ar", 1), ("sw", 1), ("fr", 1)]
AREA_CODES = ["816", "913", "660", "975"]

# Need codes of the default taxonomy and how often they are the reason of a referral.
NEED_MIX = {
    "PSN-EMP": 15, "PSN-MEN": 10, "PSN-HOU": 10, "PSN-MH": 10, "PSN-SUD": 8, "PSN-VS": 8, "PSN-REN": 8,
    "PSN-EDU": 7, "PSN-OUT": 6, "PSN-YTH": 6, "PSN-LEG": 4, "PSN-BEN": 4, "PSN-ID": 4, "PSN-FOOD": 4,
    "PSN-FAM": 4, "PSN-HLT": 4, "PSN-TRN": 3, "PSN-FIN": 3, "PSN-REL": 2, "PSN-TAT": 1,
}  # fmt: skip
# Who sends referrals, by partner kind (weights).
SENDER_MIX = {
    PartnerKind.LAW_ENFORCEMENT: 30, PartnerKind.COMMUNITY: 18, PartnerKind.GOVERNMENT: 14,
    PartnerKind.SERVICE_PROVIDER: 14, PartnerKind.PROSECUTION: 12, PartnerKind.FAITH_BASED: 8, PartnerKind.OTHER: 2,
}  # fmt: skip
# A partner with a demo account that acts on referrals sends and receives this many times its share: the demo
# accounts see a busy inbox.
DEMO_PARTNER_WEIGHT = 6
PRIORITY_MIX = [(Priority.ROUTINE, 70), (Priority.URGENT, 20), (Priority.ASAP, 8), (Priority.STAT, 2)]
# Reason codes (of cases/reasons.py) and how often each is given.
REASON_MIX = {
    ReasonKind.DECLINE: {"no_capacity": 35, "not_eligible": 25, "person_unreachable": 15,
                         "service_not_offered": 10, "duplicate": 8, "other": 7},
    ReasonKind.UNSUCCESSFUL: {"could_not_contact": 40, "person_declined_services": 25, "moved_away": 12,
                              "incarcerated": 12, "deceased": 2, "other": 9},
    ReasonKind.OUTCOME: {"service_completed": 35, "goals_met": 20, "enrolled_placed": 25, "referred_onward": 8,
                         "partially_completed": 12},
    ReasonKind.WITHDRAW: {"sent_in_error": 30, "person_declined": 35, "need_met_elsewhere": 25, "other": 10},
}  # fmt: skip
REASON_TEXTS = [
    "Waiting list is closed until next quarter.",
    "Talked it over with the person and their family.",
    "Program rules changed this month.",
    "See the shared note for details.",
    "Person asked us to stop after the second meeting.",
    "Agreed in the case review meeting.",
]
REFERRAL_REASONS = {
    "PSN-EMP": "Wants steady work after release; has a forklift certificate and asked for job leads.",
    "PSN-MEN": "Young man at risk of retaliation; family asked for a mentor he can trust.",
    "PSN-HOU": "Staying on a friend's couch; needs a safe place to live away from the block.",
    "PSN-MH": "Witnessed a shooting last month; trouble sleeping and asked to talk to someone.",
    "PSN-SUD": "Asked for help with drinking; ready to start outpatient treatment.",
    "PSN-VS": "Victim of an aggravated assault; needs advocacy and help with the compensation claim.",
    "PSN-REN": "Released last week after four years; needs reentry planning and support.",
    "PSN-EDU": "Left school in 10th grade; wants to finish the HiSET.",
    "PSN-OUT": "Named in a group conflict; outreach worker should make contact this week.",
    "PSN-YTH": "15 years old, out of school for the summer; mother asked for a program.",
}
DEFAULT_REFERRAL_REASON = "Came to us for help; consented to this referral and is expecting a call."
NOTE_TEXTS = {
    "submit": [
        "Met him at the district station; best reached in the afternoon.",
        "She prefers text messages. Her sister is the back-up contact.",
        "Urgent: the person's situation changed over the weekend.",
        "Discussed in the call-in; he asked for this service himself.",
    ],
    "internal_send": [
        "Our detective follows this one; keep the sergeant informed.",
        "Check back in two weeks if we hear nothing.",
    ],
    "ack": [
        "Intake is scheduled; we will call the person tomorrow.",
        "Assigned to our case manager on the east side team.",
        "Received. We have an opening in the next cohort.",
    ],
    "contact": [
        "Reached the person by phone; first meeting set for next week.",
        "Met in person at our office; intake forms done.",
        "Outreach worker met him on the block; he agreed to come in.",
    ],
    "work": [
        "Attended the session this week; engaged and on time.",
        "Missed the appointment; rescheduled for Monday.",
        "Started the program; bus pass provided.",
        "Good progress; housing application submitted.",
        "Needs an ID before we can go further: working on the birth certificate.",
    ],
    "internal_work": [
        "Case manager on leave next week; covering worker informed.",
        "Flagged for the next case review.",
        "Safety concern raised by staff: do not schedule evening sessions.",
    ],
    "close": [
        "Closing our side: see the outcome recorded.",
        "Final meeting held; thank you for the referral.",
        "We tried three times by phone and once in person.",
    ],
}
CONSENT_REVOKE_REASONS = ["Asked us to stop sharing.", "Moved out of state.", "Withdrew consent at the review."]


# --- People ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PersonSpec:
    given_name: str
    family_name: str
    aliases: str
    date_of_birth: datetime.date | None
    phone: str
    language: str
    neighborhood: str
    duplicate_of: int | None = None  # index of the earlier record this one duplicates (a near-duplicate)

    @property
    def key(self) -> tuple[str, str, datetime.date | None]:
        return (self.given_name, self.family_name, self.date_of_birth)


class Mix:
    """Weighted choices with the cumulative weights computed once: the full history draws millions."""

    __slots__ = ("cumulative", "values")

    def __init__(self, pairs: Iterable[tuple[object, float]]):
        pairs = [(value, weight) for value, weight in pairs if weight > 0]
        self.values = [value for value, _weight in pairs]
        self.cumulative = list(itertools.accumulate(weight for _value, weight in pairs))

    def __bool__(self) -> bool:
        return bool(self.values)

    def pick(self, rng: random.Random):
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


LANGUAGES = Mix(LANGUAGE_MIX)
PRIORITIES = Mix(PRIORITY_MIX)
ON_TIME_DAYS = Mix([(0, 45), (1, 40), (2, 15)])  # business days to an answer given in time
WORK_NOTES = Mix([(0, 25), (1, 40), (2, 25), (3, 10)])  # notes written while the work runs


class Calendar:
    """The business days (sla.is_business_day) from ``first`` to ``last``, listed once: "n business days later"
    is then a bisection, not n holiday lookups."""

    def __init__(self, first: datetime.date, last: datetime.date):
        span = range((last - first).days + 1)
        self.days = [day for day in (first + datetime.timedelta(n) for n in span) if sla.is_business_day(day)]
        self.business = frozenset(self.days)

    def after(self, day: datetime.date, business_days: int = 1) -> datetime.date:
        """The ``business_days``-th business day after ``day`` (the calendar's last day beyond its end)."""
        index = bisect.bisect_right(self.days, day) + business_days - 1
        return self.days[min(index, len(self.days) - 1)]


def _unaccented(name: str) -> str:
    return " ".join(part[:1].upper() + part[1:] for part in fold(name).split(" ")) if name else name


def _misspelt(rng: random.Random, name: str) -> str:
    """A typo a person at intake makes: two letters swapped, one doubled or one dropped."""
    if len(name) < 4:
        return name + name[-1]
    i = rng.randrange(1, len(name) - 2)
    kind = rng.random()
    if kind < 0.4:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind < 0.7:
        return name[:i] + name[i] + name[i:]
    return name[:i] + name[i + 1 :]


def _new_person(rng: random.Random) -> PersonSpec:
    given = rng.choice(GIVEN_NAMES)
    family = rng.choice(FAMILY_NAMES)
    aliases = []
    if rng.random() < 0.22:
        aliases.append(rng.choice(STREET_NAMES))
    if rng.random() < 0.06:
        aliases.append(f"{given} {rng.choice(FAMILY_NAMES)}")
    # Mostly young adults, born 1965 to 2011 (a fixed range: the same people whatever day the seed runs).
    dob = None
    if rng.random() < 0.9:
        year = max(1965, min(2011, 2011 - int(rng.expovariate(1 / 9))))
        dob = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))
    phone = ""
    if rng.random() < 0.55:
        phone = f"({rng.choice(AREA_CODES)}) 555-01{rng.randrange(100):02d}"
    if rng.random() < 0.88:
        neighborhood = rng.choice(NEIGHBOURHOODS)[0]
    else:
        neighborhood = rng.choice([town for town, _zip, _county in TOWNS] + [""])
    return PersonSpec(given, family, "\n".join(aliases), dob, phone, LANGUAGES.pick(rng), neighborhood)


def _near_duplicate(rng: random.Random, index: int, original: PersonSpec) -> PersonSpec:
    """The same person entered again: the name spelt or shortened differently, the same date of birth (now and
    then with day and month swapped), often the same phone."""
    given, family = original.given_name, original.family_name
    choice = rng.random()
    if _unaccented(given + " " + family) != given + " " + family and choice < 0.5:
        given, family = _unaccented(given), _unaccented(family)
    elif given in NICKNAMES and choice < 0.8:
        given = NICKNAMES[given]
    else:
        family = _misspelt(rng, family)
    dob = original.date_of_birth
    if dob is not None and dob.day <= 12 and dob.day != dob.month and rng.random() < 0.2:
        dob = dob.replace(month=dob.day, day=dob.month)
    phone = original.phone if rng.random() < 0.5 else ""
    aliases = original.aliases if rng.random() < 0.5 else ""
    return PersonSpec(given, family, aliases, dob, phone, original.language, original.neighborhood, index)


def build_people(count: int) -> list[PersonSpec]:
    """``count`` people, the same first ones at every count; about one in twenty a near-duplicate of an earlier
    one. Keys (name and date of birth) are unique."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    people: list[PersonSpec] = []
    keys: set = set()
    while len(people) < count:
        if len(people) > 10 and rng.random() < 0.05:
            j = rng.randrange(len(people))
            spec = _near_duplicate(rng, j, people[j])
        else:
            spec = _new_person(rng)
        if spec.key not in keys:
            keys.add(spec.key)
            people.append(spec)
    return people


# --- The directory as the history sees it -----------------------------------------------------------------


@dataclass
class Cast:
    """What the history is made of, read once: partners, services by need, terms, reason codes, demo users."""

    task_force: TaskForce
    partners: dict[int, Partner]
    senders: Mix
    receivers_by_need: dict[str, list[tuple[tuple[int, int], float]]]
    receivers: dict[str, Mix]
    terms: dict[str, int]
    reasons: dict[str, dict[str, ReasonCode]]
    actors: dict[int, list]  # partner id -> users who move its referrals (referral staff, partner admins)
    writers: dict[int, list]  # partner id -> users who write its notes (any member)

    @property
    def zone(self):
        return self.task_force.tzinfo


def _cast(task_force: TaskForce) -> Cast:
    partners = {p.pk: p for p in Partner.objects.filter(task_force=task_force, active=True).order_by("name", "pk")}
    ids = list(partners)
    actors: dict[int, list] = defaultdict(list)
    writers: dict[int, list] = defaultdict(list)
    memberships = (
        Membership.objects.filter(task_force=task_force, active=True, user__is_active=True, partner__in=ids)
        .select_related("user")
        .order_by("user__email", "pk")
    )
    for membership in memberships:
        writers[membership.partner_id].append(membership.user)
        if membership.role in (Role.REFERRAL_STAFF, Role.PARTNER_ADMIN):
            actors[membership.partner_id].append(membership.user)

    def weight(partner_id: int) -> float:
        return DEMO_PARTNER_WEIGHT if actors.get(partner_id) else 1

    senders = Mix((pk, SENDER_MIX[p.kind] * weight(pk)) for pk, p in partners.items() if p.kind in SENDER_MIX)
    services = (
        Service.objects.filter(task_force=task_force, active=True, partner__in=ids)
        .order_by("partner__name", "name", "pk")
        .prefetch_related("categories")
    )
    receivers: dict[str, list] = defaultdict(list)
    for service in services:
        for term in service.categories.all():
            receivers[term.code].append(((service.partner_id, service.pk), weight(service.partner_id)))
    terms = dict(TaxonomyTerm.objects.filter(task_force=task_force, active=True).values_list("code", "pk"))
    reasons: dict[str, dict[str, ReasonCode]] = defaultdict(dict)
    for code in ReasonCode.objects.filter(task_force=task_force, active=True).order_by("kind", "position", "pk"):
        reasons[code.kind][code.code] = code
    mixes = {code: Mix(options) for code, options in receivers.items()}
    return Cast(task_force, partners, senders, dict(receivers), mixes, terms, dict(reasons), actors, writers)


def seed_caseworkers(task_force: TaskForce, *, domain: str) -> int:
    """A referral staff account for each hand-written demo partner that has nobody to act on referrals
    (``caseworkerNN@domain``, without a password: nobody signs in with them), so that every move and note of
    the small demo has a person behind it. The generated partners of the full scale get none: their moves have
    only their partner. Returns how many accounts were created."""
    User = get_user_model()
    rng = random.Random(SEED + 4)  # noqa: S311 - demo data, not security
    acting = set(
        Membership.objects.filter(
            task_force=task_force, active=True, role__in=[Role.REFERRAL_STAFF, Role.PARTNER_ADMIN]
        ).values_list("partner_id", flat=True)
    )
    partners = {p.name: p for p in Partner.objects.filter(task_force=task_force, name__in=[r[0] for r in PARTNERS])}
    created = 0
    for index, row in enumerate(PARTNERS, start=1):
        name = f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}"
        partner = partners.get(row[0])
        if partner is None or partner.pk in acting or partner.kind == PartnerKind.RESEARCH:
            continue
        email = f"caseworker{index:02d}@{domain}"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=name)
            created += 1
        Membership.objects.get_or_create(
            user=user, partner=partner, defaults={"role": Role.REFERRAL_STAFF, "task_force": task_force}
        )
    return created


# --- The history -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Move:
    at: datetime.datetime
    from_status: str
    to_status: str
    partner_id: int
    actor: object | None
    reason: ReasonCode | None = None
    text: str = ""


@dataclass(slots=True)
class NoteSpec:
    at: datetime.datetime
    partner_id: int
    author: object | None
    visibility: str
    body: str
    is_contact: bool = False


@dataclass(slots=True)
class ReferralSpec:
    person: int
    created_at: datetime.datetime
    sending: int
    receiving: int
    service: int | None
    needs: list[int]
    priority: str
    due_date: datetime.date | None
    reason: str
    moves: list[Move] = field(default_factory=list)
    notes: list[NoteSpec] = field(default_factory=list)
    status: str = S.DRAFT
    submitted_at: datetime.datetime | None = None
    acknowledge_by: datetime.datetime | None = None
    acknowledged_at: datetime.datetime | None = None
    overdue_at: datetime.datetime | None = None
    first_contact_at: datetime.datetime | None = None
    closed_at: datetime.datetime | None = None
    close_reason: ReasonCode | None = None
    successor: ReferralSpec | None = None
    reference: str = ""

    def all(self) -> list[ReferralSpec]:
        return [self] + ([self.successor] if self.successor else [])


class _History:
    """Simulates referrals against the clock: each move at a working hour of a business day, none after ``now``."""

    def __init__(self, cast: Cast, now: datetime.datetime, rng: random.Random, start: datetime.datetime):
        self.cast, self.now, self.rng, self.zone = cast, now, rng, cast.zone
        self.codes = {pk: code for code, pk in cast.terms.items()}
        # A year beyond now: moves that far ahead are cut anyway.
        self.calendar = Calendar(
            start.astimezone(self.zone).date(), now.astimezone(self.zone).date() + datetime.timedelta(400)
        )
        self.reasons = {
            kind: Mix((code, weight) for code, weight in mix.items() if code in cast.reasons.get(kind, {}))
            for kind, mix in REASON_MIX.items()
        }

    # Time.

    def work_time(self, day: datetime.date, earliest: datetime.datetime | None = None) -> datetime.datetime:
        at = datetime.datetime.combine(
            day, datetime.time(self.rng.randrange(8, 17), self.rng.randrange(60)), tzinfo=self.zone
        )
        if earliest is not None and at <= earliest:
            at = earliest + datetime.timedelta(minutes=self.rng.randrange(5, 90))
        return at

    def later(self, at: datetime.datetime, business_days: int) -> datetime.datetime:
        """A working time ``business_days`` business days after ``at`` (0: later the same day)."""
        day = at.astimezone(self.zone).date()
        if business_days:
            day = self.calendar.after(day, business_days)
        return self.work_time(day, earliest=at)

    # Choices.

    def user(self, partner_id: int, pool: dict[int, list]):
        users = pool.get(partner_id)
        return self.rng.choice(users) if users else None

    def reason(self, kind: str) -> tuple[ReasonCode | None, str]:
        codes = self.cast.reasons.get(kind, {})
        if not codes:
            return None, ""
        mix = self.reasons[kind]
        code = codes[mix.pick(self.rng)] if mix else self.rng.choice(list(codes.values()))
        text = self.rng.choice(REASON_TEXTS) if code.needs_text or self.rng.random() < 0.2 else ""
        return code, text

    def note(self, spec: ReferralSpec, at, side: str, kind: str, visibility=NoteVisibility.SHARED, contact=False):
        partner_id = spec.sending if side == SENDING else spec.receiving
        body = self.rng.choice(NOTE_TEXTS[kind])
        # A contact note records contact: the receiving partner's referral staff write it (notes.note_add).
        author = self.user(partner_id, self.cast.actors if contact else self.cast.writers)
        spec.notes.append(NoteSpec(at, partner_id, author, visibility, body, contact))

    # Moves.

    def move(self, spec: ReferralSpec, at, to_status: str, side: str, reason_kind: str | None = None, **kw) -> bool:
        """Apply one move if it happens by now (False: history stops here)."""
        if at > self.now:
            return False
        partner_id = kw.get("partner_id") or (spec.sending if side == SENDING else spec.receiving)
        actor = kw.get("actor", self.user(partner_id, self.cast.actors))
        reason, text = self.reason(reason_kind) if reason_kind else (None, "")
        from_status = "" if kw.get("first") else spec.status
        if not kw.get("first") and (spec.status, to_status) not in LEGAL_MOVES:  # pragma: no cover - a bug here
            raise AssertionError(f"illegal demo move {spec.status} -> {to_status}")
        spec.moves.append(Move(at, from_status, to_status, partner_id, actor, reason, text))
        spec.status = to_status
        if to_status not in OPEN_STATUSES:
            spec.closed_at, spec.close_reason = at, reason
        return True

    def submitted(self, spec: ReferralSpec, at) -> None:
        spec.submitted_at = at
        spec.acknowledge_by = sla.acknowledge_deadline(self.cast.task_force, at)

    def mark_overdue(self, spec: ReferralSpec, until: datetime.datetime | None) -> None:
        """As the sweep would have: within a quarter of an hour after the deadline, if it came before ``until``
        (the acknowledgement) and by now."""
        marked = spec.acknowledge_by + datetime.timedelta(minutes=self.rng.randrange(1, SWEEP_MINUTES))
        if marked <= self.now and (until is None or marked < until):
            spec.overdue_at = marked

    def run(self, spec: ReferralSpec, *, successor_of: ReferralSpec | None = None) -> None:
        rng = self.rng
        if successor_of is None:
            if not self.move(spec, spec.created_at, S.DRAFT, SENDING, first=True):
                return
            fate = rng.random()
            if fate < 0.01:
                return  # an abandoned draft
            if fate < 0.022:
                self.move(spec, self.later(spec.created_at, rng.randrange(0, 4)), S.WITHDRAWN, SENDING, "withdraw")
                return
            delay = rng.random()
            if delay < 0.75:
                at = spec.created_at + datetime.timedelta(minutes=rng.randrange(5, 90))
            else:
                at = self.later(spec.created_at, 1 if delay < 0.95 else rng.randrange(2, 5))
            if not self.move(spec, at, S.SUBMITTED, SENDING):
                return
            self.submitted(spec, at)
            if rng.random() < 0.35:
                self.note(spec, at + datetime.timedelta(minutes=rng.randrange(1, 10)), SENDING, "submit")
            if rng.random() < 0.12:
                self.note(spec, at + datetime.timedelta(minutes=rng.randrange(10, 60)), SENDING, "internal_send",
                          NoteVisibility.INTERNAL)  # fmt: skip
        else:
            # A transfer: the receiving partner of the first referral files and submits this one at once.
            original = successor_of
            actor = original.moves[-1].actor
            self.move(spec, spec.created_at, S.SUBMITTED, RECEIVING, first=True, partner_id=original.receiving,
                      actor=actor)  # fmt: skip
            self.submitted(spec, spec.created_at)
        self.acknowledge(spec, transfers=successor_of is None)

    def acknowledge(self, spec: ReferralSpec, *, transfers: bool) -> None:
        """The receiving partner's answer (or the sender's withdrawal first), on time or late; a referral still
        unanswered past its deadline is marked overdue as the sweep would have."""
        rng = self.rng
        submitted = spec.submitted_at
        lateness = rng.random()
        if lateness < 0.005:  # never acknowledged: overdue ever since
            self.mark_overdue(spec, None)
            return
        if lateness < 0.85:
            at = self.later(submitted, ON_TIME_DAYS.pick(rng))
        else:
            at = self.later(submitted, rng.randrange(3, 10))
        fate = rng.random()
        if fate < 0.02:
            at = self.later(submitted, rng.randrange(0, 3))
        if at > spec.acknowledge_by:
            self.mark_overdue(spec, at)
        if fate < 0.02:
            self.move(spec, at, S.WITHDRAWN, SENDING, "withdraw")
            return
        if transfers and fate < 0.035:
            self.transfer(spec, at)
            return
        if fate < 0.16:
            if self.move(spec, at, S.DECLINED, RECEIVING, "decline"):
                spec.acknowledged_at = at
            return
        if not self.move(spec, at, S.ACCEPTED, RECEIVING):
            return
        spec.acknowledged_at = at
        if rng.random() < 0.35:
            self.note(spec, at + datetime.timedelta(minutes=rng.randrange(1, 30)), RECEIVING, "ack")
        self.work(spec, at, transfers=transfers)

    def contact(self, spec: ReferralSpec, at) -> None:
        if at <= self.now and spec.first_contact_at is None:
            spec.first_contact_at = at
            self.note(spec, at, RECEIVING, "contact", contact=True)

    def work(self, spec: ReferralSpec, accepted: datetime.datetime, *, transfers: bool) -> None:
        rng = self.rng
        fate = rng.random()
        if transfers and fate < 0.015:
            self.transfer(spec, self.later(accepted, rng.randrange(1, 6)))
            return
        if fate < 0.075:
            at = self.later(accepted, rng.randrange(5, 16))
            if self.move(spec, at, S.CLOSED_UNSUCCESSFUL, RECEIVING, "unsuccessful") and rng.random() < 0.5:
                self.note(spec, at, RECEIVING, "close")
            return
        if fate < 0.095:
            self.move(spec, self.later(accepted, rng.randrange(1, 11)), S.WITHDRAWN, SENDING, "withdraw")
            return
        if rng.random() < 0.85:  # contact first, then the work starts
            contact = self.later(accepted, rng.randrange(0, 4))
            start = self.later(contact, rng.randrange(0, 3))
        else:
            start = self.later(accepted, rng.randrange(0, 4))
            contact = self.later(start, rng.randrange(0, 6))
        if contact <= start:
            self.contact(spec, contact)
        if not self.move(spec, start, S.IN_PROGRESS, RECEIVING):
            return
        fate = rng.random()
        if transfers and fate < 0.02:
            kind, end = "transfer", self.later(start, rng.randrange(5, 31))
        elif fate < 0.14:
            kind, end = "unsuccessful", self.later(start, rng.randrange(10, 51))
        elif fate < 0.18:
            kind, end = "withdraw", self.later(start, rng.randrange(5, 41))
        else:
            kind, end = "outcome", self.later(start, rng.randrange(10, 81))
        if contact > start:  # recorded while the work runs, before it ends
            self.contact(spec, min(contact, end - datetime.timedelta(hours=1)))
        for _note in range(WORK_NOTES.pick(rng)):
            at = start + (end - start) * rng.random()
            if at <= self.now:
                internal = rng.random() < 0.3
                side = RECEIVING if rng.random() < 0.8 else SENDING
                if internal:
                    self.note(spec, at, side, "internal_work", NoteVisibility.INTERNAL)
                else:
                    self.note(spec, at, side, "work")
        if kind == "transfer":
            self.transfer(spec, end)
            return
        if kind == "withdraw":
            self.move(spec, end, S.WITHDRAWN, SENDING, "withdraw")
            return
        status = S.COMPLETED if kind == "outcome" else S.CLOSED_UNSUCCESSFUL
        if self.move(spec, end, status, RECEIVING, kind) and rng.random() < 0.4:
            self.note(spec, end + datetime.timedelta(minutes=rng.randrange(1, 20)), RECEIVING, "close")

    def transfer(self, spec: ReferralSpec, at) -> None:
        """Hand on to another partner offering the same need (none: the referral simply carries on unanswered)."""
        code = self.need_code_of(spec)
        options = [
            (key, weight)
            for key, weight in self.cast.receivers_by_need.get(code, [])
            if key[0] not in (spec.sending, spec.receiving)
        ]
        if not options or not self.move(spec, at, S.TRANSFERRED, RECEIVING):
            return
        partner_id, service_id = Mix(options).pick(self.rng)
        successor = ReferralSpec(
            person=spec.person,
            created_at=at,
            sending=spec.sending,
            receiving=partner_id,
            service=service_id if self.rng.random() < 0.8 else None,
            needs=list(spec.needs),
            priority=spec.priority,
            due_date=spec.due_date,
            reason=spec.reason,
        )
        spec.successor = successor
        self.run(successor, successor_of=spec)

    def need_code_of(self, spec: ReferralSpec) -> str:
        return self.codes.get(spec.needs[0], "")


def _instants(rng: random.Random, calendar: Calendar, start, now, count: int, zone) -> list:
    """``count`` filing times of one person within a few months of a random arrival, mostly on business days at
    working hours. Times past ``now`` wrap around to the start of the period, so filings are spread evenly over
    it (a person arriving late in the period does not crowd the last weeks)."""
    span = (now - start).total_seconds()
    arrival = span * rng.random()
    window = min(86400 * (30 + count * rng.randrange(20, 120)), span)
    offsets = [0.0, *(rng.random() for _ in range(count - 1))]
    result = []
    for offset in offsets:
        at = (start + datetime.timedelta(seconds=(arrival + window * offset) % span)).astimezone(zone)
        day = at.date()
        if day not in calendar.business and rng.random() < 0.85:
            day = calendar.after(day)
        at = datetime.datetime.combine(day, datetime.time(rng.randrange(8, 18), rng.randrange(60)), tzinfo=zone)
        result.append(min(at, now - datetime.timedelta(minutes=rng.randrange(1, 120))))
    return sorted(result)


def build_history(cast: Cast, people: list[PersonSpec], scale: Scale, now: datetime.datetime) -> list[ReferralSpec]:
    """The referrals of ``people`` (indexes into it), in filing order, each with its moves and notes up to ``now``.
    Three fresh ones at the end make sure the small demo always shows a draft, a new and an overdue referral."""
    rng = random.Random(SEED + 1)  # noqa: S311 - demo data, not security
    needs = Mix((code, weight) for code, weight in NEED_MIX.items() if cast.receivers_by_need.get(code))
    if not needs or not cast.senders or not people or scale.referrals <= 0:
        return []
    start = now - datetime.timedelta(days=round(scale.months * 30.44))
    zone = cast.zone
    referred = max(1, min(len(people), round(len(people) * 0.93), scale.referrals))
    intensity = [rng.paretovariate(1.6) for _ in range(referred)]
    counts = [1] * referred
    for index in rng.choices(range(referred), weights=intensity, k=max(0, scale.referrals - referred)):
        counts[index] += 1
    history = _History(cast, now, rng, start)
    filings = [
        (at, person)
        for person, count in enumerate(counts)
        for at in _instants(rng, history.calendar, start, now, count, zone)
    ]
    filings.sort(key=lambda item: (item[0], item[1]))
    specs = []
    for created_at, person in filings:
        spec = _new_spec(cast, rng, needs, person, created_at)
        if spec is not None:
            history.run(spec)
            specs.append(spec)
    # Fresh work of today, for the demo accounts' partners where they have some: a draft being written, a
    # referral just submitted to them, one unanswered for a week.
    fresh = [(S.DRAFT, now - datetime.timedelta(minutes=40)), (S.SUBMITTED, now - datetime.timedelta(hours=2))]
    fresh.append(("overdue", now - datetime.timedelta(days=9)))
    for target, created_at in fresh:
        spec = _new_spec(cast, rng, needs, rng.randrange(referred), created_at)
        if spec is None:
            continue
        _to_demo_partners(cast, rng, spec, sender=target == S.DRAFT)
        history.move(spec, created_at, S.DRAFT, SENDING, first=True)
        if target != S.DRAFT:
            at = created_at + datetime.timedelta(minutes=10)
            history.move(spec, at, S.SUBMITTED, SENDING)
            history.submitted(spec, at)
            if target == "overdue":
                history.mark_overdue(spec, None)
        specs.append(spec)
    return specs


def _to_demo_partners(cast: Cast, rng: random.Random, spec: ReferralSpec, *, sender: bool) -> None:
    """Make a demo account's partner the receiving one (``sender``: the sending one) when there is such a
    partner offering a need."""
    if sender:
        options = [pk for pk in cast.actors if pk != spec.receiving and cast.partners[pk].kind in SENDER_MIX]
        if options:
            spec.sending = rng.choice(sorted(options))
        return
    for code in NEED_MIX:
        options = [(key, w) for key, w in cast.receivers_by_need.get(code, []) if key[0] in cast.actors]
        options = [(key, w) for key, w in options if key[0] != spec.sending]
        if options:
            spec.receiving, spec.service = Mix(options).pick(rng)
            spec.needs = [cast.terms[code]]
            spec.reason = REFERRAL_REASONS.get(code, DEFAULT_REFERRAL_REASON)
            return


def _new_spec(cast: Cast, rng: random.Random, needs, person: int, created_at) -> ReferralSpec | None:
    code = needs.pick(rng)
    partner_id, service_id = cast.receivers[code].pick(rng)
    for _attempt in range(20):  # a partner does not refer to itself
        sending = cast.senders.pick(rng)
        if sending != partner_id:
            break
    else:
        return None
    need_ids = [cast.terms[code]]
    if rng.random() < 0.3:
        other = needs.pick(rng)
        if other != code:
            need_ids.append(cast.terms[other])
    due = None
    if rng.random() < 0.4:
        due = created_at.date() + datetime.timedelta(days=rng.randrange(14, 46))
    return ReferralSpec(
        person=person,
        created_at=created_at,
        sending=sending,
        receiving=partner_id,
        service=service_id if rng.random() < 0.8 else None,
        needs=need_ids,
        priority=PRIORITIES.pick(rng),
        due_date=due,
        reason=REFERRAL_REASONS.get(code, DEFAULT_REFERRAL_REASON),
    )


# --- Consents ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ConsentSpec:
    person: int
    scope: str
    partners: list[int]
    shares: list[str]
    method: str
    given_on: datetime.date
    expires_on: datetime.date | None
    recorded_by: object | None
    recorded_by_partner: int | None
    recorded_at: datetime.datetime
    revoked_at: datetime.datetime | None = None
    revoked_by: object | None = None
    revoke_reason: str = ""


def build_consents(
    cast: Cast, people: list[PersonSpec], specs: list[ReferralSpec], now: datetime.datetime
) -> list[ConsentSpec]:
    """One consent per person referred to a partner that needs it (``consent.needs_consent``), given by the first
    submission and valid through the last one; some expired since, some revoked. Most people referred only to
    government partners gave one too."""
    rng = random.Random(SEED + 2)  # noqa: S311 - demo data, not security
    zone = cast.zone
    by_person: dict[int, list[ReferralSpec]] = defaultdict(list)
    for spec in specs:
        for one in spec.all():
            by_person[one.person].append(one)
    consents = []
    for person in sorted(by_person):
        referrals = by_person[person]
        covered = sorted({r.receiving for r in referrals if needs_consent(cast.partners[r.receiving])})
        if not covered and rng.random() < 0.3:
            continue
        first = min(r.created_at for r in referrals)
        last = max((r.submitted_at or r.created_at) for r in referrals)
        given_on = first.astimezone(zone).date() - datetime.timedelta(days=rng.choice([0, 0, 0, 1, 3, 10]))
        expires_on = None
        if rng.random() < 0.75:
            expires_on = max(given_on + datetime.timedelta(days=365), last.astimezone(zone).date())
            expires_on += datetime.timedelta(days=rng.randrange(0, 120))
        scope = ConsentScope.TASK_FORCE if not covered or rng.random() < 0.7 else ConsentScope.PARTNERS
        sender = referrals[0].sending
        consent = ConsentSpec(
            person=person,
            scope=scope,
            partners=covered if scope == ConsentScope.PARTNERS else [],
            shares=list(ConsentShares.values) if rng.random() < 0.6 else [ConsentShares.CONTACT, ConsentShares.NEEDS],
            method=ConsentMethod.VERBAL if rng.random() < 0.55 else ConsentMethod.WRITTEN,
            given_on=given_on,
            expires_on=expires_on,
            recorded_by=referrals[0].moves[0].actor if referrals[0].moves else None,
            recorded_by_partner=sender,
            recorded_at=first - datetime.timedelta(minutes=1),  # the person was entered a moment before
        )
        latest = max(m.at for r in referrals for m in r.moves) if any(r.moves for r in referrals) else first
        revoked = latest + datetime.timedelta(days=rng.randrange(1, 60))
        if rng.random() < 0.03 and revoked <= now and (expires_on is None or revoked.date() <= expires_on):
            consent.revoked_at = revoked
            consent.revoked_by = consent.recorded_by
            consent.revoke_reason = rng.choice(CONSENT_REVOKE_REASONS)
        consents.append(consent)
    return consents


# --- Writing -----------------------------------------------------------------------------------------------


def _assign_references(task_force: TaskForce, specs: list[ReferralSpec]) -> None:
    """R-YYYY-NNNNNN by year of filing (the task force's zone), in filing order, after the task force's highest
    number of that year (``lifecycle._next_reference``: what ``referral_create`` continues from)."""
    zone = task_force.tzinfo
    every = sorted((one for spec in specs for one in spec.all()), key=lambda r: (r.created_at, r.person))
    following: dict[int, int] = {}
    for referral in every:
        year = referral.created_at.astimezone(zone).year
        if year not in following:
            reference = lifecycle._next_reference(task_force=task_force, year=year)
            following[year] = int(lifecycle.REFERENCE_PATTERN.match(reference).group(2))
        referral.reference = f"R-{year}-{following[year]:06d}"
        following[year] += 1


def _person_row(task_force: TaskForce, spec: PersonSpec, languages: dict[str, int], created_at, created_by) -> Person:
    person = Person(
        task_force=task_force,
        given_name=spec.given_name,
        family_name=spec.family_name,
        aliases=spec.aliases,
        date_of_birth=spec.date_of_birth,
        phone=spec.phone,
        preferred_language_id=languages.get(spec.language),
        neighborhood=spec.neighborhood,
        created_by=created_by,
        created_at=created_at,
    )
    _fill_derived(person)  # the phone digits and the folded search text the duplicate check reads
    return person


def _referral_row(task_force: TaskForce, cast: Cast, spec: ReferralSpec, person_id: int, origin=None) -> Referral:
    return Referral(
        task_force=task_force,
        reference=spec.reference,
        person_id=person_id,
        # Instances, not ids: the notification messages read the partners' names without a query.
        sending_partner=cast.partners[spec.sending],
        receiving_partner=cast.partners[spec.receiving],
        service_id=spec.service,
        reason=spec.reason,
        priority=spec.priority,
        due_date=spec.due_date,
        status=spec.status,
        transferred_from=origin,
        created_by=spec.moves[0].actor if spec.moves else None,
        created_at=spec.created_at,
        submitted_at=spec.submitted_at,
        acknowledge_by=spec.acknowledge_by,
        acknowledged_at=spec.acknowledged_at,
        overdue_at=spec.overdue_at,
        first_contact_at=spec.first_contact_at,
        closed_at=spec.closed_at,
        close_reason=spec.close_reason,
    )


def _notifications(cast: Cast, referral: Referral, spec: ReferralSpec, now) -> list[Notification]:
    """The in-app notices of the last days' moves, as ``lifecycle`` sends them: to the other side's referral staff
    and partner admins (a withdrawn draft tells nobody; a transfer's successor tells its new receiving partner)."""
    rows = []
    for index, move in enumerate(spec.moves):
        if move.at < now - datetime.timedelta(days=NOTIFY_DAYS) or move.to_status == S.DRAFT:
            continue
        if move.to_status == S.WITHDRAWN and index and spec.moves[index - 1].to_status == S.DRAFT:
            continue
        if index == 0:  # a transfer's successor, submitted by the first referral's receiving partner
            partner_id = spec.receiving
        else:
            partner_id = spec.receiving if move.partner_id == spec.sending else spec.sending
        for user in cast.actors.get(partner_id, []):
            unread = move.at >= now - datetime.timedelta(days=UNREAD_DAYS)
            rows.append(
                Notification(
                    task_force_id=referral.task_force_id,
                    user=user,
                    referral=referral,
                    kind=move.to_status,
                    message=lifecycle._message(referral, move.to_status)[:300],
                    created_at=move.at,
                    read_at=None if unread else move.at + datetime.timedelta(hours=3),
                    # History, not news: marked emailed, so the sweep of unsent emails
                    # (``notifications.notification_emails_resend_unsent``) does not mail the last days' notices.
                    emailed_at=move.at,
                )
            )
    return rows


def _write_chunk(task_force: TaskForce, cast: Cast, chunk: list[ReferralSpec], person_ids, now, counts) -> None:
    originals = [_referral_row(task_force, cast, spec, person_ids[spec.person]) for spec in chunk]
    Referral.objects.bulk_create(originals, batch_size=BATCH)
    pairs = list(zip(chunk, originals, strict=True))
    successors = [
        (spec.successor, _referral_row(task_force, cast, spec.successor, person_ids[spec.person], origin=row))
        for spec, row in pairs
        if spec.successor is not None
    ]
    Referral.objects.bulk_create([row for _spec, row in successors], batch_size=BATCH)
    pairs += successors
    Needs = Referral.needs.through
    Needs.objects.bulk_create(
        [Needs(referral_id=row.pk, taxonomyterm_id=term) for spec, row in pairs for term in spec.needs],
        batch_size=BATCH,
    )
    transitions = [
        Transition(
            task_force=task_force,
            referral=row,
            actor=move.actor,
            actor_partner=cast.partners[move.partner_id],
            at=move.at,
            from_status=move.from_status,
            to_status=move.to_status,
            reason=move.reason,
            reason_text=move.text,
        )
        for spec, row in pairs
        for move in spec.moves
    ]
    Transition.objects.bulk_create(transitions, batch_size=BATCH)
    notes = [
        Note(
            task_force=task_force,
            referral=row,
            author=note.author,
            author_partner=cast.partners[note.partner_id],
            visibility=note.visibility,
            body=note.body,
            is_contact=note.is_contact,
            created_at=note.at,
        )
        for spec, row in pairs
        for note in sorted(spec.notes, key=lambda n: n.at)
    ]
    Note.objects.bulk_create(notes, batch_size=BATCH)
    notifications = [n for spec, row in pairs for n in _notifications(cast, row, spec, now)]
    Notification.objects.bulk_create(notifications, batch_size=BATCH)
    # ``updated_at`` is auto_now, which bulk_create fills with the present: set it to the last change (the last
    # move or the recorded contact), which the inbox's "sent by you, changed" reads.
    last_move = Subquery(Transition.objects.filter(referral=OuterRef("pk")).order_by("-at").values("at")[:1])
    Referral.objects.filter(pk__in=[row.pk for _spec, row in pairs]).update(
        updated_at=Greatest(last_move, Coalesce("first_contact_at", last_move))
    )
    counts["referrals"] += len(pairs)
    counts["transitions"] += len(transitions)
    counts["notes"] += len(notes)
    counts["notifications"] += len(notifications)


def seed_referrals(
    task_force: TaskForce, scale: Scale | None = None, *, now: datetime.datetime | None = None
) -> dict[str, int]:
    """Write the demo people and their referral history at ``scale`` (default: small) into ``task_force``, up to
    ``now`` (default: the present); returns how many rows of each kind were created. Call inside a transaction,
    after the directory and the demo accounts (the accounts are the actors)."""
    scale = scale or SMALL
    now = now or timezone.now()
    reason_codes_seed(task_force=task_force)
    # The lock referral_create takes: nobody files a referral (and takes a number) while the history is written.
    TaskForce.objects.select_for_update().filter(pk=task_force.pk).first()
    counts = dict.fromkeys(["people", "consents", "referrals", "transitions", "notes", "notifications"], 0)
    people = build_people(scale.people)
    keys = Person.objects.filter(task_force=task_force).values_list("given_name", "family_name", "date_of_birth")
    existing = set(keys)
    new_people = {index for index, spec in enumerate(people) if spec.key not in existing}
    if not new_people:  # seeded already (every make run): nothing to plan
        return counts
    # The whole history is planned (it is the same whatever the database holds), then only the new people's written.
    cast = _cast(task_force)
    history = build_history(cast, people, scale, now)
    consents = [c for c in build_consents(cast, people, history, now) if c.person in new_people]
    specs = [spec for spec in history if spec.person in new_people]

    # People: created just before their first referral (or at some time in the period), by its filer.
    first: dict[int, ReferralSpec] = {}
    for spec in specs:
        if spec.person not in first or spec.created_at < first[spec.person].created_at:
            first[spec.person] = spec
    rng = random.Random(SEED + 3)  # noqa: S311 - demo data, not security
    start = now - datetime.timedelta(days=round(scale.months * 30.44))
    languages = dict(Language.objects.values_list("code", "pk"))
    rows = []
    for index in sorted(new_people):
        spec = first.get(index)
        if spec is not None:
            created_at = spec.created_at - datetime.timedelta(minutes=rng.randrange(2, 30))
            created_by = spec.moves[0].actor if spec.moves else None
        else:
            created_at, created_by = start + (now - start) * rng.random(), None
        rows.append(_person_row(task_force, people[index], languages, created_at, created_by))
    Person.objects.bulk_create(rows, batch_size=BATCH)
    person_ids = {index: row.pk for index, row in zip(sorted(new_people), rows, strict=True)}
    for batch in range(0, len(rows), BATCH):
        Person.objects.filter(pk__in=[row.pk for row in rows[batch : batch + BATCH]]).update(updated_at=F("created_at"))
    counts["people"] = len(rows)

    consent_rows = [
        Consent(
            task_force=task_force,
            person_id=person_ids[c.person],
            scope=c.scope,
            shares=c.shares,
            method=c.method,
            given_on=c.given_on,
            expires_on=c.expires_on,
            recorded_by=c.recorded_by,
            recorded_by_partner_id=c.recorded_by_partner,
            recorded_at=c.recorded_at,
            revoked_at=c.revoked_at,
            revoked_by=c.revoked_by,
            revoke_reason=c.revoke_reason,
        )
        for c in consents
    ]
    Consent.objects.bulk_create(consent_rows, batch_size=BATCH)
    Consent.partners.through.objects.bulk_create(
        [
            Consent.partners.through(consent_id=row.pk, partner_id=partner_id)
            for c, row in zip(consents, consent_rows, strict=True)
            for partner_id in c.partners
        ],
        batch_size=BATCH,
    )
    counts["consents"] = len(consent_rows)

    _assign_references(task_force, specs)
    for offset in range(0, len(specs), CHUNK):
        _write_chunk(task_force, cast, specs[offset : offset + CHUNK], person_ids, now, counts)
    _leave_newest_unread(task_force)
    if any(counts.values()):
        analyze_referrals()
    return counts


def _leave_newest_unread(task_force: TaskForce) -> None:
    """Each account's ``UNREAD_NEWEST`` newest notices are unread: on a Monday the last ``UNREAD_DAYS`` hold a
    weekend and few moves, and a demo account would otherwise open the app to nothing new."""
    newest = (
        Notification.objects.filter(task_force=task_force)
        .annotate(rank=Window(RowNumber(), partition_by=[F("user_id")], order_by=F("created_at").desc()))
        .filter(rank__lte=UNREAD_NEWEST)
        .values_list("pk", flat=True)
    )
    Notification.objects.filter(pk__in=list(newest)).update(read_at=None)


def analyze_referrals() -> None:
    """Fresh planner statistics after the bulk load, on PostgreSQL (as ``partners.services.analyze_directory``
    does for the directory): without them the planner takes 120,000 referrals for a handful."""
    if connection.vendor != "postgresql":
        return
    models = [Person, Consent, Consent.partners.through, Referral, Referral.needs.through, Transition, Note]
    models.append(Notification)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))


def demo_counts(task_force: TaskForce) -> dict[str, int]:
    """What the task force holds now (the command prints it)."""
    return {
        "people": Person.objects.filter(task_force=task_force).count(),
        "consents": Consent.objects.filter(task_force=task_force).count(),
        "referrals": Referral.objects.filter(task_force=task_force).count(),
        "transitions": Transition.objects.filter(task_force=task_force).count(),
        "notes": Note.objects.filter(task_force=task_force).count(),
    }


def demo_summary(counts: dict[str, int]) -> str:
    return _(
        "%(people)s people, %(consents)s consents, %(referrals)s referrals, %(transitions)s transitions, "
        "%(notes)s notes"
    ) % {key: f"{value:,}" for key, value in counts.items()}
