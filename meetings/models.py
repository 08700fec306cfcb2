"""Meetings of a task force: the meeting and its recurring series, who is invited (partners and people), who came,
the action items agreed, and the reminders planned for each invitee and owner.

Rules live in ``meetings/services.py`` (writes) and ``meetings/selectors.py`` (reads); the sending of reminders in
``meetings/reminders.py``; the .ics in ``meetings/ics.py``. Models hold fields, choices, constraints and indexes.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from partners.models import Partner, TaskForce, validate_timezone


class MeetingKind(models.TextChoices):
    TASK_FORCE = "task_force", _("Task force meeting")
    WORKING_GROUP = "working_group", _("Working group")
    CASE_REVIEW = "case_review", _("Case review")
    CALL_IN = "call_in", _("Call-in / custom notification forum")


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")
    HELD = "held", _("Held")


class Attendance(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class MeetingSeries(models.Model):
    """A recurring meeting: an RFC 5545 rule and the fields each occurrence starts from.

    Occurrences are ``Meeting`` rows made ahead (``services.series_extend``), each editable on its own; the rule is
    expanded in the series' own time zone, so a 10:00 meeting stays at 10:00 across daylight-saving changes."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    # DTSTART: the first occurrence's start (stored in UTC, expanded in ``timezone``), and every occurrence's length.
    first_start = models.DateTimeField(_("first start"))
    duration = models.DurationField(_("duration"))
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    rrule = models.CharField(_("recurrence rule"), max_length=300)
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    agenda = models.TextField(_("agenda"), blank=True, max_length=20000)
    partners = models.ManyToManyField(Partner, blank=True, related_name="+", verbose_name=_("invited partners"))
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("invited people")
    )
    # Occurrences are made up to here (the horizon moves forward daily); ended_at stops the series.
    planned_until = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        indexes = [models.Index(fields=["task_force", "ended_at"], name="series_tf_ended_idx")]

    def __str__(self) -> str:
        return f"{self.title} ({self.rrule})"


