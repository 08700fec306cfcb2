"""Meeting actions: one function each, used alike by the pages, the API, the tasks and ``seed_demo``.

Every write checks the actor's right through ``psn.access``, runs in a transaction, writes the audit trail and
plans the reminders that follow from it (``_plan_*``). Planning only writes ``Reminder`` rows (unique on what,
whom, when); the every-minute task sends them (``meetings/reminders.py``), so a save never waits on mail.

Invitations and updates are reminders too (kind ``invitation``, sent at once), as are cancellations: the same
exactly-once sending carries the .ics REQUEST of each version and the CANCEL.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from typing import Any

from dateutil import rrule as dateutil_rrule
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Membership, Partner
from psn import access, audit

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
    ReminderSettings,
)

# Fields an attendee's calendar shows: a change to any of them is a new SEQUENCE and an update to every invitee.
CALENDAR_FIELDS = ("title", "start", "end", "timezone", "place", "video_link", "status")
# Fields a meeting (or a series, for its occurrences) takes from the caller.
MEETING_FIELDS = ("kind", "title", "start", "end", "timezone", "place", "video_link", "agenda")
# The rule's frequency may not be finer than a day, and a series makes at most this many occurrences ahead.
ALLOWED_FREQUENCIES = {dateutil_rrule.DAILY, dateutil_rrule.WEEKLY, dateutil_rrule.MONTHLY, dateutil_rrule.YEARLY}
MAX_OCCURRENCES_AHEAD = 400


def _horizon() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "PSN_MEETING_HORIZON_DAYS", 365))


# --- Input checks -------------------------------------------------------------------------------------------


def _check_times(*, start: datetime.datetime, end: datetime.datetime, tz_name: str) -> None:
    errors = {}
    if timezone.is_naive(start) or timezone.is_naive(end):
        errors["start"] = _("Give the time with its time zone.")
    elif end <= start:
        errors["end"] = _("The meeting must end after it starts.")
    elif end - start > datetime.timedelta(hours=24):
        errors["end"] = _("A meeting lasts at most 24 hours.")
    if tz_name not in zoneinfo.available_timezones():
        errors["timezone"] = _("“%(value)s” is not a known time zone.") % {"value": tz_name}
    if errors:
        raise ValidationError(errors)


def parse_rule(rule: str, *, first_start: datetime.datetime, tz_name: str) -> dateutil_rrule.rrule:
    """The RFC 5545 RRULE (without the ``RRULE:`` prefix or with it) as a rule over naive local times.

    Raises ValidationError for a rule that does not parse, repeats more often than daily, or names its own DTSTART."""
    text = (rule or "").strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or "\n" in text or "DTSTART" in text.upper():
        raise ValidationError({"rrule": _("Give one RRULE line, e.g. FREQ=WEEKLY;BYDAY=TU.")})
    local_start = timezone.localtime(first_start, zoneinfo.ZoneInfo(tz_name)).replace(tzinfo=None)
    try:
        parsed = dateutil_rrule.rrulestr(text, dtstart=local_start)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ValidationError({"rrule": _("This recurrence rule is not valid: %(error)s") % {"error": exc}}) from exc
    if not isinstance(parsed, dateutil_rrule.rrule) or parsed._freq not in ALLOWED_FREQUENCIES:
        raise ValidationError({"rrule": _("A meeting repeats at most daily (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY).")})
    if parsed._until is not None and parsed._until.tzinfo is not None:
        # UNTIL in UTC (…Z): compare in the naive local times the rule runs on.
        until_local = timezone.localtime(parsed._until, zoneinfo.ZoneInfo(tz_name)).replace(tzinfo=None)
        parsed = parsed.replace(until=until_local)
    return parsed


def local_to_utc(naive: datetime.datetime, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    """A wall-clock time in ``tz`` as an aware UTC time. A time the clocks skip (spring forward) is read with the
    offset before the change (02:30 on the day becomes 03:30 daylight time); a repeated hour means its first pass."""
    return naive.replace(tzinfo=tz, fold=0).astimezone(datetime.UTC)


def occurrence_starts(
    series: MeetingSeries, *, after: datetime.datetime, until: datetime.datetime
) -> list[datetime.datetime]:
    """The series' occurrence starts (aware, UTC) in [after, until], expanded on the series' local clock."""
    tz = zoneinfo.ZoneInfo(series.timezone)
    rule = parse_rule(series.rrule, first_start=series.first_start, tz_name=series.timezone)
    local_after = timezone.localtime(after, tz).replace(tzinfo=None) - datetime.timedelta(days=1)
    local_until = timezone.localtime(until, tz).replace(tzinfo=None) + datetime.timedelta(days=1)
    starts = []
    for naive in rule.xafter(local_after, count=MAX_OCCURRENCES_AHEAD, inc=True):
        if naive > local_until:
            break
        start = local_to_utc(naive, tz)
        if after <= start <= until:
            starts.append(start)
    return starts


def _occurrence_end(start: datetime.datetime, duration: datetime.timedelta, tz_name: str) -> datetime.datetime:
    tz = zoneinfo.ZoneInfo(tz_name)
    return local_to_utc(timezone.localtime(start, tz).replace(tzinfo=None) + duration, tz)


def _partners_of_task_force(actor: access.Actor, partners: Iterable[Partner]) -> list[Partner]:
    partners = list(partners)
    allowed = set(
        access.partners_visible_to(actor)
        .filter(active=True, pk__in=[p.pk for p in partners])
        .values_list("pk", flat=True)
    )
    if any(p.pk not in allowed for p in partners):
        raise ValidationError({"partners": _("Invite active partners of this task force only.")})
    return partners


def _users_of_task_force(actor: access.Actor, users: Iterable) -> list:
    users = list(users)
    allowed = set(access.users_invitable_by(actor).filter(pk__in=[u.pk for u in users]).values_list("pk", flat=True))
    if any(u.pk not in allowed for u in users):
        raise ValidationError({"users": _("Invite active members of this task force only.")})
    return users


# --- Invitees ------------------------------------------------------------------------------------------------


def _sync_invitees(meeting: Meeting, *, partners: list[Partner], users: list) -> tuple[set[int], set[int]]:
    """Make the meeting's partner invitations and invitees match: the people invited personally plus the active
    members of the invited partners. Returns the user ids added and removed. People whose attendance is recorded
    stay (history is kept)."""
    partner_ids = {p.pk for p in partners}
    MeetingPartner.objects.filter(meeting=meeting).exclude(partner_id__in=partner_ids).filter(attendance="").delete()
    existing_partners = set(MeetingPartner.objects.filter(meeting=meeting).values_list("partner_id", flat=True))
    MeetingPartner.objects.bulk_create(
        [MeetingPartner(meeting=meeting, partner_id=pid) for pid in sorted(partner_ids - existing_partners)]
    )
    wanted: dict[int, dict[str, Any]] = {}
    members = (
        Membership.objects.filter(
            partner_id__in=partner_ids,
            active=True,
            partner__active=True,
            user__is_active=True,
            task_force_id=meeting.task_force_id,
        )
        .order_by("partner__name", "pk")
        .values_list("user_id", "partner_id")
    )
    for user_id, partner_id in members:
        wanted.setdefault(user_id, {"invited_personally": False, "via_partner_id": partner_id})
    for user in users:
        wanted.setdefault(user.pk, {"invited_personally": True, "via_partner_id": None})["invited_personally"] = True
    current = {inv.user_id: inv for inv in Invitee.objects.filter(meeting=meeting)}
    removed = {uid for uid, inv in current.items() if uid not in wanted and not inv.attendance}
    Invitee.objects.filter(meeting=meeting, user_id__in=removed).delete()
    to_update = []
    for uid, fields in wanted.items():
        inv = current.get(uid)
        if inv is not None and (
            inv.invited_personally != fields["invited_personally"] or inv.via_partner_id != fields["via_partner_id"]
        ):
            inv.invited_personally, inv.via_partner_id = fields["invited_personally"], fields["via_partner_id"]
            to_update.append(inv)
    Invitee.objects.bulk_update(to_update, ["invited_personally", "via_partner"])
    added = set(wanted) - set(current)
    Invitee.objects.bulk_create([Invitee(meeting=meeting, user_id=uid, **wanted[uid]) for uid in sorted(added)])
    return added, removed


# --- Reminder planning ---------------------------------------------------------------------------------------


def reminder_settings_for(task_force_id: int) -> ReminderSettings:
    found = ReminderSettings.objects.filter(task_force_id=task_force_id).first()
    if found is None:
        found = ReminderSettings(task_force_id=task_force_id)
    if not found.meeting_hours:
        found.meeting_hours = list(ReminderSettings.DEFAULT_MEETING_HOURS)
    return found


def _keep(rows: list[Reminder]) -> None:
    """Insert the planned rows; a row whose key (what, whom, when) exists already is left as it is, except that an
    unsent one cancelled by an earlier plan comes back (a meeting moved back to its first time)."""
    if not rows:
        return
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    same_key = Q()
    for r in rows:
        same_key |= Q(
            kind=r.kind, meeting_id=r.meeting_id, action_item_id=r.action_item_id, user_id=r.user_id, send_at=r.send_at
        )
    Reminder.objects.filter(same_key, sent_at__isnull=True, cancelled_at__isnull=False).update(cancelled_at=None)


def _cancel_unsent(queryset, *, now: datetime.datetime) -> int:
    return queryset.filter(sent_at__isnull=True, cancelled_at__isnull=True).update(cancelled_at=now)


def _about(meeting: Meeting, kind: str, user_id: int, send_at: datetime.datetime) -> Reminder:
    """A message about the meeting's current version (its SEQUENCE) for one person."""
    return Reminder(
        task_force_id=meeting.task_force_id,
        kind=kind,
        meeting=meeting,
        user_id=user_id,
        send_at=send_at,
        sequence=meeting.sequence,
    )


