"""API: a person's record for a records request (``GET /api/v1/people/{id}/record/``, coordinators), the same zip as
the page's (cases/person_record.py): 404 for a person of another task force, 403 for anyone but a coordinator."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from psn.api import IsActiveMember, actor_for_api

from . import person_record
from .person_record_views import record_response


class PersonRecordView(APIView):
    permission_classes = [IsActiveMember]
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # The zip carries its own type; errors are JSON whatever Accept says.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        operation_id="people_record_retrieve",
        tags=["people"],
        summary="A person's whole record, for a records request (zip)",
        description=(
            "Coordinators of the person's task force only, for any person of it. A zip with `record.json` (the "
            "person, merged records, consents, every referral with its needs, transitions, notes of every "
            "visibility, attachments and notifications, and the audit events about them), `record.pdf` (the same, "
            "readable), the attachments under `attachments/`, the signed consent forms under `consent-forms/`, and "
            "`manifest.json` with the SHA-256 of every other file. Each export is audited (action `exported`)."
        ),
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The record as a zip."),
            403: OpenApiResponse(description="Not a coordinator of the task force."),
            404: OpenApiResponse(description="No such person in the task force."),
        },
    )
    def get(self, request, pk: int):
        actor = actor_for_api(request)
        person = person_record.person_record_person_get_for(actor=actor, pk=pk)
        export = person_record.person_record_export(actor=actor, person=person, request=request._request)
        return record_response(export)