class Meeting(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    series = models.ForeignKey(
        MeetingSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="occurrences", editable=False
    )
    # The occurrence's start as the rule made it (RFC 5545 RECURRENCE-ID): stays when the occurrence is moved.
    recurrence_id = models.DateTimeField(null=True, blank=True, editable=False)
    # Edited on its own: a change to the whole series leaves it as it is.
    detached = models.BooleanField(default=False, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    agenda = models.TextField(_("agenda"), blank=True, max_length=20000)
    minutes = models.TextField(_("minutes"), blank=True, max_length=50000)
    status = models.CharField(
        _("status"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    # The .ics identity: the UID never changes; SEQUENCE goes up with every change attendees must see.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    partners = models.ManyToManyField(
        Partner, through="MeetingPartner", blank=True, related_name="+", verbose_name=_("invited partners")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    minutes_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")), name="meeting_ends_after_start"),
            models.UniqueConstraint(
                fields=["series", "recurrence_id"],
                condition=models.Q(series__isnull=False),
                name="meeting_occurrence_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["task_force", "start"], name="meeting_tf_start_idx"),
            models.Index(fields=["task_force", "status", "start"], name="meeting_tf_status_start_idx"),
            models.Index(fields=["task_force", "kind", "start"], name="meeting_tf_kind_start_idx"),
            models.Index(fields=["series", "start"], name="meeting_series_start_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tzinfo(self):
        import zoneinfo

        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED


class MeetingPartner(models.Model):
    """A partner invited to a meeting (its active members are invited with it) and whether it attended."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="partner_invitations")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "partner"], name="meetingpartner_unique")]
        indexes = [models.Index(fields=["partner", "meeting"], name="meetingpartner_partner_idx")]

    def __str__(self) -> str:
        return f"{self.partner} · {self.meeting}"


class Invitee(models.Model):
    """A person invited to a meeting, personally or through an invited partner, and their attendance."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitees")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="meeting_invitations")
    invited_personally = models.BooleanField(default=False)
    # The invited partner that brought this person in (None: invited personally only).
    via_partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True, editable=False)
    attendance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="invitee_unique")]
        indexes = [models.Index(fields=["user", "meeting"], name="invitee_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.meeting}"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class ActionItem(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="action_items")
    text = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=8, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    done_at = models.DateTimeField(null=True, blank=True, editable=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", done_at__isnull=True)
                | models.Q(status="done", done_at__isnull=False),
                name="actionitem_done_at_matches_status",
            )
        ]
        indexes = [
            models.Index(fields=["task_force", "owner", "status", "due_date"], name="actionitem_tf_owner_idx"),
            models.Index(fields=["task_force", "status", "due_date"], name="actionitem_tf_status_idx"),
            models.Index(fields=["meeting", "due_date"], name="actionitem_meeting_idx"),
        ]

    def __str__(self) -> str:
        return self.text


class ReminderKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation or update")
    MEETING_SOON = "meeting_soon", _("Meeting reminder")
    CANCELLATION = "cancellation", _("Cancellation")
    ACTION_DUE = "action_due", _("Action item due soon")
    ACTION_OVERDUE = "action_overdue", _("Action item overdue")


MEETING_KINDS = (ReminderKind.INVITATION, ReminderKind.MEETING_SOON, ReminderKind.CANCELLATION)
ACTION_KINDS = (ReminderKind.ACTION_DUE, ReminderKind.ACTION_OVERDUE)


class Reminder(models.Model):
    """One message planned for one person: what, whom, when (unique), and whether it went out.

    Planned when the meeting or action item is saved (``services``); sent by the every-minute task
    (``reminders.reminders_send_due``), which claims each row with a conditional UPDATE before sending and marks it
    sent after: ``reminders.py`` explains the one window left and the choice made."""

    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="+", editable=False)
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders")
    action_item = models.ForeignKey(
        ActionItem, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    send_at = models.DateTimeField()
    # The meeting's SEQUENCE when planned: an invitation or cancellation carries the .ics of that version.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    # The claim (a worker is sending it, since then); a claim older than the lease is taken over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Not to be sent any more (the meeting moved, was cancelled, the invitee left, the item was done).
    cancelled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["send_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "meeting", "user", "send_at"],
                condition=models.Q(meeting__isnull=False),
                name="reminder_meeting_what_whom_when",
            ),
            models.UniqueConstraint(
                fields=["kind", "action_item", "user", "send_at"],
                condition=models.Q(action_item__isnull=False),
                name="reminder_action_what_whom_when",
            ),
            models.CheckConstraint(
                condition=models.Q(meeting__isnull=False, action_item__isnull=True)
                | models.Q(meeting__isnull=True, action_item__isnull=False),
                name="reminder_about_one_thing",
            ),
        ]
        indexes = [
            # The every-minute sweep: unsent, not cancelled, by time.
            models.Index(
                fields=["send_at"],
                condition=models.Q(sent_at__isnull=True, cancelled_at__isnull=True),
                name="reminder_due_idx",
            ),
            models.Index(fields=["meeting", "user"], name="reminder_meeting_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user} at {self.send_at:%Y-%m-%d %H:%M}"


class ReminderSettings(models.Model):
    """A task force's reminder defaults (a task force without a row uses the defaults below)."""

    DEFAULT_MEETING_HOURS = (24, 1)
    DEFAULT_ACTION_DUE_DAYS = 2

    task_force = models.OneToOneField(TaskForce, on_delete=models.CASCADE, related_name="reminder_settings")
    # Hours before a meeting at which each invitee is reminded, e.g. [24, 1].
    meeting_hours = models.JSONField(_("meeting reminders (hours before)"), default=list)
    action_due_days = models.PositiveSmallIntegerField(
        _("action item reminder (days before the due date)"),
        default=DEFAULT_ACTION_DUE_DAYS,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
    )
    action_overdue = models.BooleanField(_("remind owners of overdue action items"), default=True)
    # The local time of day at which action-item reminders go out.
    action_hour = models.PositiveSmallIntegerField(
        _("hour of day for action item reminders"), default=9, validators=[MaxValueValidator(23)]
    )

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self) -> str:
        return f"Reminders of {self.task_force}"