def _plan_meeting(meeting: Meeting, *, now: datetime.datetime, notify_ids: Iterable[int] = ()) -> None:
    """Plan the meeting's reminders from its current state: one per invitee and offset while it is scheduled and
    the time is still ahead; cancel the unsent ones that no longer fit. ``notify_ids``: invitees who get an
    invitation (or an update) of the current version now."""
    invitees = list(Invitee.objects.filter(meeting=meeting, user__is_active=True).values_list("user_id", flat=True))
    wanted: list[Reminder] = []
    if meeting.status == MeetingStatus.SCHEDULED and meeting.start > now:
        # In UTC: Python subtracts wall-clock time from a datetime in a zone with daylight saving (a start given in
        # Chicago time on the day clocks change would be reminded 23 or 25 real hours before).
        start_utc = meeting.start.astimezone(datetime.UTC)
        for hours in reminder_settings_for(meeting.task_force_id).meeting_hours:
            send_at = start_utc - datetime.timedelta(hours=int(hours))
            if send_at > now:
                wanted += [_about(meeting, ReminderKind.MEETING_SOON, uid, send_at) for uid in invitees]
        wanted += [
            _about(meeting, ReminderKind.INVITATION, uid, now) for uid in sorted(set(notify_ids) & set(invitees))
        ]
    wanted_keys = {(r.user_id, r.send_at) for r in wanted if r.kind == ReminderKind.MEETING_SOON}
    stale = [
        pk
        for pk, uid, send_at in Reminder.objects.filter(
            meeting=meeting, kind=ReminderKind.MEETING_SOON, sent_at__isnull=True, cancelled_at__isnull=True
        ).values_list("pk", "user_id", "send_at")
        if (uid, send_at) not in wanted_keys
    ]
    _cancel_unsent(Reminder.objects.filter(pk__in=stale), now=now)
    # An invitation of an older version not yet out is replaced by the one of this version.
    _cancel_unsent(
        Reminder.objects.filter(meeting=meeting, kind=ReminderKind.INVITATION).exclude(sequence=meeting.sequence),
        now=now,
    )
    _keep(wanted)


