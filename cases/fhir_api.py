"""API: a referral as an HL7 FHIR R4 Bundle (``GET /api/v1/referrals/{id}/fhir/``, cases/fhir.py builds it).

The same access as the referral's detail (``cases.selectors.referral_get_for``: 404 for what the caller cannot see)
and the same audit: a reader who sees the person is recorded as having viewed the referral. A coordinator outside
the referral's two partners reads the Bundle with a Patient reduced to its id.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from psn import access
from psn.api import IsActiveMember, actor_for_api

from . import fhir, selectors


class FhirJSONRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class ReferralFhirView(APIView):
    permission_classes = [IsActiveMember]
    # FHIR's own media type first (the answer to a client that asks for nothing in particular); plain JSON on
    # request.
    renderer_classes = [FhirJSONRenderer, JSONRenderer]

    def handle_exception(self, exc):
        # An error is the API's error body (psn/api.py), not a FHIR resource: plain JSON, as the schema says.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="referrals_fhir_retrieve",
        tags=["referrals"],
        summary="The referral as an HL7 FHIR R4 Bundle",
        description=(
            "A Bundle of type `collection`: an SDOHCC Task for Referral Management (status from the referral's "
            "status: draft→draft, submitted→requested, accepted→accepted, declined→rejected, "
            "in_progress→in-progress, completed→completed, closed_unsuccessful→failed, withdrawn→cancelled, "
            "transferred→cancelled with the status reason `transferred`), its focus an SDOHCC ServiceRequest, the "
            "Patient, and the requesting (sending) and owning (receiving) Organizations. A coordinator outside "
            "the referral's two partners gets a Patient with an id only."
        ),
        responses={
            (200, FhirJSONRenderer.media_type): OpenApiResponse(OpenApiTypes.OBJECT, description="A FHIR R4 Bundle."),
            (200, JSONRenderer.media_type): OpenApiResponse(OpenApiTypes.OBJECT, description="The same, when asked."),
        },
    )
    def get(self, request, pk: int):
        actor = actor_for_api(request)
        referral = selectors.referral_get_for(actor=actor, pk=pk)
        selectors.referral_viewed(actor=actor, referral=referral, request=request._request, changes={"format": "fhir"})
        linked = [other for other in (referral.transferred_from, getattr(referral, "transferred_to", None)) if other]
        bundle = fhir.referral_bundle(
            referral,
            details=referral.details_visible,
            linked_visible={other.pk: access.can_view_referral(actor, other) for other in linked},
        )
        return Response(bundle)
