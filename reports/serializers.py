"""API serializers of the monthly reports and the crime counts.

A report reads in two versions: the full one (coordinators' own) and the shared one (small numbers suppressed, for
audiences beyond coordinators), which carries no names: not even who generated it.
"""

from __future__ import annotations

import datetime
import re

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import CrimeCount, CrimeCountUpload, Offense, ReportSnapshot, ReportStatus

MAX_ID = 2**63 - 1
FULL, SHARED = "full", "shared"
VERSIONS = [FULL, SHARED]
MONTH = re.compile(r"(\d{4})-(\d{2})", re.ASCII)


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-10"})
class MonthField(serializers.Field):
    """A month as ``YYYY-MM`` (its first day inside)."""

    default_error_messages = {"invalid": _("Give a month as YYYY-MM.")}

    def to_internal_value(self, data) -> datetime.date:
        match = MONTH.fullmatch(data) if isinstance(data, str) else None
        if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1:
            self.fail("invalid")
        return datetime.date(int(match[1]), int(match[2]), 1)

    def to_representation(self, value: datetime.date) -> str:
        return f"{value:%Y-%m}"


# --- Reports -------------------------------------------------------------------------------------------------------


class ReportListQuerySerializer(serializers.Serializer):
    month = MonthField(required=False)
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)


class ReportVersionQuerySerializer(serializers.Serializer):
    version = serializers.ChoiceField(choices=VERSIONS, default=FULL)


class ReportRequestSerializer(serializers.Serializer):
    month = MonthField(help_text=_("The month to report on, as YYYY-MM."))


class _ReportFieldsMixin(serializers.Serializer):
    month = MonthField(source="period", read_only=True)
    progress_url = serializers.SerializerMethodField()

    def get_progress_url(self, obj) -> str:
        return reverse("report-progress", kwargs={"pk": obj.pk})


class ReportSerializer(_ReportFieldsMixin, serializers.ModelSerializer):
    """A snapshot without its numbers (the list, and the answer to a request)."""

    # None for the monthly reports the schedule builds (nobody asked for them).
    generated_by = serializers.EmailField(source="generated_by.email", read_only=True, default=None, allow_null=True)
    has_pdf = serializers.SerializerMethodField()

    class Meta:
        model = ReportSnapshot
        fields = [
            "id",
            "month",
            "version",
            "scheduled",
            "status",
            "progress",
            "progress_label",
            "error",
            "attempts",
            "generated_by",
            "created_at",
            "started_at",
            "finished_at",
            "has_pdf",
            "progress_url",
        ]
        read_only_fields = fields

    def get_has_pdf(self, obj) -> bool:
        return bool(obj.pdf_file)


class ReportDetailSerializer(ReportSerializer):
    """The full version: the numbers as generated (null until done)."""

    shared = serializers.SerializerMethodField()
    numbers = serializers.JSONField(read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "shared", "numbers"]
        read_only_fields = fields

    def get_shared(self, obj) -> bool:
        return False


class SharedReportDetailSerializer(ReportDetailSerializer):
    """The shared version: small numbers suppressed ("<5", "*"), and no names: ``generated_by`` is always null (the
    field stays, so both versions answer in the one documented shape)."""

    numbers = serializers.JSONField(source="shared_numbers", read_only=True)

    def get_shared(self, obj) -> bool:
        return True

    def to_representation(self, instance) -> dict:
        return {**super().to_representation(instance), "generated_by": None}


class ReportProgressSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="progress_label", read_only=True)
    finished = serializers.SerializerMethodField()

    class Meta:
        model = ReportSnapshot
        fields = ["id", "status", "progress", "label", "error", "finished"]
        read_only_fields = fields

    def get_finished(self, obj) -> bool:
        return obj.status in (ReportStatus.DONE, ReportStatus.FAILED)


# --- Crime counts --------------------------------------------------------------------------------------------------


class CrimeCountQuerySerializer(serializers.Serializer):
    month_from = MonthField(required=False)
    month_to = MonthField(required=False)
    offense = serializers.ChoiceField(choices=Offense.choices, required=False)

    def validate(self, attrs):
        if attrs.get("month_from") and attrs.get("month_to") and attrs["month_from"] > attrs["month_to"]:
            raise serializers.ValidationError({"month_to": [_("The end month is before the start month.")]})
        return attrs


class CrimeCountSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)
    offense_label = serializers.CharField(source="get_offense_display", read_only=True)
    upload = serializers.IntegerField(source="upload_id", read_only=True)

    class Meta:
        model = CrimeCount
        fields = ["id", "month", "offense", "offense_label", "count", "upload"]
        read_only_fields = fields


class CrimeCountUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("The CSV: month,offense,count (UTF-8, at most 1 MB and 5,000 lines)."))
    partner = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text=_("The law-enforcement partner the counts come from (needed when you upload for several)."),
    )


class CrimeCountUploadSerializer(serializers.ModelSerializer):
    partner = serializers.IntegerField(source="partner_id", read_only=True)
    uploaded_by = serializers.EmailField(source="uploaded_by.email", read_only=True, default=None, allow_null=True)
    months = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CrimeCountUpload
        fields = ["id", "partner", "uploaded_by", "uploaded_at", "filename", "months", "rows"]
        read_only_fields = fields
