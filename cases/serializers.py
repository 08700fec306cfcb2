"""API serializers of referrals and their notes.

Two shapes of a referral: the metadata every coordinator reads (reference, partners, service, needs, priority,
dates, status, clock times and each transition's who/when/from/to/coded reason) and the full one for the
members of its two partners, which adds the person, the free-text reason, the transitions' text and the notes
they may read. The metadata serializers have no field that could carry the person or any free text.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Attachment, Note, NoteVisibility, Priority, Referral, Status, Transition

MAX_ID = 2**63 - 1


class _PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class _NeedSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class _ServiceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TransitionSerializer(serializers.ModelSerializer):
    """A move as coordinators read it: no free text."""

    actor = serializers.CharField(source="actor.full_name", read_only=True, default=None, allow_null=True)
    actor_partner = _PartnerRefSerializer(read_only=True)
    reason = serializers.CharField(source="reason.code", read_only=True, default=None, allow_null=True)
    from_status = serializers.ChoiceField(choices=Status.choices, read_only=True, allow_blank=True)  # "" when filed

    class Meta:
        model = Transition
        fields = ["at", "from_status", "to_status", "actor", "actor_partner", "reason"]
        read_only_fields = fields


class TransitionDetailSerializer(TransitionSerializer):
    class Meta(TransitionSerializer.Meta):
        fields = [*TransitionSerializer.Meta.fields, "reason_text"]
        read_only_fields = fields


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.full_name", read_only=True, default=None, allow_null=True)
    author_partner = _PartnerRefSerializer(read_only=True)
    annotates = serializers.PrimaryKeyRelatedField(read_only=True)
    referral = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Note
        fields = [
            "id",
            "referral",
            "author",
            "author_partner",
            "visibility",
            "body",
            "annotates",
            "is_contact",
            "created_at",
            "edited_at",
        ]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    """An attachment as its readers see it; the file itself only through ``download_url`` (access checked,
    audited), never a storage URL."""

    name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.full_name", read_only=True, default=None, allow_null=True)
    uploaded_by_partner = _PartnerRefSerializer(read_only=True)
    referral = serializers.PrimaryKeyRelatedField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "referral",
            "name",
            "content_type",
            "size",
            "sha256",
            "visibility",
            "uploaded_by",
            "uploaded_by_partner",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        return reverse("attachment-download", args=[attachment.pk])


_METADATA_FIELDS = [
    "id",
    "reference",
    "status",
    "priority",
    "sending_partner",
    "receiving_partner",
    "service",
    "needs",
    "due_date",
    "created_at",
    "updated_at",
    "submitted_at",
    "acknowledge_by",
    "acknowledged_at",
    "overdue_at",
    "first_contact_at",
    "closed_at",
    "details_visible",
]


class ReferralListSerializer(serializers.ModelSerializer):
    """A row of the list (the selector's annotations): ``person_name`` only where the details are visible."""

    sending_partner = _PartnerRefSerializer(read_only=True)
    receiving_partner = _PartnerRefSerializer(read_only=True)
    service = _ServiceRefSerializer(read_only=True, allow_null=True)
    needs = _NeedSerializer(many=True, read_only=True)
    details_visible = serializers.BooleanField(read_only=True)
    person_name = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Referral
        fields = [*_METADATA_FIELDS, "person_name"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not data["details_visible"]:
            data["person_name"] = None
        return data


def _reference(referral: Referral | None) -> dict | None:
    return {"id": referral.pk, "reference": referral.reference} if referral is not None else None


class _ReferralRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)


class ReferralMetadataSerializer(serializers.ModelSerializer):
    """What a coordinator outside the two partners reads: no person, no reason text, no notes. The transfer
    links carry the other referral's id and reference only (it may be one the caller cannot open)."""

    sending_partner = _PartnerRefSerializer(read_only=True)
    receiving_partner = _PartnerRefSerializer(read_only=True)
    service = _ServiceRefSerializer(read_only=True, allow_null=True)
    needs = _NeedSerializer(many=True, read_only=True)
    details_visible = serializers.BooleanField(read_only=True)
    close_reason = serializers.CharField(source="close_reason.code", read_only=True, default=None, allow_null=True)
    transitions = TransitionSerializer(many=True, read_only=True)
    transferred_from = serializers.SerializerMethodField()
    transferred_to = serializers.SerializerMethodField()

    class Meta:
        model = Referral
        fields = [*_METADATA_FIELDS, "close_reason", "transferred_from", "transferred_to", "transitions"]
        read_only_fields = fields

    @extend_schema_field(_ReferralRefSerializer(allow_null=True))
    def get_transferred_from(self, referral: Referral) -> dict | None:
        return _reference(referral.transferred_from)

    @extend_schema_field(_ReferralRefSerializer(allow_null=True))
    def get_transferred_to(self, referral: Referral) -> dict | None:
        try:
            return _reference(referral.transferred_to)
        except Referral.DoesNotExist:
            return None


class _PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class ReferralDetailSerializer(ReferralMetadataSerializer):
    """The full referral for the members of its two partners (notes: those they may read)."""

    person = _PersonRefSerializer(read_only=True)
    transitions = TransitionDetailSerializer(many=True, read_only=True)
    notes = NoteSerializer(source="visible_notes", many=True, read_only=True)
    attachments = AttachmentSerializer(source="visible_attachments", many=True, read_only=True)

    class Meta(ReferralMetadataSerializer.Meta):
        fields = [*ReferralMetadataSerializer.Meta.fields, "person", "reason", "notes", "attachments"]
        read_only_fields = fields


# --- Input --------------------------------------------------------------------------------------------------


class ReferralFilterSerializer(serializers.Serializer):
    """The list's query parameters (``status`` and ``priority`` may repeat)."""

    status = serializers.ListField(child=serializers.ChoiceField(choices=Status.choices), required=False)
    priority = serializers.ListField(child=serializers.ChoiceField(choices=Priority.choices), required=False)
    partner = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    need = serializers.CharField(max_length=50, required=False)
    created_from = serializers.DateField(required=False)
    created_to = serializers.DateField(required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ordering = serializers.CharField(max_length=20, required=False)

    def validate(self, attrs):
        start, end = attrs.get("created_from"), attrs.get("created_to")
        if start and end and start > end:
            raise serializers.ValidationError({"created_to": [_("The end of the period is before its start.")]})
        return attrs


class ReferralCreateSerializer(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    sending_partner = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Defaults to the caller's only partner."
    )
    receiving_partner = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    service = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    needs = serializers.ListField(
        child=serializers.CharField(max_length=50), min_length=1, max_length=20, help_text="Need codes."
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    due_date = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class ReasonActionSerializer(serializers.Serializer):
    """Decline, complete (an outcome), close unsuccessful, withdraw: a coded reason and, where it asks, text."""

    reason = serializers.CharField(max_length=50, required=False, allow_blank=True, help_text="A reason code.")
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class TransferSerializer(serializers.Serializer):
    to_partner = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    service = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RecordContactSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class NoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000, trim_whitespace=False)
    visibility = serializers.ChoiceField(choices=NoteVisibility.choices)
    is_contact = serializers.BooleanField(default=False)


class NoteEditSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000, trim_whitespace=False)


class NoteAnnotateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000, trim_whitespace=False)
    visibility = serializers.ChoiceField(choices=NoteVisibility.choices, required=False)


class AttachmentUploadSerializer(serializers.Serializer):
    """A multipart upload: the file (checked by content and size by the service) and who reads it."""

    file = serializers.FileField(allow_empty_file=True, use_url=False)
    visibility = serializers.ChoiceField(choices=NoteVisibility.choices, default=NoteVisibility.SHARED)
