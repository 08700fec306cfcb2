"""API of a records request (coordinators; 403 for anyone else):

- ``POST /api/v1/people/records-request/``: find the person (cases/records_request.py) by the name and date of birth
  in the body (never in a URL), audited;
- ``POST /api/v1/people/{id}/record/``: queue the export of the person's record (cases/person_record.py), 202 with
  the export; 404 for a person of another task force;
- ``GET /api/v1/people/record-exports/{id}/``: its progress, then its download link;
- ``GET /api/v1/people/record-exports/{id}/download/``: the zip, the same as the page's, audited; 409 until done."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from psn import access
from psn.api import IsActiveMember, actor_for_api

from . import person_record, records_request
from .models import PersonRecordJob, PersonRecordJobStatus
from .people_forms import EARLIEST_BIRTH_YEAR
from .person_record_views import progress_label, record_response


class RecordsRequestLookupSerializer(serializers.Serializer):
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()

    def validate_date_of_birth(self, value):
        if value.year < EARLIEST_BIRTH_YEAR:
            raise serializers.ValidationError(_("Check the year of birth."))
        return value


class RecordsRequestMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="person.pk")
    given_name = serializers.CharField(source="person.given_name")
    family_name = serializers.CharField(source="person.family_name")
    date_of_birth = serializers.DateField(source="person.date_of_birth")
    neighborhood = serializers.CharField(source="person.neighborhood")
    matched_on = serializers.ChoiceField(choices=["name", "alias", "merged record"])
    record_url = serializers.SerializerMethodField()

    def get_record_url(self, match) -> str:
        return self.context["request"].build_absolute_uri(reverse("person-record", kwargs={"pk": match.person.pk}))


class RecordsRequestResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = RecordsRequestMatchSerializer(many=True)


class RecordsRequestLookupView(APIView):
    permission_classes = [IsActiveMember]

    @extend_schema(
        operation_id="people_records_request_lookup",
        tags=["people"],
        summary="Find the person a records request is about",
        description=(
            "Coordinators only. The task force's records whose date of birth is `date_of_birth` and whose first and "
            "last name, or one of whose aliases, is the name given (case, accents, spaces and hyphens aside; never a "
            "prefix). A record merged into another leads to the one it was merged into. Each lookup is audited with "
            "the records it found. The name and date of birth go in the body, never in a URL."
        ),
        request=RecordsRequestLookupSerializer,
        responses={
            200: RecordsRequestResultSerializer,
            400: OpenApiResponse(description="A field is missing or not valid."),
            403: OpenApiResponse(description="Not a coordinator of the task force."),
        },
    )
    def post(self, request):
        actor = actor_for_api(request)
        access.require(access.can_export_person_record(actor), _(person_record.EXPORT_DENIED))
        lookup = RecordsRequestLookupSerializer(data=request.data)
        lookup.is_valid(raise_exception=True)
        matches = records_request.records_request_lookup(actor=actor, request=request._request, **lookup.validated_data)
        body = {"count": len(matches), "results": matches}
        return Response(RecordsRequestResultSerializer(body, context={"request": request}).data)


class PersonRecordJobSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="person_id")
    requested_by = serializers.EmailField(source="requested_by.email", default=None)
    step = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = PersonRecordJob
        fields = [
            "id",
            "url",
            "person",
            "status",
            "progress",
            "step",
            "error",
            "requested_by",
            "created_at",
            "finished_at",
            "expires_at",
            "size",
            "counts",
            "download_url",
        ]
        read_only_fields = fields

    def get_step(self, job) -> str:
        return progress_label(job)

    def get_url(self, job) -> str:
        return self.context["request"].build_absolute_uri(reverse("person-record-export-detail", args=[job.pk]))

    def get_download_url(self, job) -> str | None:
        if job.status != PersonRecordJobStatus.DONE:
            return None
        return self.context["request"].build_absolute_uri(reverse("person-record-export-download", args=[job.pk]))


class PersonRecordView(APIView):
    permission_classes = [IsActiveMember]

    @extend_schema(
        operation_id="people_record_export_create",
        tags=["people"],
        summary="Export a person's whole record, for a records request",
        description=(
            "Coordinators of the person's task force only, for any person of it. Queues the export (audited) and "
            "answers 202 with it; a worker builds the zip: `record.json` (the person, merged records, consents, "
            "every referral with its needs, transitions, notes of every visibility, attachments and notifications, "
            "and the audit events about them), `record.pdf` (the same, readable), the attachments under "
            "`attachments/`, the signed consent forms under `consent-forms/`, and `manifest.json` with the SHA-256 "
            "of every other file. Follow `url` until `status` is `done`, then fetch `download_url` (each download "
            "is audited, action `exported`). The zip is kept for a day."
        ),
        request=None,
        responses={
            202: PersonRecordJobSerializer,
            403: OpenApiResponse(description="Not a coordinator of the task force."),
            404: OpenApiResponse(description="No such person in the task force."),
        },
    )
    def post(self, request, pk: int):
        actor = actor_for_api(request)
        person = person_record.person_record_person_get_for(actor=actor, pk=pk)
        job = person_record.person_record_request(actor=actor, person=person, request=request._request)
        body = PersonRecordJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class PersonRecordExportView(APIView):
    permission_classes = [IsActiveMember]

    @extend_schema(
        operation_id="people_record_export_retrieve",
        tags=["people"],
        summary="An export of a person's record: its progress, then its download link",
        responses={
            200: PersonRecordJobSerializer,
            403: OpenApiResponse(description="Not a coordinator of the task force."),
            404: OpenApiResponse(description="No such export in the task force."),
        },
    )
    def get(self, request, pk: int):
        job = person_record.person_record_job_get_for(actor=actor_for_api(request), pk=pk)
        return Response(PersonRecordJobSerializer(job, context={"request": request}).data)


class PersonRecordDownloadView(APIView):
    permission_classes = [IsActiveMember]
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # The zip carries its own type; errors are JSON whatever Accept says.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        operation_id="people_record_export_download",
        tags=["people"],
        summary="Download a done export of a person's record (zip), audited",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The record as a zip."),
            403: OpenApiResponse(description="Not a coordinator of the task force."),
            404: OpenApiResponse(description="No such export in the task force."),
            409: OpenApiResponse(description="Not done yet, failed, or expired (request a new export)."),
        },
    )
    def get(self, request, pk: int):
        actor = actor_for_api(request)
        job = person_record.person_record_job_get_for(actor=actor, pk=pk)
        try:
            download = person_record.person_record_download(actor=actor, job=job, request=request._request)
        except person_record.RecordNotReady as not_ready:
            body = {"detail": str(not_ready), "code": "not_ready", "status": job.status}
            return Response(body, status=status.HTTP_409_CONFLICT)
        return record_response(download)
