"""API serializers of meetings, action items and reminder settings.

Output: a meeting's list row, and its detail with invited partners and people (with their attendance), the
minutes and the action items where the caller may read them (``None`` otherwise, never an empty stand-in).
Input: the shapes only (types, lengths, choices, aware times); rules across objects (who may be invited, the
recurrence rule, times in order) are the services' (meetings/services.py), their refusals the same 400.
"""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import ActionItem, ActionItemStatus, Attendance, Meeting, MeetingKind, MeetingStatus, ReminderSettings

MAX_ID = 2**63 - 1
SCOPES = ("meeting", "series")


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with its UTC offset: a meeting's time without one is ambiguous (whose 10:00?), so it is a
    400 rather than read in some zone the caller did not name."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError(
                    _("Give the time with its UTC offset, e.g. 2026-05-01T10:00:00-05:00.")
                )
        return super().to_internal_value(value)


def _id_list(max_length: int = 500) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=max_length, required=False
    )


class _InvitingPartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class _OwnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class MeetingListSerializer(serializers.ModelSerializer):
    """A row of the list (the selector's annotations ``invitee_count`` and ``actor_invited``)."""

    series = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)  # None for a one-off meeting
    invitee_count = serializers.IntegerField(read_only=True)
    invited = serializers.BooleanField(source="actor_invited", read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "title",
            "start",
            "end",
            "timezone",
            "place",
            "video_link",
            "status",
            "series",
            "invitee_count",
            "invited",
        ]
        read_only_fields = fields


class MeetingPartnerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="partner.id", read_only=True)
    name = serializers.CharField(source="partner.name", read_only=True)
    attendance = serializers.CharField(read_only=True)


class InviteeSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    invited_personally = serializers.BooleanField(read_only=True)
    via_partner = _InvitingPartnerRefSerializer(read_only=True, allow_null=True)
    attendance = serializers.CharField(read_only=True)


class _MeetingRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    start = serializers.DateTimeField(read_only=True)


class ActionItemSerializer(serializers.ModelSerializer):
    meeting = _MeetingRefSerializer(read_only=True)
    owner = _OwnerRefSerializer(read_only=True)

    class Meta:
        model = ActionItem
        fields = ["id", "meeting", "text", "owner", "due_date", "status", "done_at", "created_at", "updated_at"]
        read_only_fields = fields


class _MeetingActionItemSerializer(ActionItemSerializer):
    """An item inside its meeting's detail: the meeting is the one around it."""

    class Meta(ActionItemSerializer.Meta):
        fields = [f for f in ActionItemSerializer.Meta.fields if f != "meeting"]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingListSerializer):
    """The meeting with its invitations; ``minutes`` and ``action_items`` are ``null`` for a caller who may not
    read them (a case review they are not invited to). The view says which through the context."""

    partners = serializers.SerializerMethodField()
    invitees = serializers.SerializerMethodField()
    minutes = serializers.SerializerMethodField()
    action_items = serializers.SerializerMethodField()

    class Meta(MeetingListSerializer.Meta):
        fields = [
            *MeetingListSerializer.Meta.fields,
            "agenda",
            "minutes",
            "minutes_updated_at",
            "cancel_reason",
            "cancelled_at",
            "sequence",
            "uid",
            "partners",
            "invitees",
            "action_items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MeetingPartnerSerializer(many=True))
    def get_partners(self, meeting: Meeting) -> list:
        return MeetingPartnerSerializer(meeting.partner_invitations.all(), many=True).data

    @extend_schema_field(InviteeSerializer(many=True))
    def get_invitees(self, meeting: Meeting) -> list:
        return InviteeSerializer(meeting.invitees.all(), many=True).data

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_minutes(self, meeting: Meeting) -> str | None:
        return meeting.minutes if self.context.get("show_minutes") else None

    @extend_schema_field(_MeetingActionItemSerializer(many=True, allow_null=True))
    def get_action_items(self, meeting: Meeting) -> list | None:
        if not self.context.get("show_action_items"):
            return None
        return _MeetingActionItemSerializer(meeting.action_items.all(), many=True).data


# --- Input -------------------------------------------------------------------------------------------------


class MeetingFilterSerializer(serializers.Serializer):
    """The list's query parameters. A time without an offset is read in the task force's time zone."""

    ORDERINGS = ("start", "-start", "title", "-title", "kind", "-kind")

    when = serializers.ChoiceField(choices=["upcoming", "past", "all"], required=False, default="upcoming")
    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False)
    status = serializers.ChoiceField(choices=MeetingStatus.choices, required=False)
    start_after = serializers.DateTimeField(required=False)
    start_before = serializers.DateTimeField(required=False)
    ordering = serializers.ChoiceField(choices=ORDERINGS, required=False)

    def validate(self, attrs):
        start, end = attrs.get("start_after"), attrs.get("start_before")
        if start and end and start >= end:
            raise serializers.ValidationError({"start_before": [_("The end of the period is before its start.")]})
        return attrs


class MeetingCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    title = serializers.CharField(max_length=200)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    timezone = serializers.CharField(
        max_length=64, required=False, help_text="An IANA zone; defaults to the task force's."
    )
    place = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    video_link = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    agenda = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    partners = _id_list()
    users = _id_list()
    rrule = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="An RFC 5545 RRULE (e.g. FREQ=MONTHLY;BYDAY=2TU) to make a recurring series.",
    )


class MeetingUpdateSerializer(serializers.Serializer):
    """A PATCH: only the fields given change. ``partners``/``users`` replace the invitations when given."""

    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    place = serializers.CharField(max_length=300, required=False, allow_blank=True)
    video_link = serializers.URLField(max_length=500, required=False, allow_blank=True)
    agenda = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    partners = _id_list()
    users = _id_list()
    rrule = serializers.CharField(
        max_length=300, required=False, help_text="With ?scope=series only: the series' new rule."
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class MinutesSerializer(serializers.Serializer):
    minutes = serializers.CharField(max_length=50000, allow_blank=True, trim_whitespace=False)


def _marks() -> serializers.DictField:
    return serializers.DictField(
        child=serializers.ChoiceField(choices=[*Attendance.choices, ("", "(not recorded)")]),
        required=False,
        default=dict,
    )


class AttendanceSerializer(serializers.Serializer):
    """``{"people": {"<user id>": "present"}, "partners": {"<partner id>": "absent"}}``; a blank value clears."""

    people = _marks()
    partners = _marks()

    def _ids(self, field: str, value: dict) -> dict[int, str]:
        result = {}
        for key, status in value.items():
            try:
                number = int(key)
            except (TypeError, ValueError):
                number = 0
            if not 1 <= number <= MAX_ID:
                raise serializers.ValidationError({field: [_("“%(key)s” is not an id.") % {"key": str(key)[:20]}]})
            result[number] = status
        return result

    def validate(self, attrs):
        if len(attrs["people"]) + len(attrs["partners"]) > 2000:
            raise serializers.ValidationError(_("At most 2,000 marks at once."))
        return {"people": self._ids("people", attrs["people"]), "partners": self._ids("partners", attrs["partners"])}


class InviteeAddSerializer(serializers.Serializer):
    user = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ActionItemFilterSerializer(serializers.Serializer):
    mine = serializers.BooleanField(required=False, default=False)
    status = serializers.ChoiceField(choices=ActionItemStatus.choices, required=False)
    meeting = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class ActionItemCreateSerializer(serializers.Serializer):
    meeting = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    text = serializers.CharField(max_length=500)
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    due_date = serializers.DateField()


class ActionItemUpdateSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=500, required=False)
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    due_date = serializers.DateField(required=False)


class ReminderSettingsSerializer(serializers.ModelSerializer):
    meeting_hours = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=336),
        min_length=1,
        max_length=5,
        help_text="Hours before a meeting at which each invitee is reminded.",
    )
    action_due_days = serializers.IntegerField(min_value=0, max_value=30)
    action_overdue = serializers.BooleanField()
    action_hour = serializers.IntegerField(min_value=0, max_value=23)

    class Meta:
        model = ReminderSettings
        fields = ["meeting_hours", "action_due_days", "action_overdue", "action_hour"]


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.CharField(read_only=True, help_text="The private feed address. Shown only in this response.")


class CalendarFeedRevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(read_only=True)
