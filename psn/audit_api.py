"""API: the audit trail for coordinators (read-only: nobody edits or deletes events)."""

from django.utils.translation import gettext as _
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from . import access
from .api import IsActiveMember, actor_for_api
from .filters import AuditEventFilter
from .models import AuditEvent
from .selectors import audit_event_get_for, audit_event_list_for


class AuditEventSerializer(serializers.ModelSerializer):
    task_force = serializers.SlugRelatedField(slug_field="slug", read_only=True)

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
