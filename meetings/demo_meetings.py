"""The demo district's meetings (``seed_demo``, issue 6 item 7): months of the task force's rhythm ending a year
ahead, in every kind: the monthly task force meeting and the weekly case review as recurring series, working groups
(series and one-off sessions), and call-ins (custom notification forums) in the neighbourhoods.

Past meetings were held (a few cancelled), with attendance (most present, some absent or excused), minutes and
action items (most done, a few left open past their due date). Minutes hold no person's data: a case review's
minutes name referrals by their reference only. Upcoming meetings are scheduled with their reminders planned by
the services' rules (``services._plan_action_item``, and ``_plan_meeting``'s rows written in bulk); invitations are not
sent and nothing is audited: this is history, not activity (as cases/demo_referrals.py). Each demo account is
invited to the upcoming task force meetings and owns an open action item.

Series occurrences are the rule's (``services.parse_rule`` on the series' own clock, the same expansion as
``series_extend``) up to the meeting horizon, so the daily extension carries on from where the seed stopped.
Idempotent: a series is matched by its title, a one-off meeting by title and start, a demo account's item by its
text, and what exists is left as it is. Bulk writes: ``--scale full`` (ten years, about 5,000 meetings) takes
seconds.
"""

from __future__ import annotations

import bisect
import datetime
import random
import zlib
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Referral
from partners.demo_directory import NEIGHBOURHOODS
from partners.models import Membership, Partner, PartnerKind, Role, TaskForce

from . import services
from .models import (
    ActionItem,
    ActionItemStatus,
    Attendance,
    Invitee,
    Meeting,
    MeetingKind,
    MeetingPartner,
    MeetingSeries,
    MeetingStatus,
    Reminder,
    ReminderKind,
)

SEED = 20261126
BATCH = 2000
K = PartnerKind


@dataclass(frozen=True)
class Scale:
    months: int  # of history before now
    series: int  # how many of SERIES (the first ones)
    call_in_every: int  # months between call-ins


SMALL = Scale(months=18, series=4, call_in_every=2)
# DESIGN.md "Scale and speed": ten years and about 5,000 meetings.
FULL = Scale(months=120, series=14, call_in_every=1)
SCALES = {"small": SMALL, "full": FULL}


@dataclass(frozen=True)
class SeriesSpec:
    kind: str
    title: str
    rrule: str
    hour: int
    minutes: int  # length
    partner_kinds: tuple  # the kinds of partner invited (all kinds: every active partner)
    place: str = ""
    video_link: str = ""
    agenda: str = ""


ALL_KINDS = tuple(K.values)
CR, WG = MeetingKind.CASE_REVIEW, MeetingKind.WORKING_GROUP
CASE_REVIEW_KINDS = (K.LAW_ENFORCEMENT, K.PROSECUTION, K.SERVICE_PROVIDER, K.GOVERNMENT)
SERVICE_KINDS = (K.SERVICE_PROVIDER, K.FAITH_BASED, K.COMMUNITY)
USAO = "400 E 9th St, Kansas City (5th floor conference room)"
VIDEO = "https://meet.example.org/psn-wdmo"