def _plan_cancellation(meeting: Meeting, *, user_ids: Iterable[int], now: datetime.datetime) -> None:
    """Stop what was not yet sent to these people about this meeting and send them the cancellation (.ics CANCEL)
    if they had been told of it (an invitation went out)."""
    user_ids = set(user_ids)
    _cancel_unsent(Reminder.objects.filter(meeting=meeting, user_id__in=user_ids), now=now)
    told = set(
        Reminder.objects.filter(
            meeting=meeting, user_id__in=user_ids, kind=ReminderKind.INVITATION, sent_at__isnull=False
        ).values_list("user_id", flat=True)
    )
    _keep([_about(meeting, ReminderKind.CANCELLATION, uid, now) for uid in sorted(told)])


def _action_send_at(day: datetime.date, *, hour: int, tz: zoneinfo.ZoneInfo) -> datetime.datetime:
    return local_to_utc(datetime.datetime.combine(day, datetime.time(hour)), tz)


def _plan_action_item(item: ActionItem, *, now: datetime.datetime) -> None:
    """The owner's reminder some days before the due date and, if still open, one the morning after it."""
    cfg = reminder_settings_for(item.task_force_id)
    tz = zoneinfo.ZoneInfo(item.meeting.task_force.timezone)
    wanted: list[Reminder] = []
    if item.status == ActionItemStatus.OPEN and item.owner.is_active:
        due_soon = _action_send_at(
            item.due_date - datetime.timedelta(days=cfg.action_due_days), hour=cfg.action_hour, tz=tz
        )
        overdue = _action_send_at(item.due_date + datetime.timedelta(days=1), hour=cfg.action_hour, tz=tz)
        candidates = [(ReminderKind.ACTION_DUE, due_soon)]
        if cfg.action_overdue:
            candidates.append((ReminderKind.ACTION_OVERDUE, overdue))
        for kind, send_at in candidates:
            # A due-soon reminder whose day has passed is sent now unless the item is already overdue.
            if kind == ReminderKind.ACTION_DUE and send_at <= now:
                if now >= overdue:
                    continue
                send_at = now.replace(second=0, microsecond=0)
            wanted.append(
                Reminder(
                    task_force_id=item.task_force_id,
                    kind=kind,
                    action_item=item,
                    user_id=item.owner_id,
                    send_at=send_at,
                )
            )
    keys = {(r.kind, r.user_id, r.send_at) for r in wanted}
    stale = [
        pk
        for pk, kind, uid, send_at in Reminder.objects.filter(
            action_item=item, sent_at__isnull=True, cancelled_at__isnull=True
        ).values_list("pk", "kind", "user_id", "send_at")
        if (kind, uid, send_at) not in keys
    ]
    _cancel_unsent(Reminder.objects.filter(pk__in=stale), now=now)
    _keep(wanted)


# --- Meetings ------------------------------------------------------------------------------------------------


def _audit(actor: access.Actor, action: str, obj, changes: dict | None = None, request=None) -> None:
    audit.record(
        action=action, actor=actor.user, task_force=actor.task_force, obj=obj, changes=changes, request=request
    )


