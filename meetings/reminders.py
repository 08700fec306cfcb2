"""Sending the planned reminders (``Reminder`` rows): the every-minute task ``meetings.tasks.send_due_reminders``.

How each message goes out once
------------------------------
A row is due when ``send_at <= now``, it is neither sent nor cancelled, and nobody holds a live claim on it
(``claimed_at`` empty, or older than the lease, ``PSN_REMINDER_LEASE_SECONDS``). A worker takes one row at a time
with a conditional UPDATE (the due conditions in its WHERE; it sets ``claimed_at``, a fresh ``claim_token`` and
``attempts + 1``) and goes on only if exactly one row changed. PostgreSQL re-checks the WHERE of a row another
transaction has just changed, so of two workers (or two runs of the task) racing for the same row, one wins and the
other sees 0 rows and moves on. The winner checks the message still fits (the person is still invited and active,
the meeting still scheduled, the item still open and theirs...; else the row is cancelled, not sent), hands the
email to the mail server, and then marks ``sent_at`` with a second conditional UPDATE on its own ``claim_token``.

A mail server that refuses (SMTP error, connection refused: ``OSError``) releases the claim and keeps the error in
``last_error``: the next run tries again, up to ``MAX_ATTEMPTS``; after that the row is cancelled with the error.

The one window, and the choice made
-----------------------------------
A worker killed (SIGKILL, the machine lost) after the mail server accepted the message and before ``sent_at`` was
written leaves a claimed, unsent row. When its lease runs out another run takes it over and sends it again: that
person gets the same message twice. The alternative (mark ``sent_at`` first, send after) turns the same crash into
a message never sent. A lost "the meeting is in an hour" or a lost cancellation is worse than a doubled one, so the
window is at-least-once: a possible double, never a loss. It is one message per killed worker at most (a worker
holds one claim at a time) and only if the kill lands in the few milliseconds between the mail server's answer and
the UPDATE; a kill anywhere else only delays the message by the lease. Each email carries ``X-PSN-Reminder: <id>``,
so a double can be told from a new message (and counted by the tests).

The lease must be longer than one send takes (seconds); the default, five minutes, also keeps a message from being
sent twice when a slow mail server takes long to answer.
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from psn import access

from . import ics
from .models import (
    ACTION_KINDS,
    ActionItemStatus,
    Invitee,
    MeetingKind,
    MeetingPartner,
    MeetingStatus,
    Reminder,
    ReminderKind,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
HEADER = "X-PSN-Reminder"


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "PSN_REMINDER_LEASE_SECONDS", 300))


def _due(now: datetime.datetime, *, claimable_since: datetime.datetime):
    return Reminder.objects.filter(send_at__lte=now, sent_at__isnull=True, cancelled_at__isnull=True).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=claimable_since)
    )


def _claim(pk: int, *, now: datetime.datetime) -> str | None:
    """Take the row if it is still due and unclaimed (or its claim is stale): the claim token, or None when
    another worker has it (or it was sent or cancelled meanwhile)."""
    at = timezone.now()
    token = uuid.uuid4().hex
    changed = (
        _due(now, claimable_since=at - _lease())
        .filter(pk=pk)
        .update(claimed_at=at, claim_token=token, attempts=F("attempts") + 1)
    )
    return token if changed == 1 else None


def _mark_sent(pk: int, token: str) -> bool:
    return (
        Reminder.objects.filter(pk=pk, claim_token=token, sent_at__isnull=True).update(
            sent_at=timezone.now(), last_error=""
        )
        == 1
    )


def _cancel(pk: int, token: str, reason: str) -> None:
    Reminder.objects.filter(pk=pk, claim_token=token, sent_at__isnull=True).update(
        cancelled_at=timezone.now(), claimed_at=None, last_error=reason[:300]
    )


def _release(reminder: Reminder, token: str, error: str) -> None:
    """The mail server refused: free the row for the next run, or give up after MAX_ATTEMPTS."""
    fields = {"claimed_at": None, "claim_token": "", "last_error": error[:300]}
    if reminder.attempts >= MAX_ATTEMPTS:
        fields["cancelled_at"] = timezone.now()
    Reminder.objects.filter(pk=reminder.pk, claim_token=token, sent_at__isnull=True).update(**fields)


# --- Is the message still right? ----------------------------------------------------------------------------


def _still_invited(reminder: Reminder) -> bool:
    """Invited personally, or an active member of the invited partner that brought them in."""
    invitee = Invitee.objects.filter(meeting_id=reminder.meeting_id, user_id=reminder.user_id).first()
    if invitee is None:
        return False
    if invitee.invited_personally:
        return True
    if invitee.via_partner_id is None:
        return False
    return (
        MeetingPartner.objects.filter(meeting_id=reminder.meeting_id, partner_id=invitee.via_partner_id).exists()
        and access.active_memberships(reminder.user)
        .filter(partner_id=invitee.via_partner_id, task_force_id=reminder.task_force_id)
        .exists()
    )


def _why_not(reminder: Reminder, *, now: datetime.datetime) -> str:
    """Why this message should not go out any more ("" when it should)."""
    if not reminder.user.is_active or not reminder.user.email:
        return "recipient inactive"
    if reminder.kind in ACTION_KINDS:
        item = reminder.action_item
        if item.status != ActionItemStatus.OPEN:
            return "action item done"
        if item.owner_id != reminder.user_id:
            return "action item has another owner"
        return ""
    meeting = reminder.meeting
    invited = _still_invited(reminder)
    if reminder.kind == ReminderKind.CANCELLATION:
        if meeting.status == MeetingStatus.CANCELLED or not invited:
            return ""
        return "meeting not cancelled and recipient still invited"
    if meeting.status != MeetingStatus.SCHEDULED:
        return f"meeting {meeting.status}"
    if not invited:
        return "no longer invited"
    if reminder.kind == ReminderKind.INVITATION and reminder.sequence != meeting.sequence:
        return "a newer version was planned"
    if reminder.kind == ReminderKind.MEETING_SOON and meeting.start <= now:
        return "meeting already started"
    return ""


# --- The email ----------------------------------------------------------------------------------------------


def _ics_part(content: bytes, method: str) -> MIMEText:
    part = MIMEText(content.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part


def _subject(template: str, context: dict) -> str:
    return settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(render_to_string(template, context).split())


def build_email(reminder: Reminder, *, connection=None) -> EmailMultiAlternatives:
    """The message of one reminder: plain text and HTML in the task force's language, times in the meeting's (or
    the task force's) time zone, the .ics for an invitation, update or cancellation. No minutes, no agenda, no
    person's name (a case review shows its kind, not its title)."""
    if reminder.kind in ACTION_KINDS:
        item = reminder.action_item
        meeting = item.meeting
        tz_name = meeting.task_force.timezone
        family = "meeting_action_item"
    else:
        item = None
        meeting = reminder.meeting
        tz_name = meeting.timezone
        family = "meeting_notice"
    context = {
        "kind": reminder.kind,
        "meeting": meeting,
        "summary": ics.meeting_summary(meeting),
        "show_item_text": item is not None and meeting.kind != MeetingKind.CASE_REVIEW,
        "item": item,
        "is_update": reminder.kind == ReminderKind.INVITATION and reminder.sequence > 0,
        "url": ics.meeting_url(meeting),
    }
    with translation.override(settings.LANGUAGE_CODE), timezone.override(tz_name):
        subject = _subject(f"emails/{family}_subject.txt", context)
        text = render_to_string(f"emails/{family}.txt", context)
        html = render_to_string(f"emails/{family}.html", context)
        method = {ReminderKind.INVITATION: "REQUEST", ReminderKind.CANCELLATION: "CANCEL"}.get(reminder.kind)
        calendar = ics.meeting_calendar(meeting, method=method, recipient=reminder.user) if method else None
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[reminder.user.email],
        headers={HEADER: str(reminder.pk)},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    if calendar is not None:
        message.attach(_ics_part(calendar, method))
    return message


# --- The run ------------------------------------------------------------------------------------------------


def _candidates(now: datetime.datetime, *, batch: int, skip: set[int]) -> list[int]:
    return list(
        _due(now, claimable_since=timezone.now() - _lease())
        .exclude(pk__in=skip)
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )


def _pause(setting: str) -> None:
    # Tests only (the worker kill test): PSN_REMINDER_SEND_DELAY_MS stands for a slow mail server (before the
    # message is accepted), PSN_REMINDER_MARK_DELAY_MS widens the window after it, so a SIGKILL lands in one or the
    # other. Unset (0) in production.
    delay = getattr(settings, setting, 0)
    if delay:
        time.sleep(delay / 1000)


def _send_one(pk: int, *, now: datetime.datetime, connection) -> bool:
    """Claim, check, send and mark one reminder. True when this call sent it."""
    token = _claim(pk, now=now)
    if token is None:
        return False
    reminder = Reminder.objects.select_related("user", "meeting__task_force", "action_item__meeting__task_force").get(
        pk=pk
    )
    reason = _why_not(reminder, now=now)
    if reason:
        _cancel(pk, token, reason)
        return False
    message = build_email(reminder, connection=connection)
    _pause("PSN_REMINDER_SEND_DELAY_MS")
    try:
        message.send()
    except OSError as exc:  # smtplib.SMTPException is an OSError too
        logger.warning("Reminder %s not sent (attempt %s): %s", pk, reminder.attempts, exc)
        _release(reminder, token, f"{type(exc).__name__}: {exc}")
        connection.close()  # a broken SMTP connection is opened anew for the next message
        return False
    _pause("PSN_REMINDER_MARK_DELAY_MS")
    if not _mark_sent(pk, token):
        # Our lease ran out while the mail server took its time and another worker took the row over.
        logger.warning("Reminder %s was sent, but another worker had taken over its claim.", pk)
    return True


def reminders_send_due(*, now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Send every due reminder not claimed by another worker; returns how many this call sent.

    Safe to run any number of times at once (see the module docstring). Rows that failed in this call are not
    tried again before the next run."""
    now = now or timezone.now()
    sent = 0
    tried: set[int] = set()
    connection = get_connection()
    try:
        while True:
            candidates = _candidates(now, batch=batch, skip=tried)
            if not candidates:
                return sent
            for pk in candidates:
                tried.add(pk)
                sent += _send_one(pk, now=now, connection=connection)
    finally:
        connection.close()
