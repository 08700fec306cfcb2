"""API: the caller (`me`), their tokens, and the locked accounts they may release."""

from django.conf import settings
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from partners.models import Membership
from psn import access
from psn.api import IsActiveMember, IsAuthenticatedAnyTaskForce, actor_for_api

from . import selectors, services
from .models import ApiToken, User


class MeMembershipSerializer(serializers.ModelSerializer):
    task_force = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    partner = serializers.StringRelatedField()
    partner_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "task_force", "partner_id", "partner", "role"]


class TaskForceRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    is_site_admin = serializers.BooleanField()
    current_task_force = TaskForceRefSerializer(allow_null=True)
    task_forces = TaskForceRefSerializer(many=True)
    memberships = MeMembershipSerializer(many=True)


class _OneObjectSchema(AutoSchema):
    """``me`` answers its "list" route with one object: drf-spectacular would describe an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class MeViewSet(viewsets.ViewSet):
    permission_classes = [IsAuthenticatedAnyTaskForce]
    schema = _OneObjectSchema()

    @extend_schema(responses=MeSerializer, summary="The signed-in user, their task forces and memberships")
    def list(self, request):
        actor = actor_for_api(request)
        user = request.user
        task_forces = list(access.task_forces_for(user).order_by("name")) if user.is_superuser else actor.task_forces
        data = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "is_site_admin": user.is_superuser,
            "current_task_force": actor.task_force,
            "task_forces": task_forces,
            "memberships": list(actor.all_memberships),
        }
        return Response(MeSerializer(data).data)


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "created_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=settings.PSN_API_TOKEN_MAX_DAYS, default=settings.PSN_API_TOKEN_DEFAULT_DAYS
    )


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret. Shown only in this response.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticatedAnyTaskForce]
    serializer_class = ApiTokenSerializer
    ordering_fields = ["created_at", "expires_at", "last_used_at"]
    filterset_fields = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return ApiToken.objects.none()
        return selectors.api_token_list_for(user=self.request.user)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request):
        payload = ApiTokenCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, secret = services.api_token_create(
            user=request.user,
            authenticated_by_token=isinstance(request.auth, ApiToken),
            request=request._request,
            **payload.validated_data,
        )
        token.token = secret
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = self.get_object()  # among the caller's own tokens (get_queryset); a malformed id is a 404
        token = services.api_token_revoke(user=request.user, token=token, request=request._request)
        return Response(ApiTokenSerializer(token).data)


class LockedUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name"]


class ReleaseResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    was_locked = serializers.BooleanField()


class LockoutViewSet(viewsets.GenericViewSet):
    """Accounts locked after failed sign-ins that the caller may release."""

    permission_classes = [IsActiveMember]
    serializer_class = LockedUserSerializer
    filterset_fields = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return User.objects.none()
        return selectors.locked_user_list_for(actor=actor_for_api(self.request))

    def list(self, request):
        access.require(access.can_manage_lockouts(actor_for_api(request)))
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=None, responses=ReleaseResultSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        actor = actor_for_api(request)
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            pk = 0
        target = selectors.user_get_for_release(actor=actor, pk=pk)
        was_locked = services.lockout_release(actor=actor, target=target, request=request._request)
        return Response({"id": target.pk, "email": target.email, "was_locked": was_locked})