def _jsonable(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def meeting_schedule(
    *,
    actor: access.Actor,
    kind: str,
    title: str,
    start: datetime.datetime,
    end: datetime.datetime,
    timezone_name: str | None = None,
    place: str = "",
    video_link: str = "",
    agenda: str = "",
    partners: Iterable[Partner] = (),
    users: Iterable = (),
    rrule: str = "",
    request=None,
) -> Meeting:
    """Schedule a meeting (or, with ``rrule``, a recurring series: its occurrences up to the horizon) and invite
    partners (their active members) and people. Each invitee is sent the invitation with its .ics."""
    access.require(access.can_manage_meetings(actor), _("Only coordinators schedule meetings."))
    tz_name = timezone_name or actor.task_force.timezone
    _check_times(start=start, end=end, tz_name=tz_name)
    if kind not in MeetingKind.values:
        raise ValidationError({"kind": _("Choose a kind of meeting.")})
    partners = _partners_of_task_force(actor, partners)
    users = _users_of_task_force(actor, users)
    fields = {
        "kind": kind,
        "title": title,
        "start": start,
        "end": end,
        "timezone": tz_name,
        "place": place,
        "video_link": video_link,
        "agenda": agenda,
    }
    now = timezone.now()
    with transaction.atomic():
        if not rrule:
            meeting = Meeting(task_force=actor.task_force, created_by=actor.user, **fields)
            meeting.full_clean()
            meeting.save()
            added, _removed = _sync_invitees(meeting, partners=partners, users=users)
            _plan_meeting(meeting, now=now, notify_ids=added)
            _audit(actor, audit.AuditAction.CREATED, meeting, {k: _jsonable(v) for k, v in fields.items()}, request)
            return meeting
        parse_rule(rrule, first_start=start, tz_name=tz_name)
        series = MeetingSeries(
            task_force=actor.task_force,
            kind=kind,
            title=title,
            first_start=start,
            duration=end - start,
            timezone=tz_name,
            rrule=rrule.strip().removeprefix("RRULE:"),
            place=place,
            video_link=video_link,
            agenda=agenda,
            created_by=actor.user,
        )
        series.full_clean()
        series.save()
        series.partners.set(partners)
        series.users.set(users)
        _audit(
            actor, audit.AuditAction.CREATED, series, {"rrule": series.rrule, "first_start": start.isoformat()}, request
        )
        made = series_extend(series=series, now=now)
        if not made:
            raise ValidationError({"rrule": _("This rule gives no meeting from the first start on.")})
        return made[0]


def _occurrence_fields(series: MeetingSeries, start: datetime.datetime) -> dict[str, Any]:
    return {
        "task_force_id": series.task_force_id,
        "series": series,
        "recurrence_id": start,
        "kind": series.kind,
        "title": series.title,
        "start": start,
        "end": _occurrence_end(start, series.duration, series.timezone),
        "timezone": series.timezone,
        "place": series.place,
        "video_link": series.video_link,
        "agenda": series.agenda,
        "created_by_id": series.created_by_id,
    }


def series_extend(*, series: MeetingSeries, now: datetime.datetime | None = None) -> list[Meeting]:
    """Make the series' occurrences from its first start (or where it was made up to) to the horizon, inviting and
    planning each new one. Idempotent: an occurrence already made (unique series + recurrence id) is skipped.
    Returns the occurrences it made."""
    now = now or timezone.now()
    if series.ended_at is not None:
        return []
    until = now + _horizon()
    after = max(series.first_start, series.planned_until or series.first_start)
    made = []
    with transaction.atomic():
        locked = MeetingSeries.objects.select_for_update().get(pk=series.pk)
        partners = list(locked.partners.all())
        users = list(locked.users.filter(is_active=True))
        existing = set(Meeting.objects.filter(series=locked).values_list("recurrence_id", flat=True))
        for start in occurrence_starts(locked, after=after, until=until):
            if start in existing:
                continue
            meeting = Meeting(**_occurrence_fields(locked, start))
            meeting.save()
            added, _removed = _sync_invitees(meeting, partners=partners, users=users)
            _plan_meeting(meeting, now=now, notify_ids=added if meeting.start > now else ())
            made.append(meeting)
        MeetingSeries.objects.filter(pk=locked.pk).update(planned_until=until)
        series.planned_until = until
    return made


def series_extend_all(*, now: datetime.datetime | None = None) -> int:
    """The daily task: move every running series' horizon forward. Returns how many occurrences were made."""
    return sum(
        len(series_extend(series=s, now=now))
        for s in MeetingSeries.objects.filter(ended_at__isnull=True).order_by("pk")
    )


def _apply(meeting: Meeting, changes: dict[str, Any]) -> dict[str, list]:
    before = {f: getattr(meeting, f) for f in changes}
    for name, value in changes.items():
        setattr(meeting, name, value)
    return {f: [_jsonable(before[f]), _jsonable(changes[f])] for f in changes if before[f] != changes[f]}


def meeting_update(
    *,
    actor: access.Actor,
    meeting: Meeting,
    changes: dict[str, Any],
    partners: Iterable[Partner] | None = None,
    users: Iterable | None = None,
    request=None,
) -> Meeting:
    """Change one meeting (one occurrence of a series: it then keeps its own values when the series changes).

    A change attendees see (time, place, title...) raises the SEQUENCE, re-plans the reminders and sends every
    invitee the update; people no longer invited are sent the cancellation."""
    access.require(access.can_manage_meetings(actor), _("Only coordinators change meetings."))
    unknown = set(changes) - set(MEETING_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    now = timezone.now()
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk, task_force=actor.task_force)
        if locked.status == MeetingStatus.CANCELLED:
            raise ValidationError(_("This meeting is cancelled; it cannot be changed."))
        diff = _apply(locked, changes)
        _check_times(start=locked.start, end=locked.end, tz_name=locked.timezone)
        if locked.status == MeetingStatus.HELD and {"start", "end", "timezone"} & set(diff):
            raise ValidationError(_("This meeting was held; its time cannot be moved."))
        if partners is None:
            partners = [mp.partner for mp in locked.partner_invitations.select_related("partner")]
        else:
            partners = _partners_of_task_force(actor, partners)
        if users is None:
            users = [inv.user for inv in locked.invitees.filter(invited_personally=True).select_related("user")]
        else:
            users = _users_of_task_force(actor, users)
        calendar_change = bool(set(diff) & set(CALENDAR_FIELDS))
        if calendar_change:
            locked.sequence += 1
        if locked.series_id and diff:
            locked.detached = True
        locked.full_clean()
        locked.save()
        added, removed = _sync_invitees(locked, partners=partners, users=users)
        if removed:
            _plan_cancellation(locked, user_ids=removed, now=now)
        notify = (
            set(Invitee.objects.filter(meeting=locked).values_list("user_id", flat=True)) if calendar_change else added
        )
        _plan_meeting(locked, now=now, notify_ids=notify if locked.status == MeetingStatus.SCHEDULED else ())
        invitations = {"invited": sorted(added), "uninvited": sorted(removed)}
        _audit(
            actor, audit.AuditAction.CHANGED, locked, {**diff, **{k: v for k, v in invitations.items() if v}}, request
        )
    return locked


def series_update(
    *,
    actor: access.Actor,
    series: MeetingSeries,
    changes: dict[str, Any],
    rrule: str | None = None,
    partners: Iterable[Partner] | None = None,
    users: Iterable | None = None,
    request=None,
) -> MeetingSeries:
    """Change a whole series from now on: the series' values, and every future occurrence not edited on its own.

    ``changes`` may hold the series fields (kind, title, place, video_link, agenda) and ``start``/``end`` (the new
    first start and length); a new time or rule makes the future occurrences anew: those that no longer fall on the
    rule are cancelled (their invitees are told), the new ones invited."""
    access.require(access.can_manage_meetings(actor), _("Only coordinators change meetings."))
    now = timezone.now()
    with transaction.atomic():
        locked = MeetingSeries.objects.select_for_update().get(pk=series.pk, task_force=actor.task_force)
        if locked.ended_at is not None:
            raise ValidationError(_("This series has ended; it cannot be changed."))
        diff: dict[str, list] = {}
        for name in ("kind", "title", "place", "video_link", "agenda"):
            if name in changes and getattr(locked, name) != changes[name]:
                diff[name] = [getattr(locked, name), changes[name]]
                setattr(locked, name, changes[name])
        if "start" in changes or "end" in changes:
            start = changes.get("start", locked.first_start)
            end = changes.get("end", start + locked.duration)
            _check_times(start=start, end=end, tz_name=locked.timezone)
            if start != locked.first_start:
                diff["first_start"] = [locked.first_start.isoformat(), start.isoformat()]
            if end - start != locked.duration:
                diff["duration"] = [str(locked.duration), str(end - start)]
            locked.first_start, locked.duration = start, end - start
        if rrule is not None and rrule.strip().removeprefix("RRULE:") != locked.rrule:
            diff["rrule"] = [locked.rrule, rrule]
            locked.rrule = rrule.strip().removeprefix("RRULE:")
        parse_rule(locked.rrule, first_start=locked.first_start, tz_name=locked.timezone)
        locked.full_clean()
        locked.save()
        if partners is not None:
            locked.partners.set(_partners_of_task_force(actor, partners))
            diff["partners"] = sorted(p.pk for p in partners)
        if users is not None:
            locked.users.set(_users_of_task_force(actor, users))
            diff["users"] = sorted(u.pk for u in users)
        _reconcile_future(
            locked, actor=actor, now=now, timing_changed=bool({"first_start", "duration", "rrule"} & set(diff))
        )
        _audit(actor, audit.AuditAction.CHANGED, locked, diff, request)
    return locked


def _reconcile_future(
    series: MeetingSeries, *, actor: access.Actor, now: datetime.datetime, timing_changed: bool
) -> None:
    until = max(series.planned_until or now, now + _horizon())
    future = list(
        Meeting.objects.select_for_update()
        .filter(series=series, start__gt=now, status=MeetingStatus.SCHEDULED, detached=False)
        .order_by("start")
    )
    partners = list(series.partners.all())
    users = list(series.users.filter(is_active=True))
    starts = set(occurrence_starts(series, after=now, until=until)) if timing_changed else None
    for meeting in future:
        if starts is not None and meeting.recurrence_id not in starts:
            _cancel(meeting, actor=actor, reason=_("The series was rescheduled."), now=now)
            continue
        fields = _occurrence_fields(series, meeting.recurrence_id if starts is not None else meeting.start)
        changes = {k: fields[k] for k in ("kind", "title", "start", "end", "place", "video_link", "agenda")}
        diff = _apply(meeting, changes)
        if set(diff) & set(CALENDAR_FIELDS):
            meeting.sequence += 1
        meeting.save()
        added, removed = _sync_invitees(meeting, partners=partners, users=users)
        if removed:
            _plan_cancellation(meeting, user_ids=removed, now=now)
        notify = (
            set(Invitee.objects.filter(meeting=meeting).values_list("user_id", flat=True))
            if set(diff) & set(CALENDAR_FIELDS)
            else added
        )
        _plan_meeting(meeting, now=now, notify_ids=notify)
    if starts is not None:
        existing = set(Meeting.objects.filter(series=series).values_list("recurrence_id", flat=True))
        # A day that has an occurrence edited on its own keeps that one (no second meeting on the same day).
        tz = zoneinfo.ZoneInfo(series.timezone)
        kept_days = {
            timezone.localtime(recurrence, tz).date()
            for recurrence in Meeting.objects.filter(series=series, detached=True, start__gt=now).values_list(
                "recurrence_id", flat=True
            )
        }
        for start in sorted(starts - existing):
            if timezone.localtime(start, tz).date() in kept_days:
                continue
            meeting = Meeting(**_occurrence_fields(series, start))
            meeting.save()
            added, _removed = _sync_invitees(meeting, partners=partners, users=users)
            _plan_meeting(meeting, now=now, notify_ids=added)
        MeetingSeries.objects.filter(pk=series.pk).update(planned_until=until)


def _cancel(meeting: Meeting, *, actor: access.Actor, reason: str, now: datetime.datetime) -> None:
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancelled_at = now
    meeting.cancel_reason = reason[:300]
    meeting.sequence += 1
    meeting.save()
    _plan_cancellation(
        meeting, user_ids=Invitee.objects.filter(meeting=meeting).values_list("user_id", flat=True), now=now
    )
    _audit(
        actor,
        audit.AuditAction.CHANGED,
        meeting,
        {"status": [MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED], "reason": reason},
    )


def meeting_cancel(*, actor: access.Actor, meeting: Meeting, reason: str = "", request=None) -> Meeting:
    """Cancel one meeting: no reminder of it goes out any more, and everyone who was told of it is sent the
    cancellation (.ics METHOD:CANCEL)."""
    access.require(access.can_manage_meetings(actor), _("Only coordinators cancel meetings."))
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk, task_force=actor.task_force)
        if locked.status != MeetingStatus.SCHEDULED:
            raise ValidationError(
                _("Only a scheduled meeting can be cancelled; this one is %(status)s.")
                % {"status": locked.get_status_display()}
            )
        if locked.series_id:
            locked.detached = True
        _cancel(locked, actor=actor, reason=reason, now=timezone.now())
    return locked


