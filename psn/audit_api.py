"""API: the audit trail for coordinators (read-only: nobody edits or deletes events)."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from . import access
from .api import IsActiveMember, actor_for_api
from .audit_export import MAX_DAYS, audit_export_for_query, audit_export_response
from .filters import AuditEventFilter
from .models import AuditEvent
from .selectors import audit_event_get_for, audit_event_list_for


class AuditEventSerializer(serializers.ModelSerializer):
    # None for events outside any task force (sign-ins, site-admin actions).
    task_force = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor_id",
            "actor_email",
            "task_force",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "ip",
            "path",
        ]
        read_only_fields = fields


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsActiveMember]
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["at"]
    ordering = ["-at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return AuditEvent.objects.none()
        actor = actor_for_api(self.request)
        access.require(access.can_view_audit(actor), _("Only coordinators can read the audit trail."))
        return audit_event_list_for(actor=actor)

    def retrieve(self, request, pk=None):
        event = audit_event_get_for(actor=actor_for_api(request), pk=pk)
        return Response(self.get_serializer(event).data)

    def perform_content_negotiation(self, request, force=False):
        # The export is a CSV file whatever Accept says; its errors are JSON, as everywhere in the API.
        if getattr(self, "action", None) == "export":
            return JSONRenderer(), JSONRenderer.media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE, description="First day (default: 29 days before until)."),
            OpenApiParameter("until", OpenApiTypes.DATE, description="Last day (default: today)."),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        description=f"The trail of a period (at most {MAX_DAYS} days, the task force's dates, both included) as "
        "CSV, oldest first. The export is itself recorded in the trail (action ``exported``). A date that is no "
        "date, a reversed or too long period: 400 naming the parameter.",
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def export(self, request):
        actor = actor_for_api(request)
        access.require(access.can_view_audit(actor), _("Only coordinators can read the audit trail."))
        export = audit_export_for_query(actor=actor, query=request.query_params, request=request._request)
        return audit_export_response(export)
