"""API: research grants (coordinators: list, grant, revoke) and extracts (coordinators: list, request, read status,
progress and k, download; the research partner's members: their partner's extracts while the grant runs).

Thin views over research/services.py and research/selectors.py: 400 for bad input, 403 for a missing right (audited),
404 for what is not the caller's, 409 when the grant's state does not allow the move. Keys are never serialized.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from partners.models import Partner
from psn.api import IsActiveMember, JSONParser, Pagination, actor_for_api

from . import selectors, services
from .access import today_of
from .models import ExtractStatus, ResearchExtract, ResearchGrant

MAX_ID = 2**63 - 1


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The grant's state does not allow this."
    default_code = "conflict"


class GrantSerializer(serializers.ModelSerializer):
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = ResearchGrant
        fields = [
            "id",
            "partner",
            "partner_name",
            "period_start",
            "period_end",
            "valid_until",
            "granted_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = fields

    def get_active(self, grant) -> bool:
        return grant.is_active_on(self.context["today"])


class GrantInputSerializer(serializers.Serializer):
    partner = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    valid_until = serializers.DateField()


class ExtractSerializer(serializers.ModelSerializer):
    progress_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ResearchExtract
        fields = [
            "id",
            "grant",
            "status",
            "progress",
            "progress_label",
            "error",
            "stable_key",
            "shift_dates",
            "suppress",
            "k",
            "quasi_identifiers",
            "people",
            "small_classes",
            "suppressed_people",
            "suppressed_cells",
            "unlinked_people",
            "row_counts",
            "created_at",
            "finished_at",
            "progress_url",
            "download_url",
        ]
        read_only_fields = fields

    def get_progress_url(self, extract) -> str:
        return reverse("research-extract-detail", args=[extract.pk])

    def get_download_url(self, extract) -> str | None:
        if extract.status != ExtractStatus.DONE:
            return None
        return reverse("research-extract-download", args=[extract.pk])


class ExtractInputSerializer(serializers.Serializer):
    grant = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    stable_key = serializers.BooleanField(default=False)
    shift_dates = serializers.BooleanField(default=False)
    suppress = serializers.BooleanField(default=False)


def _parsed(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _pk(pk) -> int:
    if int(pk) > MAX_ID:
        raise exceptions.NotFound()
    return int(pk)


def _service_errors(exc: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class ResearchGrantViewSet(viewsets.GenericViewSet):
    """The task force's research grants (coordinators only)."""

    permission_classes = [IsActiveMember]
    serializer_class = GrantSerializer
    pagination_class = Pagination
    queryset = ResearchGrant.objects.none()
    filter_backends = []
    parser_classes = [JSONParser]
    lookup_value_regex = r"\d+"

    def _context(self, actor) -> dict:
        return {"today": today_of(actor)}

    @extend_schema(responses={200: GrantSerializer(many=True)})
    def list(self, request):
        actor = actor_for_api(request)
        page = self.paginate_queryset(selectors.grant_list_for(actor=actor))
        return self.get_paginated_response(GrantSerializer(page, many=True, context=self._context(actor)).data)

    @extend_schema(request=GrantInputSerializer, responses={201: GrantSerializer})
    def create(self, request):
        actor = actor_for_api(request)
        selectors.require_manager(actor)  # the right before the payload
        data = _parsed(GrantInputSerializer, request.data)
        partner = Partner.objects.filter(task_force=actor.task_force, pk=data.pop("partner")).first()
        if partner is None:
            raise serializers.ValidationError({"partner": [_("No partner of this task force has this id.")]})
        try:
            grant = services.grant_create(actor=actor, partner=partner, request=request._request, **data)
        except DjangoValidationError as exc:
            raise _service_errors(exc) from exc
        return Response(GrantSerializer(grant, context=self._context(actor)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: GrantSerializer, 409: OpenApiResponse(description="The grant is already revoked.")},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        actor = actor_for_api(request)
        try:
            grant = selectors.grant_get_for(actor=actor, pk=_pk(pk))
        except Http404 as exc:
            raise exceptions.NotFound() from exc
        try:
            grant = services.grant_revoke(actor=actor, grant=grant, request=request._request)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages)) from exc
        return Response(GrantSerializer(grant, context=self._context(actor)).data)


class ResearchExtractViewSet(viewsets.GenericViewSet):
    """De-identified research extracts: coordinators see all of the task force; the research partner's members
    theirs while the grant runs."""

    permission_classes = [IsActiveMember]
    serializer_class = ExtractSerializer
    pagination_class = Pagination
    queryset = ResearchExtract.objects.none()
    filter_backends = []
    parser_classes = [JSONParser]
    lookup_value_regex = r"\d+"
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # The download carries its own type; everything else, errors included, is JSON whatever Accept says.
        return JSONRenderer(), JSONRenderer.media_type

    def _extract(self, request, pk) -> ResearchExtract:
        try:
            return selectors.extract_get_for(actor=actor_for_api(request), pk=_pk(pk))
        except Http404 as exc:
            raise exceptions.NotFound() from exc

    @extend_schema(responses={200: ExtractSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(selectors.extract_list_for(actor=actor_for_api(request)))
        return self.get_paginated_response(ExtractSerializer(page, many=True).data)

    @extend_schema(responses={200: ExtractSerializer}, description="Status, progress, k and what was suppressed.")
    def retrieve(self, request, pk=None):
        return Response(ExtractSerializer(self._extract(request, pk)).data)

    @extend_schema(
        request=ExtractInputSerializer,
        responses={202: ExtractSerializer, 409: OpenApiResponse(description="The grant has ended or was revoked.")},
        description="Queues an extract under an active grant; follow it at ``progress_url``.",
    )
    def create(self, request):
        actor = actor_for_api(request)
        selectors.require_manager(actor)
        data = _parsed(ExtractInputSerializer, request.data)
        grant = ResearchGrant.objects.filter(task_force=actor.task_force, pk=data.pop("grant")).first()
        if grant is None:
            raise serializers.ValidationError({"grant": [_("No grant of this task force has this id.")]})
        try:
            extract = services.extract_request(actor=actor, grant=grant, request=request._request, **data)
        except DjangoValidationError as exc:
            raise Conflict(" ".join(exc.messages)) from exc
        response = Response(ExtractSerializer(extract).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = response.data["progress_url"]
        return response

    @extend_schema(
        responses={(200, "application/zip"): OpenApiTypes.BINARY},
        description="The zip of CSV files (audited as an export); 403 until done or once the grant has ended.",
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        extract = self._extract(request, pk)
        opened = services.extract_file_open(actor=actor_for_api(request), extract=extract, request=request._request)
        response = FileResponse(
            opened.handle, as_attachment=True, filename=opened.filename, content_type="application/zip"
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