def series_end(*, actor: access.Actor, series: MeetingSeries, request=None) -> int:
    """End a series: no more occurrences are made, and the future scheduled ones are cancelled (their invitees
    told). Returns how many were cancelled."""
    access.require(access.can_manage_meetings(actor), _("Only coordinators cancel meetings."))
    now = timezone.now()
    with transaction.atomic():
        locked = MeetingSeries.objects.select_for_update().get(pk=series.pk, task_force=actor.task_force)
        if locked.ended_at is not None:
            raise ValidationError(_("This series has already ended."))
        locked.ended_at = now
        locked.save(update_fields=["ended_at", "updated_at"])
        future = list(
            Meeting.objects.select_for_update().filter(series=locked, start__gt=now, status=MeetingStatus.SCHEDULED)
        )
        for meeting in future:
            _cancel(meeting, actor=actor, reason=_("The series was ended."), now=now)
        _audit(
            actor, audit.AuditAction.CHANGED, locked, {"ended_at": now.isoformat(), "cancelled": len(future)}, request
        )
    return len(future)


def meeting_minutes_save(*, actor: access.Actor, meeting: Meeting, minutes: str, request=None) -> Meeting:
    access.require(access.can_edit_minutes(actor, meeting), _("You may not edit these minutes."))
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk, task_force=actor.task_force)
        if locked.status == MeetingStatus.CANCELLED:
            raise ValidationError(_("This meeting is cancelled; it has no minutes."))
        locked.minutes = minutes
        locked.minutes_updated_at = timezone.now()
        locked.full_clean()
        locked.save(update_fields=["minutes", "minutes_updated_at", "updated_at"])
        # The minutes' text stays out of the trail (a case review's minutes are for its invitees only).
        _audit(actor, audit.AuditAction.CHANGED, locked, {"minutes": "updated"}, request)
    return locked


