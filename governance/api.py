"""API of data governance (coordinators): the retention schedule (read, change), the dry run of the next purge, the
purge runs (list) and the legal holds (list, place, release). Thin views over governance/selectors.py and
services.py: 400 for bad input with the same messages as the pages, 403 for a missing right (audited), 404 for a
hold of another task force, 409 for releasing a released hold."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from psn.api import IsActiveMember, Pagination, actor_for_api

from . import selectors, services
from .models import MAX_DAYS, HoldKind, LegalHold, PurgeRun, RetentionSchedule

MAX_ID = 2**63 - 1


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = gettext_lazy("This hold was already released.")
    default_code = "conflict"


class RetentionScheduleSerializer(serializers.ModelSerializer):
    updated_by = serializers.EmailField(source="updated_by.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = RetentionSchedule
        fields = ["referral_days", "person_days", "consent_days", "audit_days", "updated_at", "updated_by"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {name: {"min_value": 1, "max_value": MAX_DAYS} for name in services.SCHEDULE_FIELDS}


class DryRunRowSerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(choices=services.COUNTED, source="key")
    count = serializers.IntegerField()
    oldest = serializers.DateField(allow_null=True)


class DryRunSerializer(serializers.Serializer):
    rows = DryRunRowSerializer(many=True)


class PurgeRunSerializer(serializers.ModelSerializer):
    counts = serializers.DictField(child=serializers.IntegerField())

    class Meta:
        model = PurgeRun
        fields = ["id", "started_at", "finished_at", "interrupted", "counts"]


class LegalHoldSerializer(serializers.ModelSerializer):
    placed_by = serializers.EmailField(source="placed_by.email", read_only=True, allow_null=True, default=None)
    released_by = serializers.EmailField(source="released_by.email", read_only=True, allow_null=True, default=None)
    person = serializers.IntegerField(source="person_id", read_only=True, allow_null=True)
    referral = serializers.IntegerField(source="referral_id", read_only=True, allow_null=True)

    class Meta:
        model = LegalHold
        fields = [
            "id",
            "kind",
            "record_label",
            "person",
            "referral",
            "reason",
            "until",
            "placed_at",
            "placed_by",
            "released_at",
            "released_by",
        ]


class LegalHoldInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=HoldKind.choices)
    record = serializers.CharField(
        max_length=40, help_text="A referral's reference (R-2026-000123) or a person's record number."
    )
    reason = serializers.CharField(max_length=500)
    until = serializers.DateField(required=False, allow_null=True)


def _parsed(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class RetentionScheduleView(APIView):
    """The current task force's retention schedule (coordinators): read it, change some or all of its periods."""

    permission_classes = [IsActiveMember]

    @extend_schema(responses={200: RetentionScheduleSerializer}, operation_id="retention_schedule_retrieve")
    def get(self, request):
        schedule = selectors.retention_schedule_for(actor=actor_for_api(request))
        return Response(RetentionScheduleSerializer(schedule).data)

    def _update(self, request, *, partial: bool):
        actor = actor_for_api(request)
        selectors.require_governance(actor)  # the right before the payload
        values = _parsed(RetentionScheduleSerializer, request.data, partial=partial)
        schedule = services.retention_schedule_update(actor=actor, values=values, request=request._request)
        return Response(RetentionScheduleSerializer(schedule).data)

    @extend_schema(
        request=RetentionScheduleSerializer,
        responses={200: RetentionScheduleSerializer},
        operation_id="retention_schedule_update",
    )
    def put(self, request):
        return self._update(request, partial=False)

    @extend_schema(
        request=RetentionScheduleSerializer,
        responses={200: RetentionScheduleSerializer},
        operation_id="retention_schedule_partial_update",
    )
    def patch(self, request):
        return self._update(request, partial=True)


class RetentionDryRunView(APIView):
    """What a purge now would remove, per record type: counts and the oldest date (coordinators)."""

    permission_classes = [IsActiveMember]

    @extend_schema(responses={200: DryRunSerializer}, operation_id="retention_dry_run_retrieve")
    def get(self, request):
        rows = selectors.retention_dry_run_for(actor=actor_for_api(request))
        return Response(DryRunSerializer({"rows": rows}).data)


class PurgeRunViewSet(viewsets.GenericViewSet):
    """The task force's purge runs, newest first, with the rows each removed (coordinators)."""

    permission_classes = [IsActiveMember]
    serializer_class = PurgeRunSerializer
    pagination_class = Pagination
    queryset = PurgeRun.objects.none()
    filter_backends = []

    @extend_schema(responses={200: PurgeRunSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(selectors.purge_run_list_for(actor=actor_for_api(request)))
        return self.get_paginated_response(PurgeRunSerializer(page, many=True).data)


class LegalHoldViewSet(viewsets.GenericViewSet):
    """Legal holds of the task force (coordinators): list, place one, release one."""

    permission_classes = [IsActiveMember]
    serializer_class = LegalHoldSerializer
    pagination_class = Pagination
    queryset = LegalHold.objects.none()
    filter_backends = []
    lookup_value_regex = r"\d+"

    @extend_schema(responses={200: LegalHoldSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(selectors.legal_hold_list_for(actor=actor_for_api(request)))
        return self.get_paginated_response(LegalHoldSerializer(page, many=True).data)

    @extend_schema(request=LegalHoldInputSerializer, responses={201: LegalHoldSerializer})
    def create(self, request):
        actor = actor_for_api(request)
        selectors.require_governance(actor)
        data = _parsed(LegalHoldInputSerializer, request.data)
        hold = services.hold_place(actor=actor, request=request._request, **data)
        return Response(LegalHoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: LegalHoldSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        actor = actor_for_api(request)
        if int(pk) > MAX_ID:
            raise exceptions.NotFound()
        hold = selectors.legal_hold_get_for(actor=actor, pk=int(pk))
        try:
            hold = services.hold_release(actor=actor, hold=hold, request=request._request)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages)) from exc
        return Response(LegalHoldSerializer(hold).data)
