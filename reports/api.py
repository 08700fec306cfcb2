"""API: monthly reports (coordinators: list, read either version, request a month, follow its progress, retry a
failed build, download the CSV and PDF) and the violent-crime counts (coordinators and the police partner's
referral staff and admins: list, upload a CSV).

Thin views over reports/services.py and reports/crime.py. Answers: 400 for bad input (a refused CSV names every bad
line), 403 for a missing right (audited), 404 for what is not in the caller's task force and for a file that does
not exist (yet), 409 when a report's status does not allow the move.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from psn import access
from psn.api import IsActiveMember, JSONParser, Pagination, actor_for_api

from . import crime, services
from .models import CrimeCount, Offense, ReportSnapshot, ReportStatus
from .serializers import (
    SHARED,
    VERSIONS,
    CrimeCountQuerySerializer,
    CrimeCountSerializer,
    CrimeCountUploadInputSerializer,
    CrimeCountUploadSerializer,
    ReportDetailSerializer,
    ReportListQuerySerializer,
    ReportProgressSerializer,
    ReportRequestSerializer,
    ReportSerializer,
    ReportVersionQuerySerializer,
    SharedReportDetailSerializer,
)

MAX_ID = 2**63 - 1
REPORTS_DENIED = "Only coordinators read and generate reports."
VERSION_PARAMETER = OpenApiParameter(
    "version", OpenApiTypes.STR, enum=VERSIONS, default="full", description="The full or the shared version."
)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = gettext_lazy("The report's status does not allow this.")
    default_code = "conflict"


def _parsed(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ReportViewSet(viewsets.GenericViewSet):
    """The task force's monthly reports, every version of every month (coordinators only)."""

    permission_classes = [IsActiveMember]
    serializer_class = ReportSerializer
    pagination_class = Pagination
    queryset = ReportSnapshot.objects.none()
    filter_backends = []
    lookup_value_regex = r"\d+"
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # The downloads carry their own type; everything else, errors included, is JSON whatever Accept says.
        return JSONRenderer(), JSONRenderer.media_type

    def _actor(self, request) -> access.Actor:
        actor = actor_for_api(request)
        access.require(access.can_manage_reports(actor), _(REPORTS_DENIED))
        return actor

    def _snapshot(self, request, pk) -> ReportSnapshot:
        """The snapshot of the caller's task force (404 otherwise, whoever asks), then the right (403)."""
        actor = actor_for_api(request)
        if int(pk) > MAX_ID:
            raise exceptions.NotFound()
        snapshot = (
            ReportSnapshot.objects.filter(task_force=actor.task_force, pk=int(pk))
            .select_related("generated_by", "task_force")
            .first()
        )
        if snapshot is None:
            raise exceptions.NotFound()
        access.require(access.can_manage_reports(actor), _(REPORTS_DENIED))
        return snapshot

    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="A month as YYYY-MM."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=ReportStatus.values),
        ],
        responses={200: ReportSerializer(many=True)},
    )
    def list(self, request):
        actor = self._actor(request)
        query = _parsed(ReportListQuerySerializer, request.query_params)
        rows = (
            access.reports_visible_to(actor)
            .select_related("generated_by")
            .defer("numbers", "shared_numbers")
            .order_by("-period", "-version")
        )
        if "month" in query:
            rows = rows.filter(period=query["month"])
        if "status" in query:
            rows = rows.filter(status=query["status"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ReportSerializer(page, many=True).data)

    @extend_schema(parameters=[VERSION_PARAMETER], responses={200: ReportDetailSerializer})
    def retrieve(self, request, pk=None):
        snapshot = self._snapshot(request, pk)
        version = _parsed(ReportVersionQuerySerializer, request.query_params)["version"]
        shape = SharedReportDetailSerializer if version == SHARED else ReportDetailSerializer
        return Response(shape(snapshot).data)

    @extend_schema(
        request=ReportRequestSerializer,
        responses={202: ReportSerializer},
        description="Queues a new version of the month's report; follow it at ``progress_url``.",
    )
    def create(self, request):
        # The right before the payload: a member learns nothing from validation errors.
        actor = self._actor(request)
        month = _parsed(ReportRequestSerializer, request.data)["month"]
        snapshot = services.report_request(actor=actor, month=month, request=request._request)
        response = Response(ReportSerializer(snapshot).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = response.data["progress_url"]
        return response

    @extend_schema(responses={200: ReportProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        return Response(ReportProgressSerializer(self._snapshot(request, pk)).data)

    @extend_schema(
        request=None,
        responses={202: ReportSerializer, 409: OpenApiResponse(description="Only a failed report can be retried.")},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        snapshot = self._snapshot(request, pk)
        if snapshot.status != ReportStatus.FAILED:
            raise Conflict(_("Only a failed report can be retried."))
        try:
            snapshot = services.report_retry(actor=actor_for_api(request), snapshot=snapshot, request=request._request)
        except DjangoValidationError as exc:  # it changed status under us (another retry)
            raise Conflict(" ".join(exc.messages)) from exc
        return Response(ReportSerializer(snapshot).data, status=status.HTTP_202_ACCEPTED)

    def _download(self, request, pk, file_format: str) -> FileResponse:
        snapshot = self._snapshot(request, pk)
        version = _parsed(ReportVersionQuerySerializer, request.query_params)["version"]
        opened = services.report_file_open(
            actor=actor_for_api(request),
            snapshot=snapshot,
            file_format=file_format,
            version=version,
            request=request._request,
        )
        if opened is None:
            raise exceptions.NotFound(_("This report has no such file (yet)."))
        response = FileResponse(
            opened.handle, as_attachment=True, filename=opened.filename, content_type=opened.content_type
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(
        parameters=[VERSION_PARAMETER],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        description="The tidy CSV (metric, dimension, value, period) of the full or the shared version; 404 until "
        "the report is done.",
    )
    @action(detail=True, methods=["get"])
    def csv(self, request, pk=None):
        return self._download(request, pk, "csv")

    @extend_schema(
        parameters=[VERSION_PARAMETER],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="The PDF of the full or the shared version; 404 until the report is done (and where no PDF was "
        "made).",
    )
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        return self._download(request, pk, "pdf")


class CrimeCountViewSet(viewsets.GenericViewSet):
    """The task force's violent-crime counts by month and offense (coordinators and the police partner's referral
    staff and admins), and their CSV upload."""

    permission_classes = [IsActiveMember]
    serializer_class = CrimeCountSerializer
    pagination_class = Pagination
    queryset = CrimeCount.objects.none()
    filter_backends = []
    # Uploads are multipart; JSON still parses so that a JSON body gets a 400 naming the missing file.
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("month_from", OpenApiTypes.STR, description="From this month (YYYY-MM)."),
            OpenApiParameter("month_to", OpenApiTypes.STR, description="Up to this month (YYYY-MM)."),
            OpenApiParameter("offense", OpenApiTypes.STR, enum=Offense.values),
        ],
        responses={200: CrimeCountSerializer(many=True)},
    )
    def list(self, request):
        actor = actor_for_api(request)
        crime.require_crime_reader(actor)
        query = _parsed(CrimeCountQuerySerializer, request.query_params)
        rows = crime.crime_count_list_for(actor=actor, **query)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CrimeCountSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": CrimeCountUploadInputSerializer},
        responses={201: CrimeCountUploadSerializer},
        description="Upload a CSV of counts (multipart/form-data: ``file``, ``partner``). Each month in the file "
        "replaces that month's counts. A file with any bad line is refused (400, every bad line named in "
        "``errors.file``) and nothing is stored.",
    )
    @action(detail=False, methods=["post"])
    def upload(self, request):
        actor = actor_for_api(request)
        # The right before the body is read: a 403 (audited) says nothing about the upload.
        access.require(access.can_upload_crime_counts(actor), _(crime.DENIED))
        data = _parsed(CrimeCountUploadInputSerializer, request.data)
        partners = crime.crime_upload_partners_for(actor)
        if "partner" in data:
            partner = partners.filter(pk=data["partner"]).first()
            if partner is None:
                raise serializers.ValidationError(
                    {"partner": [_("No law-enforcement partner you upload counts for has this id.")]}
                )
        else:
            candidates = list(partners[:2])
            if len(candidates) != 1:
                raise serializers.ValidationError({"partner": [_("Say which partner the counts come from.")]})
            partner = candidates[0]
        upload = crime.crime_counts_upload(
            actor=actor, partner=partner, uploaded_file=data["file"], request=request._request
        )
        return Response(CrimeCountUploadSerializer(upload).data, status=status.HTTP_201_CREATED)