def meeting_mark_held(*, actor: access.Actor, meeting: Meeting, request=None) -> Meeting:
    access.require(access.can_manage_meetings(actor), _("Only coordinators record meetings."))
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk, task_force=actor.task_force)
        _mark_held(locked, actor=actor, request=request)
    return locked


def _mark_held(meeting: Meeting, *, actor: access.Actor, request=None) -> None:
    if meeting.status == MeetingStatus.HELD:
        return
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting is cancelled."))
    if meeting.start > timezone.now() + datetime.timedelta(hours=1):
        raise ValidationError(_("A meeting can be recorded as held from an hour before it starts."))
    meeting.status = MeetingStatus.HELD
    meeting.save(update_fields=["status", "updated_at"])
    _cancel_unsent(Reminder.objects.filter(meeting=meeting, kind=ReminderKind.MEETING_SOON), now=timezone.now())
    _audit(
        actor, audit.AuditAction.CHANGED, meeting, {"status": [MeetingStatus.SCHEDULED, MeetingStatus.HELD]}, request
    )


def attendance_record(
    *,
    actor: access.Actor,
    meeting: Meeting,
    people: dict[int, str],
    partners: dict[int, str] | None = None,
    request=None,
) -> Meeting:
    """Record who came: ``people`` maps invitee user ids to present / absent / excused (a blank value clears);
    ``partners`` maps invited partner ids likewise. A partner not given is present when any of its invitees was,
    excused when none came and one was excused, absent when all were marked and none came. Recording attendance
    records the meeting as held."""
    access.require(access.can_take_attendance(actor, meeting), _("You may not take attendance for this meeting."))
    valid = set(Attendance.values) | {""}
    partners = partners or {}
    if any(v not in valid for v in [*people.values(), *partners.values()]):
        raise ValidationError(_("Attendance is present, absent or excused."))
    now = timezone.now()
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk, task_force=actor.task_force)
        _mark_held(locked, actor=actor, request=request)
        invitees = {inv.user_id: inv for inv in Invitee.objects.filter(meeting=locked)}
        invitations = {mp.partner_id: mp for mp in MeetingPartner.objects.filter(meeting=locked)}
        unknown = (set(people) - set(invitees)) | (set(partners) - set(invitations))
        if unknown:
            raise ValidationError(_("Attendance can be taken only for the meeting's invitees and invited partners."))
        changed = []
        for uid, status in people.items():
            inv = invitees[uid]
            if inv.attendance != status:
                inv.attendance, inv.attendance_recorded_at, inv.attendance_recorded_by = status, now, actor.user
                changed.append(inv)
        Invitee.objects.bulk_update(changed, ["attendance", "attendance_recorded_at", "attendance_recorded_by"])
        by_partner: dict[int, list[str]] = {}
        for inv in invitees.values():
            if inv.via_partner_id:
                by_partner.setdefault(inv.via_partner_id, []).append(inv.attendance)
        partner_rows = []
        for pid, mp in invitations.items():
            status = partners.get(pid, _derived_partner_attendance(by_partner.get(pid, [])))
            if mp.attendance != status:
                mp.attendance = status
                partner_rows.append(mp)
        MeetingPartner.objects.bulk_update(partner_rows, ["attendance"])
        _audit(
            actor,
            audit.AuditAction.CHANGED,
            locked,
            {
                "attendance": {str(inv.user_id): inv.attendance for inv in changed},
                "partner_attendance": {str(mp.partner_id): mp.attendance for mp in partner_rows},
            },
            request,
        )
    return locked


