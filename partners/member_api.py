"""API: invitations to join a partner. The link's secret is only ever in the email: no response carries it."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from psn import access
from psn.api import IsActiveMember, actor_for_api

from . import members, selectors
from .api import IdFilter
from .models import Invitation, Role

STATUSES = ["open", "expired", "accepted", "revoked"]


class InvitationSerializer(serializers.ModelSerializer):
    partner_id = serializers.IntegerField(read_only=True)
    partner = serializers.CharField(source="partner.name", read_only=True)
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, default=None, allow_null=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "partner_id",
            "partner",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = fields

    def get_status(self, invitation: Invitation) -> str:
        if invitation.accepted_at is not None:
            return "accepted"
        if invitation.revoked_at is not None:
            return "revoked"
        return "open" if invitation.expires_at > timezone.now() else "expired"


class InvitationCreateSerializer(serializers.Serializer):
    partner = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class InvitationFilter(filters.FilterSet):
    partner = IdFilter(field_name="partner_id")
    role = filters.ChoiceFilter(choices=Role.choices)
    status = filters.ChoiceFilter(choices=[(s, s) for s in STATUSES], method="filter_status")
    email = filters.CharFilter(field_name="email", lookup_expr="iexact")

    class Meta:
        model = Invitation
        fields = ["partner", "role", "status", "email"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(selectors.invitation_status_q(value))


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Invitations of the partners the caller manages (all of the task force for coordinators). ``POST``
    invites (and re-invites: the earlier open invitation to the same address and partner is revoked)."""

    permission_classes = [IsActiveMember]
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    ordering_fields = ["created_at", "expires_at", "email", "role", "partner__name"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Invitation.objects.none()
        return selectors.invitation_list_for(actor=actor_for_api(self.request))

    def list(self, request, *args, **kwargs):
        access.require(
            access.can_view_invitations(actor_for_api(request)),
            _("Only partner admins and coordinators see invitations."),
        )
        return super().list(request, *args, **kwargs)

    def _managed(self, request, pk) -> Invitation:
        """404 beyond the task force; 403 for an invitation of a partner the caller does not manage."""
        actor = actor_for_api(request)
        invitation = selectors.invitation_get_for(actor=actor, pk=pk)
        access.require(
            access.can_manage_members(actor, invitation.partner),
            _("Only this partner's admins and coordinators see its invitations."),
        )
        return invitation

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._managed(request, pk)).data)

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer})
    def create(self, request):
        actor = actor_for_api(request)
        access.require(access.can_view_invitations(actor), _("Only partner admins and coordinators invite members."))
        payload = InvitationCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        partner = access.partners_visible_to(actor).filter(pk=data["partner"]).first()
        if partner is None:
            raise serializers.ValidationError({"partner": [_("No such partner in this task force.")]})
        invitation = members.invitation_create(
            actor=actor, partner=partner, email=data["email"], role=data["role"], request=request._request
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        invitation = members.invitation_revoke(
            actor=actor_for_api(request), invitation=self._managed(request, pk), request=request._request
        )
        return Response(InvitationSerializer(invitation).data)
