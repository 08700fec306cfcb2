"""API: the task force's reason codes (/api/v1/reason-codes/). Every member reads them (the codes a referral's
decline, close, completion or withdrawal names); coordinators add, edit (``PATCH``), deactivate and reactivate them
through the services of ``cases.reasons``. Nothing is deleted: ``DELETE`` is a 405."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from psn import access
from psn.api import IsActiveMember, actor_for_api

from . import reasons
from .models import ReasonCode, ReasonKind

_LABEL_MAX = ReasonCode._meta.get_field("label").max_length
_CODE_MAX = ReasonCode._meta.get_field("code").max_length


class ReasonCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReasonCode
        fields = ["id", "kind", "code", "label", "needs_text", "position", "active"]
        read_only_fields = fields


class ReasonCodeUpdateSerializer(serializers.Serializer):
    """What may change: the label, the position and whether the code asks for text. The kind and the code never
    change (referrals and reports point at them): sending them is a 400 that says so."""

    label = serializers.CharField(max_length=_LABEL_MAX, required=False)
    position = serializers.IntegerField(min_value=0, max_value=reasons.POSITION_MAX, required=False)
    needs_text = serializers.BooleanField(required=False)

    FIXED = ("kind", "code")

    def validate(self, data):
        fixed = [name for name in self.FIXED if name in self.initial_data]
        if fixed:
            message = _("This cannot change: add a new code and deactivate this one.")
            raise serializers.ValidationError({name: [message] for name in fixed})
        return data


class ReasonCodeCreateSerializer(ReasonCodeUpdateSerializer):
    kind = serializers.ChoiceField(choices=ReasonKind.choices)
    code = serializers.CharField(max_length=_CODE_MAX)
    label = serializers.CharField(max_length=_LABEL_MAX)
    position = serializers.IntegerField(min_value=0, max_value=reasons.POSITION_MAX, required=False, default=0)
    needs_text = serializers.BooleanField(required=False, default=False)

    FIXED = ()


class ReasonCodeFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=ReasonKind.choices)
    # "true" or "false"; anything else is a 400 rather than silently no filter at all.
    active = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")], coerce=lambda value: value == "true"
    )

    class Meta:
        model = ReasonCode
        fields = ["kind", "active"]


class ReasonCodeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The task force's coded reasons and outcomes, by kind and position (inactive ones included: filter with
    ``active=true`` for those offered now)."""

    permission_classes = [IsActiveMember]
    serializer_class = ReasonCodeSerializer
    filterset_class = ReasonCodeFilter
    ordering_fields = ["kind", "position", "label", "code"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return ReasonCode.objects.none()
        return reasons.reason_code_list_for(actor=actor_for_api(self.request))

    def retrieve(self, request, pk=None):
        code = reasons.reason_code_get_for(actor=actor_for_api(request), pk=pk)
        return Response(ReasonCodeSerializer(code).data)

    @extend_schema(request=ReasonCodeCreateSerializer, responses={201: ReasonCodeSerializer})
    def create(self, request):
        actor = actor_for_api(request)
        access.require(access.can_manage_reason_codes(actor), _("Only coordinators manage the reason codes."))
        payload = ReasonCodeCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        code = reasons.reason_code_create(actor=actor, request=request._request, **payload.validated_data)
        return Response(ReasonCodeSerializer(code).data, status=status.HTTP_201_CREATED)

    def _managed(self, request, pk) -> ReasonCode:
        """The code, if the caller may manage it: 404 beyond their task force, else 403 without the right."""
        actor = actor_for_api(request)
        code = reasons.reason_code_get_for(actor=actor, pk=pk)
        access.require(access.can_manage_reason_codes(actor), _("Only coordinators manage the reason codes."))
        return code

    @extend_schema(request=ReasonCodeUpdateSerializer, responses={200: ReasonCodeSerializer})
    def partial_update(self, request, pk=None):
        code = self._managed(request, pk)
        payload = ReasonCodeUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        code = reasons.reason_code_update(
            actor=actor_for_api(request), reason_code=code, request=request._request, **payload.validated_data
        )
        return Response(ReasonCodeSerializer(code).data)

    @extend_schema(request=None, responses={200: ReasonCodeSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Stop offering the code (referrals that used it keep it). The last active code of a kind stays (400)."""
        code = self._managed(request, pk)
        reasons.reason_code_deactivate(actor=actor_for_api(request), reason_code=code, request=request._request)
        return Response(ReasonCodeSerializer(code).data)

    @extend_schema(request=None, responses={200: ReasonCodeSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        code = self._managed(request, pk)
        reasons.reason_code_reactivate(actor=actor_for_api(request), reason_code=code, request=request._request)
        return Response(ReasonCodeSerializer(code).data)
