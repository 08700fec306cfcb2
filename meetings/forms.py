"""Forms of the meeting pages: the shape of the input only. Who may do what, and every rule across objects, is the
services' (``meetings.services``); their ``ValidationError`` is shown next to the field it names.

Times are typed on the meeting's own clock (an HTML ``datetime-local`` input, no offset) and turned into an aware
time here with ``zoneinfo``: a time the clocks skip on a daylight-saving day is a form error, never a 500.
"""

from __future__ import annotations

import calendar
import datetime
import re
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from psn import access
from psn.widgets import PlainSelect

from .models import ActionItemStatus, MeetingKind, ReminderSettings
from .selectors import PAST, UPCOMING

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# Years a meeting may fall in: outside them the conversion to UTC could overflow, and nobody means them.
FIRST_YEAR, LAST_YEAR = 2000, 2100
MONTH = re.compile(r"(\d{4})-(\d{2})")
# Offered in the time-zone select besides the task force's own (and the meeting's, when editing).
US_TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "Pacific/Guam",
    "UTC",
)


class Repeat:
    NONE = ""
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY_WEEKDAY = "monthly_weekday"
    MONTHLY_DATE = "monthly_date"


REPEAT_CHOICES = [
    (Repeat.NONE, _("Does not repeat")),
    (Repeat.WEEKLY, _("Every week")),
    (Repeat.BIWEEKLY, _("Every 2 weeks")),
    (Repeat.MONTHLY_WEEKDAY, _("Every month on the same weekday (e.g. the 2nd Tuesday)")),
    (Repeat.MONTHLY_DATE, _("Every month on the same date")),
]
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock time without a zone (the form puts it in the meeting's zone), from a ``datetime-local`` input."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)
    input_formats = [LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def prepare_value(self, value):
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            result = value
        else:
            try:
                result = parse_datetime(str(value).strip())
            except ValueError as exc:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
            if result is None:
                result = forms.fields.BaseTemporalField.to_python(self, value)
        if result.tzinfo is not None:
            raise ValidationError(_("Give the time without a time zone: the form's time zone applies."))
        if not FIRST_YEAR <= result.year <= LAST_YEAR:
            raise ValidationError(
                _("Give a year from %(first)d to %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return result.replace(second=0, microsecond=0)

    def strptime(self, value, format):
        return datetime.datetime.strptime(value, format)


def aware(naive: datetime.datetime, tz_name: str) -> datetime.datetime:
    """The wall-clock time in ``tz_name`` as an aware UTC time; ValueError when the clocks skip it that day. A time
    the clocks pass twice (the autumn change) means its first pass, as in the services."""
    tz = zoneinfo.ZoneInfo(tz_name)
    result = naive.replace(tzinfo=tz, fold=0).astimezone(datetime.UTC)
    if result.astimezone(tz).replace(tzinfo=None) != naive:
        raise ValueError(naive)
    return result


def local(value: datetime.datetime, tz_name: str) -> datetime.datetime:
    """An aware time as the naive wall-clock time a ``datetime-local`` input shows."""
    return timezone.localtime(value, zoneinfo.ZoneInfo(tz_name)).replace(tzinfo=None)


def timezone_choices(*names: str) -> list[tuple[str, str]]:
    wanted = [n for n in names if n] + [n for n in US_TIMEZONES if n not in names]
    seen: list[str] = []
    for name in wanted:
        if name not in seen:
            seen.append(name)
    return [(name, name.replace("_", " ")) for name in seen]


def _user_label(user) -> str:
    return user.full_name or user.email


class _ServiceErrorsMixin:
    def add_service_errors(self, error: ValidationError) -> None:
        """A service's refusal next to the field it names (or above the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error.messages)


class MeetingForm(_ServiceErrorsMixin, forms.Form):
    """Scheduling a meeting (``series=None, editing=False``) or changing one (``editing=True``; for an occurrence of a
    series, ``series`` is set and ``scope`` chooses this meeting or the whole series from now on)."""

    SCOPE_THIS = "this"
    SCOPE_SERIES = "series"

    scope = forms.ChoiceField(
        label=_("Change"),
        choices=[(SCOPE_THIS, _("This meeting only")), (SCOPE_SERIES, _("The whole series from now on"))],
        initial=SCOPE_THIS,
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=MeetingKind.choices, widget=PlainSelect)
    title = forms.CharField(label=_("Title"), max_length=200)
    start = LocalDateTimeField(label=_("Starts"))
    end = LocalDateTimeField(label=_("Ends"))
    timezone = forms.ChoiceField(label=_("Time zone"), widget=PlainSelect)
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    video_link = forms.URLField(label=_("Video link"), max_length=500, required=False, assume_scheme="https")
    agenda = forms.CharField(
        label=_("Agenda"), max_length=20000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    partners = forms.ModelMultipleChoiceField(
        label=_("Invited partners"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Their active members are invited."),
    )
    users = forms.ModelMultipleChoiceField(
        label=_("Invited people"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    repeat = forms.ChoiceField(label=_("Repeats"), choices=REPEAT_CHOICES, required=False, widget=PlainSelect)
    rrule = forms.CharField(
        label=_("Advanced: recurrence rule (RFC 5545 RRULE)"),
        max_length=300,
        required=False,
        help_text=_("For example FREQ=MONTHLY;BYDAY=1WE. When given, it is used instead of “Repeats”."),
    )
    until = forms.DateField(
        label=_("Repeat until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    count = forms.IntegerField(label=_("Or number of meetings"), required=False, min_value=1, max_value=400)

    RECURRENCE_FIELDS = ("repeat", "rrule", "until", "count")

    def __init__(self, data=None, *, actor: access.Actor, meeting=None, series=None, initial=None):
        super().__init__(data, initial=initial)
        self.actor, self.meeting, self.series = actor, meeting, series
        tz_names = [actor.task_force.timezone, meeting.timezone if meeting else ""]
        self.fields["timezone"].choices = timezone_choices(*tz_names)
        self.fields["timezone"].initial = meeting.timezone if meeting else actor.task_force.timezone
        self.fields["partners"].queryset = access.partners_visible_to(actor).filter(active=True).order_by("name")
        self.fields["users"].queryset = access.users_invitable_by(actor).order_by("full_name", "email")
        self.fields["users"].label_from_instance = _user_label
        if series is None:
            del self.fields["scope"]
        if meeting is not None and series is None:
            # A one-off meeting stays one: a series is scheduled as such.
            for name in self.RECURRENCE_FIELDS:
                del self.fields[name]
        elif series is not None:
            self.fields["repeat"].choices = [("", _("Keep the current rule")), *REPEAT_CHOICES[1:]]
            self.fields["repeat"].help_text = _("Now: %(rule)s. Used only when the whole series changes.") % {
                "rule": series.rrule
            }

    @classmethod
    def initial_for(cls, meeting) -> dict:
        return {
            "kind": meeting.kind,
            "title": meeting.title,
            "start": local(meeting.start, meeting.timezone),
            "end": local(meeting.end, meeting.timezone),
            "timezone": meeting.timezone,
            "place": meeting.place,
            "video_link": meeting.video_link,
            "agenda": meeting.agenda,
            "partners": [mp.partner_id for mp in meeting.partner_invitations.all()],
            "users": [inv.user_id for inv in meeting.invitees.all() if inv.invited_personally],
        }

    def clean(self):
        data = super().clean()
        tz_name, start, end = data.get("timezone"), data.get("start"), data.get("end")
        if tz_name and start and end:
            for name in ("start", "end"):
                try:
                    data[f"{name}_at"] = aware(data[name], tz_name)
                except ValueError:
                    self.add_error(
                        name,
                        _("The clocks skip this time in %(zone)s on that day (daylight saving): choose another.")
                        % {"zone": tz_name},
                    )
            if "start_at" in data and "end_at" in data and data["end_at"] <= data["start_at"]:
                self.add_error("end", _("The meeting must end after it starts."))
        if "repeat" in self.fields and start:
            try:
                data["rule"] = self._rule(data, start)
            except ValidationError as error:
                self.add_error("rrule" if data.get("rrule") else "repeat", error)
        if self.series is not None and data.get("scope") == self.SCOPE_SERIES and tz_name != self.series.timezone:
            self.add_error("timezone", _("A series keeps its time zone; change this meeting alone instead."))
        return data

    def _rule(self, data, start: datetime.datetime) -> str:
        """The RRULE the choices make ("" for none)."""
        repeat, text = data.get("repeat") or "", (data.get("rrule") or "").strip()
        until, count = data.get("until"), data.get("count")
        if until and count:
            raise ValidationError(_("Give an end date or a number of meetings, not both."))
        weekday = WEEKDAYS[start.weekday()]
        if text:
            rule = text.removeprefix("RRULE:").removeprefix("rrule:")
            if (until or count) and re.search(r"(^|;)(UNTIL|COUNT)=", rule, re.IGNORECASE):
                raise ValidationError(_("The rule names its own end: leave “Repeat until” and the number empty."))
        elif repeat == Repeat.WEEKLY:
            rule = f"FREQ=WEEKLY;BYDAY={weekday}"
        elif repeat == Repeat.BIWEEKLY:
            rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}"
        elif repeat == Repeat.MONTHLY_WEEKDAY:
            nth = (start.day - 1) // 7 + 1
            # A fifth weekday is the last one: months without a fifth would be skipped.
            rule = f"FREQ=MONTHLY;BYDAY={'-1' if nth == 5 else nth}{weekday}"
        elif repeat == Repeat.MONTHLY_DATE:
            rule = f"FREQ=MONTHLY;BYMONTHDAY={start.day}"
        else:
            if until or count:
                raise ValidationError(_("Choose how the meeting repeats, or leave the end of the series empty."))
            return ""
        if until:
            if until < start.date():
                raise ValidationError(_("The series must end after its first meeting."))
            rule += f";UNTIL={until:%Y%m%d}T235959"
        elif count:
            rule += f";COUNT={count}"
        return rule


class CancelForm(forms.Form):
    SCOPE_THIS = "this"
    SCOPE_SERIES = "series"

    scope = forms.ChoiceField(
        label=_("Cancel"),
        choices=[
            (SCOPE_THIS, _("This meeting only")),
            (SCOPE_SERIES, _("End the series: cancel this and every later meeting of it")),
        ],
        initial=SCOPE_THIS,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (sent to the invitees)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data=None, *, series=None):
        super().__init__(data)
        if series is None:
            del self.fields["scope"]


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), max_length=50000, required=False, widget=forms.Textarea(attrs={"rows": 16})
    )


ATTENDANCE_CHOICES = [
    ("present", _("Present")),
    ("absent", _("Absent")),
    ("excused", _("Excused")),
]


class AttendanceForm(forms.Form):
    """One radio group per invitee (``person_<user id>``) and per invited partner (``partner_<partner id>``, where
    “from its people” leaves it to the service to work out)."""

    def __init__(self, data=None, *, invitees, partner_invitations):
        super().__init__(data)
        self.people_rows, self.partner_rows = [], []
        for inv in invitees:
            name = f"person_{inv.user_id}"
            self.fields[name] = forms.ChoiceField(
                label=_user_label(inv.user),
                choices=ATTENDANCE_CHOICES,
                required=False,
                initial=inv.attendance,
                widget=forms.RadioSelect,
            )
            self.people_rows.append((inv, name))
        for mp in partner_invitations:
            name = f"partner_{mp.partner_id}"
            self.fields[name] = forms.ChoiceField(
                label=mp.partner.name,
                choices=[("", _("From its people")), *ATTENDANCE_CHOICES],
                required=False,
                initial=mp.attendance,
                widget=forms.RadioSelect,
            )
            self.partner_rows.append((mp, name))

    def people_fields(self):
        return [(inv, self[name]) for inv, name in self.people_rows]

    def partner_fields(self):
        return [(mp, self[name]) for mp, name in self.partner_rows]

    def people(self) -> dict[int, str]:
        return {inv.user_id: self.cleaned_data.get(name) or "" for inv, name in self.people_rows}

    def partners(self) -> dict[int, str]:
        return {mp.partner_id: self.cleaned_data[name] for mp, name in self.partner_rows if self.cleaned_data.get(name)}


class ActionItemForm(_ServiceErrorsMixin, forms.Form):
    text = forms.CharField(label=_("Action"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, widget=PlainSelect)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, data=None, *, actor: access.Actor, initial=None):
        super().__init__(data, initial=initial)
        self.fields["owner"].queryset = access.users_invitable_by(actor).order_by("full_name", "email")
        self.fields["owner"].label_from_instance = _user_label

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if not FIRST_YEAR <= due.year <= LAST_YEAR:
            raise ValidationError(
                _("Give a year from %(first)d to %(last)d.") % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return due


class ActionItemFilterForm(forms.Form):
    SCOPE_MINE = "mine"
    SCOPE_ALL = "all"

    scope = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[(SCOPE_MINE, _("My action items")), (SCOPE_ALL, _("All I can see"))],
        widget=PlainSelect,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(ActionItemStatus.OPEN, _("Open")), (ActionItemStatus.DONE, _("Done")), ("any", _("Any"))],
        widget=PlainSelect,
    )

    def selector_arguments(self) -> dict:
        data = self.cleaned_data if self.is_bound else {}
        status = data.get("status") or ActionItemStatus.OPEN
        return {
            "mine": (data.get("scope") or self.SCOPE_MINE) == self.SCOPE_MINE,
            "status": None if status == "any" else status,
        }


class MeetingListForm(forms.Form):
    """The list's tabs and filters, in the URL."""

    LIST, MONTH = "list", "month"

    when = forms.ChoiceField(
        label=_("When"), required=False, choices=[(UPCOMING, _("Upcoming")), (PAST, _("Past"))], widget=PlainSelect
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *MeetingKind.choices], widget=PlainSelect
    )
    view = forms.ChoiceField(
        label=_("View"), required=False, choices=[(LIST, _("List")), (MONTH, _("Month"))], widget=PlainSelect
    )
    month = forms.CharField(
        label=_("Month"), required=False, max_length=7, widget=forms.TextInput(attrs={"type": "month"})
    )

    def clean_month(self) -> tuple[int, int] | None:
        value = self.cleaned_data.get("month") or ""
        if not value:
            return None
        match = MONTH.fullmatch(value)
        if not match or not 1 <= int(match[2]) <= 12 or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
            raise ValidationError(_("Give a month as YYYY-MM, e.g. 2026-03."))
        return int(match[1]), int(match[2])


def month_bounds(year: int, month: int, tz_name: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The month's first instant and the next month's, in the task force's zone (a midnight always exists)."""
    tz = zoneinfo.ZoneInfo(tz_name)
    first = datetime.datetime(year, month, 1, tzinfo=tz)
    days = calendar.monthrange(year, month)[1]
    after = first.replace(tzinfo=None) + datetime.timedelta(days=days)
    return first, after.replace(tzinfo=tz)


class ReminderSettingsForm(_ServiceErrorsMixin, forms.Form):
    meeting_hours = forms.CharField(
        label=_("Meeting reminders (hours before)"),
        max_length=40,
        help_text=_("One to five numbers separated by commas, e.g. 24, 1."),
    )
    action_due_days = forms.IntegerField(
        label=_("Action item reminder (days before the due date)"), min_value=0, max_value=30
    )
    action_overdue = forms.BooleanField(label=_("Remind owners of overdue action items"), required=False)
    action_hour = forms.IntegerField(label=_("Hour of day for action item reminders (0–23)"), min_value=0, max_value=23)

    @classmethod
    def initial_for(cls, cfg: ReminderSettings) -> dict:
        return {
            "meeting_hours": ", ".join(str(h) for h in cfg.meeting_hours),
            "action_due_days": cfg.action_due_days,
            "action_overdue": cfg.action_overdue,
            "action_hour": cfg.action_hour,
        }

    def clean_meeting_hours(self) -> list[int]:
        parts = [p.strip() for p in self.cleaned_data["meeting_hours"].split(",") if p.strip()]
        if not parts or not all(re.fullmatch(r"[0-9]{1,4}", p) for p in parts):
            raise ValidationError(_("Give whole numbers of hours separated by commas, e.g. 24, 1."))
        return [int(p) for p in parts]