def _derived_partner_attendance(marks: list[str]) -> str:
    if Attendance.PRESENT in marks:
        return Attendance.PRESENT
    if Attendance.EXCUSED in marks:
        return Attendance.EXCUSED
    if marks and all(marks):
        return Attendance.ABSENT
    return ""


def invitee_add(*, actor: access.Actor, meeting: Meeting, user, request=None) -> Invitee:
    """Invite one more person (e.g. someone who came without an invitation, before taking attendance)."""
    access.require(access.can_manage_meetings(actor), _("Only coordinators invite people."))
    _users_of_task_force(actor, [user])
    with transaction.atomic():
        locked = Meeting.objects.select_for_update().get(pk=meeting.pk, task_force=actor.task_force)
        if locked.status == MeetingStatus.CANCELLED:
            raise ValidationError(_("This meeting is cancelled."))
        invitee, created = Invitee.objects.get_or_create(
            meeting=locked, user=user, defaults={"invited_personally": True}
        )
        if not created and not invitee.invited_personally:
            invitee.invited_personally = True
            invitee.save(update_fields=["invited_personally"])
        if created:
            _plan_meeting(locked, now=timezone.now(), notify_ids=[user.pk])
            _audit(actor, audit.AuditAction.CHANGED, locked, {"invited": [user.pk]}, request)
    return invitee


# --- Action items ---------------------------------------------------------------------------------------------


def _check_owner(actor: access.Actor, owner) -> None:
    if not access.users_invitable_by(actor).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("The owner must be an active member of this task force.")})