SERIES = [
    SeriesSpec(
        MeetingKind.TASK_FORCE,
        "PSN task force meeting",
        "FREQ=MONTHLY;BYDAY=2TU",
        10,
        90,
        ALL_KINDS,
        USAO,
        VIDEO,
        "1. Welcome and introductions\n2. Referral numbers of the month\n3. Partner updates\n4. Working groups\n"
        "5. Action items",
    ),
    SeriesSpec(
        MeetingKind.CASE_REVIEW,
        "Weekly case review",
        "FREQ=WEEKLY;BYDAY=TH",
        14,
        60,
        CASE_REVIEW_KINDS,
        video_link=VIDEO + "-review",
        agenda="Open referrals past their acknowledgement window; new high-priority referrals; closures.",
    ),
    SeriesSpec(
        MeetingKind.WORKING_GROUP,
        "Reentry working group",
        "FREQ=MONTHLY;BYDAY=1WE",
        13,
        60,
        (K.SERVICE_PROVIDER, K.GOVERNMENT, K.PROSECUTION),
        "Second Chance Workforce Center, training room",
        agenda="Employment placements, housing on release, ID and documents.",
    ),
    SeriesSpec(
        MeetingKind.WORKING_GROUP,
        "Youth outreach working group",
        "FREQ=MONTHLY;BYDAY=3WE",
        15,
        60,
        SERVICE_KINDS,
        video_link=VIDEO + "-youth",
        agenda="Summer programming, school partnerships, mentoring slots.",
    ),
    # --- the full scale's district-wide rhythm ---
    SeriesSpec(CR, "Case review: East Patrol", "FREQ=WEEKLY;BYDAY=TU", 9, 60, CASE_REVIEW_KINDS),
    SeriesSpec(CR, "Case review: Metro Patrol", "FREQ=WEEKLY;BYDAY=WE", 9, 60, CASE_REVIEW_KINDS),
    SeriesSpec(CR, "Case review: Central Patrol", "FREQ=WEEKLY;BYDAY=MO", 14, 60, CASE_REVIEW_KINDS),
    SeriesSpec(CR, "Case review: North Patrol", "FREQ=WEEKLY;BYDAY=FR", 10, 60, CASE_REVIEW_KINDS),
    SeriesSpec(
        MeetingKind.CASE_REVIEW, "Youth case review", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", 14, 60, CASE_REVIEW_KINDS
    ),
    SeriesSpec(WG, "Victim services working group", "FREQ=MONTHLY;BYDAY=4TU", 13, 60, SERVICE_KINDS),
    SeriesSpec(WG, "Data and research working group", "FREQ=MONTHLY;BYDAY=1FR", 11, 60, ALL_KINDS),
    SeriesSpec(WG, "Faith and community working group", "FREQ=MONTHLY;BYDAY=2TH", 18, 90, SERVICE_KINDS),
    SeriesSpec(
        MeetingKind.WORKING_GROUP, "Employment working group", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", 15, 60, SERVICE_KINDS
    ),
    SeriesSpec(WG, "Street outreach working group", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH", 10, 60, SERVICE_KINDS),
]  # fmt: skip

ATTENDANCE_MIX = [(Attendance.PRESENT, 80), (Attendance.ABSENT, 12), (Attendance.EXCUSED, 8)]
CANCEL_REASONS = [
    "Weather: the building closed.",
    "Federal holiday week.",
    "Room not available; moved online next time.",
]
ITEM_TEXTS = {
    MeetingKind.TASK_FORCE: [
        "Send the partner update for the newsletter",
        "Circulate the draft quarterly numbers",
        "Confirm speakers for the next call-in",
        "Update the partner contact list",
        "Share the new intake form with partners",
    ],
    MeetingKind.WORKING_GROUP: [
        "Collect open employer slots",
        "Draft the summer program flyer",
        "Ask the housing authority about the waitlist",
        "Schedule the mentor training",
        "Map transport options for appointments",
    ],
    MeetingKind.CALL_IN: [
        "Follow up with attendees who asked for services",
        "Send the forum summary to partners",
        "Record which services were offered",
    ],
}
DEMO_ITEM = "Bring your partner's update to the next task force meeting"


def _mix(rng: random.Random, options):
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


@dataclass
class _Cast:
    task_force: TaskForce
    coordinator_id: int | None
    partners: list[Partner]
    members: dict[int, list[int]]  # partner id -> active member user ids
    references: list[tuple[datetime.datetime, str]]  # referrals' (created_at, reference), by time

    @property
    def tz(self):
        return self.task_force.tzinfo


def _cast(task_force: TaskForce) -> _Cast:
    partners = list(Partner.objects.filter(task_force=task_force, active=True).order_by("name", "pk"))
    members: dict[int, list[int]] = defaultdict(list)
    coordinator_id = None
    for user_id, partner_id, role in (
        Membership.objects.filter(task_force=task_force, active=True, user__is_active=True, partner__active=True)
        .order_by("user__email", "pk")
        .values_list("user_id", "partner_id", "role")
    ):
        members[partner_id].append(user_id)
        if role == Role.COORDINATOR and coordinator_id is None:
            coordinator_id = user_id
    references = list(
        Referral.objects.filter(task_force=task_force).order_by("created_at").values_list("created_at", "reference")
    )
    return _Cast(task_force, coordinator_id, partners, dict(members), references)


def _invited_partners(cast: _Cast, kinds: tuple, people: list[int] = ()) -> list[Partner]:
    """Every partner for ``ALL_KINDS`` (the task force meeting); else a working group's size: up to six partners
    of these kinds with members (the demo accounts' first) and two without (partners come to meetings without
    accounts here), so that attendance per partner shows both."""
    matching = [p for p in cast.partners if p.kind in kinds]
    if kinds == ALL_KINDS:
        return matching
    demo = set(people)
    with_members = sorted(
        (p for p in matching if cast.members.get(p.pk)),
        key=lambda p: (not demo & set(cast.members[p.pk]), p.name),
    )
    without = [p for p in matching if not cast.members.get(p.pk)]
    return sorted(with_members[:6] + without[:2], key=lambda p: p.name)


def _at(day: datetime.date, hour: int, cast: _Cast, minute: int = 0) -> datetime.datetime:
    return services.local_to_utc(datetime.datetime.combine(day, datetime.time(hour, minute)), cast.tz)


# --- Planning the meetings ---------------------------------------------------------------------------------


@dataclass
class _Plan:
    meeting: Meeting
    partners: list[Partner]
    users: list[int]  # invited personally


def _series_plans(cast, spec: SeriesSpec, *, start, until, people: list[int], now) -> list[_Plan]:
    tz_name = cast.task_force.timezone
    local_from = timezone.localtime(start, cast.tz).replace(hour=spec.hour, minute=0, second=0, microsecond=0)
    rule = services.parse_rule(spec.rrule, first_start=local_from, tz_name=tz_name)
    first_start = services.local_to_utc(rule.after(local_from.replace(tzinfo=None), inc=True), cast.tz)
    series = MeetingSeries(
        task_force=cast.task_force,
        kind=spec.kind,
        title=spec.title,
        first_start=first_start,
        duration=datetime.timedelta(minutes=spec.minutes),
        timezone=tz_name,
        rrule=spec.rrule,
        place=spec.place,
        video_link=spec.video_link,
        agenda=spec.agenda,
        created_by_id=cast.coordinator_id,
        created_at=first_start - datetime.timedelta(days=21),
        planned_until=until,
    )
    series.save()
    partners = _invited_partners(cast, spec.partner_kinds, people)
    users = sorted(set(people) | ({cast.coordinator_id} - {None})) if spec.kind == MeetingKind.TASK_FORCE else []
    series.partners.set(partners)
    series.users.set(users)
    # The expansion series_extend makes: the same rule from the same first start, on the series' clock.
    rule = services.parse_rule(spec.rrule, first_start=first_start, tz_name=tz_name)
    local_until = timezone.localtime(until, cast.tz).replace(tzinfo=None)
    plans = []
    for naive in rule.between(timezone.localtime(first_start, cast.tz).replace(tzinfo=None), local_until, inc=True):
        begin = services.local_to_utc(naive, cast.tz)
        meeting = Meeting(
            **services._occurrence_fields(series, begin),
            created_at=min(begin - datetime.timedelta(days=14), now),
        )
        plans.append(_Plan(meeting, partners, users))
    return plans


def _one_off_plans(cast, scale: Scale, *, start, until, people: list[int], now) -> list[_Plan]:
    """Call-ins in the neighbourhoods (the 4th Wednesday evening every few months) and each year's ad hoc
    working group sessions."""
    plans = []
    month = datetime.date(start.year, start.month, 1)
    index = 0
    community = _invited_partners(cast, (K.LAW_ENFORCEMENT, K.PROSECUTION, K.COMMUNITY, K.FAITH_BASED), people)
    services_ = _invited_partners(cast, SERVICE_KINDS, people)
    while month <= until.date():
        if index % scale.call_in_every == 0:
            # The 4th Wednesday: the first one, three weeks on.
            day = month + datetime.timedelta(days=(2 - month.weekday()) % 7 + 21)
            area = NEIGHBOURHOODS[(index // scale.call_in_every) % len(NEIGHBOURHOODS)][0]
            title = _("Call-in: %(area)s") % {"area": area}
            place = _("%(area)s community center") % {"area": area}
            plans.append(_one_off(cast, MeetingKind.CALL_IN, title, _at(day, 18, cast), 90, community, place, now))
        if month.month == 4:
            begin = _at(month + datetime.timedelta(days=9), 9, cast)
            title = _("Summer safety planning session")
            plans.append(_one_off(cast, MeetingKind.WORKING_GROUP, title, begin, 180, services_, USAO, now))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
        index += 1
    return [p for p in plans if start <= p.meeting.start <= until]


def _one_off(cast, kind, title, begin, minutes, partners, place, now) -> _Plan:
    meeting = Meeting(
        task_force=cast.task_force,
        kind=kind,
        title=title,
        start=begin,
        end=begin + datetime.timedelta(minutes=minutes),
        timezone=cast.task_force.timezone,
        place=place,
        created_by_id=cast.coordinator_id,
        created_at=min(begin - datetime.timedelta(days=20), now),
    )
    return _Plan(meeting, partners, [cast.coordinator_id] if cast.coordinator_id else [])


# --- What happened at the past ones ------------------------------------------------------------------------


def _references_before(cast: _Cast, at: datetime.datetime, rng: random.Random, count: int) -> list[str]:
    end = bisect.bisect_left(cast.references, (at, ""))
    window = cast.references[max(0, end - 60) : end]
    return [ref for _at, ref in rng.sample(window, min(count, len(window)))]


def _minutes(cast: _Cast, meeting: Meeting, rng: random.Random, present: int) -> tuple[str, list[str]]:
    """The minutes' text and the references a case review discussed (its action items follow them)."""
    if meeting.kind == MeetingKind.CASE_REVIEW:
        refs = _references_before(cast, meeting.start, rng, rng.randint(2, 5))
        if not refs:
            return _("No open referrals needed review this week."), []
        outcomes = [
            _("first contact made, follow-up booked"),
            _("waiting on a housing placement"),
            _("not reached after three attempts; the sending partner will try again"),
            _("services under way; closing expected this month"),
            _("transferred to a partner nearer home"),
        ]
        lines = [_("Referrals reviewed: %(refs)s.") % {"refs": ", ".join(refs)}]
        lines += [f"{ref}: {rng.choice(outcomes)}." for ref in refs]
        lines.append(_("Minutes name referrals by reference only."))
        return "\n".join(lines), refs
    if meeting.kind == MeetingKind.TASK_FORCE:
        text = _(
            "%(present)s people attended.\nReferral numbers reviewed; acknowledgement times within the window.\n"
            "Partner updates given in turn.\nWorking groups reported; see the action items."
        ) % {"present": present}
    elif meeting.kind == MeetingKind.CALL_IN:
        text = _(
            "Forum held as planned; %(present)s partner representatives spoke.\nServices offered: employment, "
            "housing, mentoring, treatment.\nAttendees who asked for help are followed up by the partners."
        ) % {"present": present}
    else:
        text = _("%(present)s attended. Progress reviewed against last month's plan; next steps agreed.") % {
            "present": present
        }
    return text, []


def _history(cast: _Cast, plans: list[_Plan], now: datetime.datetime):
    """Invitations, attendance, minutes and action items of the planned meetings (already saved)."""
    partner_rows, invitee_rows, items = [], [], []
    today = timezone.localdate(now, cast.tz)
    for plan in plans:
        meeting = plan.meeting
        rng = random.Random(SEED + zlib.crc32(f"{meeting.title}|{meeting.start.isoformat()}".encode()))  # noqa: S311
        past = meeting.end < now and meeting.status == MeetingStatus.HELD
        invited: dict[int, Invitee] = {}
        marks_by_partner: dict[int, list[str]] = defaultdict(list)
        for partner in plan.partners:
            for uid in cast.members.get(partner.pk, []):
                if uid not in invited:
                    invited[uid] = Invitee(meeting=meeting, user_id=uid, via_partner=partner)
        for uid in plan.users:
            invited.setdefault(uid, Invitee(meeting=meeting, user_id=uid)).invited_personally = True
        for invitee in invited.values():
            if past:
                invitee.attendance = _mix(rng, ATTENDANCE_MIX)
                invitee.attendance_recorded_at = meeting.end
                invitee.attendance_recorded_by_id = cast.coordinator_id
                if invitee.via_partner is not None:
                    marks_by_partner[invitee.via_partner.pk].append(invitee.attendance)
            invitee_rows.append(invitee)
        for partner in plan.partners:
            attendance = ""
            if past:
                marks = marks_by_partner.get(partner.pk)
                attendance = services._derived_partner_attendance(marks) if marks else _mix(rng, ATTENDANCE_MIX[:2])
            partner_rows.append(MeetingPartner(meeting=meeting, partner=partner, attendance=attendance))
        if not past:
            continue
        present = [uid for uid, inv in invited.items() if inv.attendance == Attendance.PRESENT]
        meeting.minutes, refs = _minutes(cast, meeting, rng, len(present) + rng.randint(2, 9))
        meeting.minutes_updated_at = meeting.end + datetime.timedelta(hours=rng.randint(2, 30))
        if meeting.kind == MeetingKind.CASE_REVIEW:
            texts = [_("Follow up on %(ref)s with the receiving partner") % {"ref": ref} for ref in refs[:2]]
        else:
            texts = rng.sample(
                ITEM_TEXTS[meeting.kind], rng.randint(0, 2 if meeting.kind != MeetingKind.CALL_IN else 1)
            )
        for text in texts:
            owner = rng.choice(present) if present else cast.coordinator_id
            if owner is None:
                continue
            due = timezone.localdate(meeting.start, cast.tz) + datetime.timedelta(days=rng.randint(7, 28))
            item = ActionItem(
                task_force=cast.task_force,
                meeting=meeting,
                text=text,
                owner_id=owner,
                due_date=due,
                created_by_id=cast.coordinator_id,
                created_at=meeting.end,
            )
            if due < today and rng.random() < 0.9:
                done_on = due - datetime.timedelta(days=rng.randint(0, 5))
                done_at = max(_at(done_on, 16, cast), meeting.end + datetime.timedelta(hours=1))
                item.status, item.done_at, item.done_by_id = ActionItemStatus.DONE, min(done_at, now), owner
            items.append(item)
    return partner_rows, invitee_rows, items


# --- Writing -----------------------------------------------------------------------------------------------


def seed_meetings(
    task_force: TaskForce,
    scale: Scale | None = None,
    *,
    people=(),
    now: datetime.datetime | None = None,
) -> dict[str, int]:
    """Write the demo meetings of ``task_force`` at ``scale`` (default small), up to ``now`` and a horizon ahead;
    ``people``: the demo accounts, invited to the task force meetings and each given an open action item.
    Returns how many rows of each kind were created. Call inside a transaction, after the directory, the
    accounts and the referrals (case reviews cite their references)."""
    scale = scale or SMALL
    now = now or timezone.now()
    counts = dict.fromkeys(["meetings", "invitees", "action_items", "reminders"], 0)
    cast = _cast(task_force)
    people_ids = [u.pk for u in people]
    start = now - datetime.timedelta(days=round(scale.months * 30.44))
    until = now + services._horizon()
    existing_series = set(MeetingSeries.objects.filter(task_force=task_force).values_list("title", flat=True))
    plans: list[_Plan] = []
    for spec in SERIES[: scale.series]:
        if spec.title not in existing_series:
            plans += _series_plans(cast, spec, start=start, until=until, people=people_ids, now=now)
    existing = set(Meeting.objects.filter(task_force=task_force, series__isnull=True).values_list("title", "start"))
    plans += [
        p for p in _one_off_plans(cast, scale, start=start, until=until, people=people_ids, now=now)
        if (p.meeting.title, p.meeting.start) not in existing
    ]  # fmt: skip
    reasons = random.Random(SEED)  # noqa: S311 - demo data, not security
    for plan in plans:
        meeting = plan.meeting
        if meeting.end < now:
            meeting.status = MeetingStatus.HELD
            if reasons.random() < 0.03:
                meeting.status, meeting.sequence = MeetingStatus.CANCELLED, 1
                meeting.cancelled_at = meeting.start - datetime.timedelta(days=2)
                meeting.cancel_reason = reasons.choice(CANCEL_REASONS)
    partner_rows, invitee_rows, items = _history(cast, plans, now)
    Meeting.objects.bulk_create([p.meeting for p in plans], batch_size=BATCH)
    # The rows below hold their meeting object: bulk_create takes its new id from it (and keeps it cached).
    MeetingPartner.objects.bulk_create(partner_rows, batch_size=BATCH)
    Invitee.objects.bulk_create(invitee_rows, batch_size=BATCH)
    ActionItem.objects.bulk_create(items, batch_size=BATCH)
    items += _demo_items(cast, people_ids, now)
    counts.update(meetings=len(plans), invitees=len(invitee_rows), action_items=len(items))

    # Reminders ahead (no invitation: the demo's invitees were told long ago). The rows services._plan_meeting
    # plans for a new meeting, written in bulk: called per meeting it takes a minute at the full scale (a test
    # checks that planning a seeded meeting again adds and cancels nothing).
    before = Reminder.objects.filter(task_force=task_force).count()
    hours = services.reminder_settings_for(task_force.pk).meeting_hours
    reminders = [
        Reminder(
            task_force=task_force,
            kind=ReminderKind.MEETING_SOON,
            meeting=invitee.meeting,
            user_id=invitee.user_id,
            send_at=invitee.meeting.start - datetime.timedelta(hours=int(h)),
            sequence=invitee.meeting.sequence,
        )
        for invitee in invitee_rows
        if invitee.meeting.status == MeetingStatus.SCHEDULED and invitee.meeting.start > now
        for h in hours
        if invitee.meeting.start - datetime.timedelta(hours=int(h)) > now
    ]
    Reminder.objects.bulk_create(reminders, batch_size=BATCH, ignore_conflicts=True)
    today = timezone.localdate(now, cast.tz)
    upcoming_items = ActionItem.objects.filter(
        pk__in=[i.pk for i in items], status=ActionItemStatus.OPEN, due_date__gte=today
    ).select_related("meeting__task_force", "owner")
    for item in upcoming_items:
        services._plan_action_item(item, now=now)
    counts["reminders"] = Reminder.objects.filter(task_force=task_force).count() - before
    if counts["meetings"]:
        analyze_meetings()
    return counts


def _demo_items(cast: _Cast, people_ids: list[int], now: datetime.datetime) -> list[ActionItem]:
    """Each demo account's open item, from the last task force meeting held (one they were invited to)."""
    if not people_ids or cast.coordinator_id is None:
        return []
    have = set(ActionItem.objects.filter(task_force=cast.task_force, text=DEMO_ITEM).values_list("owner_id", flat=True))
    wanted = [uid for uid in people_ids if uid not in have]
    last = (
        Meeting.objects.filter(
            task_force=cast.task_force, kind=MeetingKind.TASK_FORCE, status=MeetingStatus.HELD, end__lt=now
        )
        .order_by("-start")
        .first()
    )
    if not wanted or last is None:
        return []
    today = timezone.localdate(now, cast.tz)
    rows = [
        ActionItem(
            task_force=cast.task_force,
            meeting=last,
            text=DEMO_ITEM,
            owner_id=uid,
            due_date=today + datetime.timedelta(days=3 + index % 10),
            created_by_id=cast.coordinator_id,
            created_at=last.end,
        )
        for index, uid in enumerate(wanted)
    ]
    ActionItem.objects.bulk_create(rows)
    return rows


def analyze_meetings() -> None:
    """Fresh planner statistics after the bulk load (as ``cases.demo_referrals.analyze_referrals``)."""
    if connection.vendor != "postgresql":
        return
    models = [MeetingSeries, Meeting, MeetingPartner, Invitee, ActionItem, Reminder]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))


def demo_counts(task_force: TaskForce) -> dict[str, int]:
    return {
        "meetings": Meeting.objects.filter(task_force=task_force).count(),
        "invitees": Invitee.objects.filter(meeting__task_force=task_force).count(),
        "action_items": ActionItem.objects.filter(task_force=task_force).count(),
        "reminders": Reminder.objects.filter(task_force=task_force).count(),
    }


def demo_summary(counts: dict[str, int]) -> str:
    return _(
        "%(meetings)s meetings, %(invitees)s invitations, %(action_items)s action items, %(reminders)s reminders"
    ) % {key: f"{value:,}" for key, value in counts.items()}
