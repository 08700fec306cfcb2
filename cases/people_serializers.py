"""API serializers of people and consents: the output shapes (a person, a duplicate candidate, a consent) and the
input shapes, which check only the form of the input (cases/people.py and cases/consent.py hold the rules)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Consent, ConsentMethod, ConsentScope, ConsentShares, Person, Referral, Status
from .people import PERSON_FIELDS
from .serializers import MAX_ID, _PartnerRefSerializer

CONSENT_STATES = ["valid", "expired", "revoked", "pending"]


class PersonSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)
    aliases = serializers.ListField(source="alias_list", child=serializers.CharField(), read_only=True)
    preferred_language = serializers.CharField(
        source="preferred_language.code", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Person
        fields = [
            "id",
            "given_name",
            "family_name",
            "full_name",
            "aliases",
            "date_of_birth",
            "phone",
            "preferred_language",
            "neighborhood",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ConsentSerializer(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(read_only=True)
    partners = _PartnerRefSerializer(many=True, read_only=True)
    shares = serializers.ListField(child=serializers.ChoiceField(choices=ConsentShares.choices), read_only=True)
    state = serializers.ChoiceField(choices=CONSENT_STATES, read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.full_name", read_only=True, default=None, allow_null=True)
    recorded_by_partner = _PartnerRefSerializer(read_only=True, allow_null=True)
    revoked_by = serializers.CharField(source="revoked_by.full_name", read_only=True, default=None, allow_null=True)
    file_url = serializers.SerializerMethodField(help_text="The signed form's download (signed-in session), if any.")

    class Meta:
        model = Consent
        fields = [
            "id",
            "person",
            "scope",
            "partners",
            "shares",
            "method",
            "given_on",
            "expires_on",
            "state",
            "recorded_by",
            "recorded_by_partner",
            "recorded_at",
            "revoked_at",
            "revoked_by",
            "revoke_reason",
            "file_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_file_url(self, consent: Consent) -> str | None:
        return reverse("people:consent_file", args=[consent.pk]) if consent.file else None


class _PersonReferralSerializer(serializers.ModelSerializer):
    sending_partner = _PartnerRefSerializer(read_only=True)
    receiving_partner = _PartnerRefSerializer(read_only=True)

    class Meta:
        model = Referral
        fields = ["id", "reference", "status", "sending_partner", "receiving_partner", "created_at"]
        read_only_fields = fields


class PersonDetailSerializer(PersonSerializer):
    """A person with their consents and the referrals of theirs the caller sees (``person_get_for``)."""

    consents = ConsentSerializer(source="consent_list", many=True, read_only=True)
    referrals = _PersonReferralSerializer(source="referral_list", many=True, read_only=True)

    class Meta(PersonSerializer.Meta):
        fields = [*PersonSerializer.Meta.fields, "consents", "referrals"]
        read_only_fields = fields


class CandidateSerializer(serializers.Serializer):
    """A possible earlier record of the person entered: enough to recognise them, nothing of their referrals."""

    person_id = serializers.IntegerField()
    full_name = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    birth_year = serializers.IntegerField(allow_null=True)
    neighborhood = serializers.CharField()
    masked_phone = serializers.CharField()
    score = serializers.IntegerField(min_value=0, max_value=100)
    reasons = serializers.ListField(child=serializers.CharField())


class DuplicateCandidatesSerializer(serializers.Serializer):
    """The 409 of entering a person who may already be recorded."""

    detail = serializers.CharField()
    code = serializers.CharField()
    candidates = CandidateSerializer(many=True)


class MergeResultSerializer(serializers.Serializer):
    person = PersonSerializer()
    merged = serializers.IntegerField(help_text="The id of the record merged away (kept, hidden).")
    referrals_moved = serializers.IntegerField()
    consents_moved = serializers.IntegerField()


class AffectedReferralSerializer(serializers.ModelSerializer):
    sending_partner = _PartnerRefSerializer(read_only=True)
    receiving_partner = _PartnerRefSerializer(read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)

    class Meta:
        model = Referral
        fields = ["id", "reference", "status", "sending_partner", "receiving_partner"]
        read_only_fields = fields


class RevokeResultSerializer(serializers.Serializer):
    consent = ConsentSerializer()
    affected_referrals = AffectedReferralSerializer(
        many=True, help_text="Open referrals left without valid consent that you see."
    )
    affected_elsewhere = serializers.IntegerField(help_text="How many more, between partners you are not in.")


# --- Input --------------------------------------------------------------------------------------------------


class PersonFilterSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)
    date_of_birth = serializers.DateField(required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)


class PersonWriteSerializer(serializers.Serializer):
    """Entering (all names required) or correcting (``partial``: only the fields sent change) a person."""

    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=100), max_length=20, required=False, help_text="One name each."
    )
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    preferred_language = serializers.CharField(
        max_length=8, required=False, allow_null=True, allow_blank=True, help_text="A language code (/languages/)."
    )
    neighborhood = serializers.CharField(max_length=100, required=False, allow_blank=True)

    def validate_aliases(self, value: list[str]) -> str:
        aliases = "\n".join(value)
        if len(aliases) > Person._meta.get_field("aliases").max_length:
            raise serializers.ValidationError(_("The aliases are too long together: shorten them."))
        return aliases

    def service_arguments(self) -> dict:
        return {name: value for name, value in self.validated_data.items() if name in PERSON_FIELDS}


class PersonCreateSerializer(PersonWriteSerializer):
    confirm_new = serializers.BooleanField(
        default=False, help_text="The caller saw the candidates of a 409 and confirms this is someone new."
    )


class MergeSerializer(serializers.Serializer):
    merge = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The record merged into this one.")


class ConsentFilterSerializer(serializers.Serializer):
    person = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class ConsentCreateSerializer(serializers.Serializer):
    """JSON, or multipart with ``file`` (the signed form) for method ``upload``."""

    person = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    scope = serializers.ChoiceField(choices=ConsentScope.choices)
    partners = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=200, required=False, default=list
    )
    shares = serializers.ListField(child=serializers.ChoiceField(choices=ConsentShares.choices), min_length=1)
    method = serializers.ChoiceField(choices=ConsentMethod.choices)
    given_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)
    file = serializers.FileField(required=False, allow_null=True, help_text="PDF, PNG or JPEG, at most 5 MB.")


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