def action_item_add(
    *, actor: access.Actor, meeting: Meeting, text: str, owner, due_date: datetime.date, request=None
) -> ActionItem:
    access.require(access.can_manage_meetings(actor), _("Only coordinators add action items."))
    access.require(access.can_view_action_items_of(actor, meeting), _("You may not add action items here."))
    access.require(meeting.task_force_id == actor.task_force.pk, _("This meeting is not of your task force."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting is cancelled; it takes no action items."))
    _check_owner(actor, owner)
    with transaction.atomic():
        item = ActionItem(
            task_force=actor.task_force,
            meeting=meeting,
            text=text,
            owner=owner,
            due_date=due_date,
            created_by=actor.user,
        )
        item.full_clean()
        item.save()
        _plan_action_item(item, now=timezone.now())
        _audit(
            actor,
            audit.AuditAction.CREATED,
            item,
            {"meeting": meeting.pk, "owner": owner.pk, "due_date": due_date.isoformat()},
            request,
        )
    return item


def action_item_update(*, actor: access.Actor, item: ActionItem, changes: dict[str, Any], request=None) -> ActionItem:
    """Change the text, owner or due date (coordinators); the reminders follow."""
    access.require(access.can_manage_meetings(actor), _("Only coordinators change action items."))
    unknown = set(changes) - {"text", "owner", "due_date"}
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    if "owner" in changes:
        _check_owner(actor, changes["owner"])
    with transaction.atomic():
        locked = (
            ActionItem.objects.select_for_update()
            .select_related("meeting__task_force", "owner")
            .get(pk=item.pk, task_force=actor.task_force)
        )
        before = {"text": locked.text, "owner": locked.owner_id, "due_date": locked.due_date.isoformat()}
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        after = {"text": locked.text, "owner": locked.owner_id, "due_date": locked.due_date.isoformat()}
        _plan_action_item(locked, now=timezone.now())
        _audit(actor, audit.AuditAction.CHANGED, locked, audit.changed_fields(before, after), request)
    return locked


def action_item_set_status(*, actor: access.Actor, item: ActionItem, done: bool, request=None) -> ActionItem:
    """Mark an item done (its unsent reminders stop) or open it again (they are planned again)."""
    access.require(access.can_complete_action_item(actor, item), _("Only the owner or a coordinator may do that."))
    with transaction.atomic():
        locked = (
            ActionItem.objects.select_for_update()
            .select_related("meeting__task_force", "owner")
            .get(pk=item.pk, task_force=actor.task_force)
        )
        wanted = ActionItemStatus.DONE if done else ActionItemStatus.OPEN
        if locked.status == wanted:
            return locked
        before = locked.status
        locked.status = wanted
        locked.done_at = timezone.now() if done else None
        locked.done_by = actor.user if done else None
        locked.save()
        _plan_action_item(locked, now=timezone.now())
        _audit(actor, audit.AuditAction.CHANGED, locked, {"status": [before, wanted]}, request)
    return locked


def reminder_settings_save(
    *,
    actor: access.Actor,
    meeting_hours: list[int],
    action_due_days: int,
    action_overdue: bool,
    action_hour: int,
    request=None,
) -> ReminderSettings:
    """The task force's reminder defaults; meetings planned from now on use them (and any meeting saved again)."""
    access.require(access.can_manage_meetings(actor), _("Only coordinators change reminder settings."))
    hours = sorted({int(h) for h in meeting_hours}, reverse=True)
    if not hours or any(h < 1 or h > 24 * 14 for h in hours) or len(hours) > 5:
        raise ValidationError({"meeting_hours": _("Give one to five reminder times, each 1 to 336 hours before.")})
    with transaction.atomic():
        cfg, _created = ReminderSettings.objects.select_for_update().get_or_create(task_force=actor.task_force)
        before = {
            "meeting_hours": cfg.meeting_hours,
            "action_due_days": cfg.action_due_days,
            "action_overdue": cfg.action_overdue,
            "action_hour": cfg.action_hour,
        }
        cfg.meeting_hours, cfg.action_due_days, cfg.action_overdue, cfg.action_hour = (
            hours,
            action_due_days,
            action_overdue,
            action_hour,
        )
        cfg.full_clean()
        cfg.save()
        after = {
            "meeting_hours": hours,
            "action_due_days": action_due_days,
            "action_overdue": action_overdue,
            "action_hour": action_hour,
        }
        _audit(actor, audit.AuditAction.CHANGED, cfg, audit.changed_fields(before, after), request)
        _replan_task_force(actor.task_force.pk, now=timezone.now())
    return cfg


def _replan_task_force(task_force_id: int, *, now: datetime.datetime) -> None:
    """New reminder settings apply to every meeting still ahead and every open action item (sent ones stay sent)."""
    for meeting in Meeting.objects.filter(task_force_id=task_force_id, status=MeetingStatus.SCHEDULED, start__gt=now):
        _plan_meeting(meeting, now=now)
    items = ActionItem.objects.filter(task_force_id=task_force_id, status=ActionItemStatus.OPEN).select_related(
        "meeting__task_force", "owner"
    )
    for item in items:
        _plan_action_item(item, now=now)


def meetings_refresh_invitees(*, now: datetime.datetime | None = None) -> int:
    """The daily task: bring the invitees of every meeting still ahead in line with its invited partners' current
    members (someone who joined a partner since is invited and sent the invitation; someone who left is dropped and
    gets nothing more). Returns how many people were added or dropped."""
    now = now or timezone.now()
    changed = 0
    upcoming = Meeting.objects.filter(status=MeetingStatus.SCHEDULED, start__gt=now).order_by("pk")
    for meeting_id in upcoming.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
            if meeting.status != MeetingStatus.SCHEDULED:
                continue
            partners = [mp.partner for mp in meeting.partner_invitations.select_related("partner")]
            users = [inv.user for inv in meeting.invitees.filter(invited_personally=True).select_related("user")]
            added, removed = _sync_invitees(meeting, partners=partners, users=users)
            if removed:
                _plan_cancellation(meeting, user_ids=removed, now=now)
            if added or removed:
                _plan_meeting(meeting, now=now, notify_ids=added)
            changed += len(added) + len(removed)
    return changed
