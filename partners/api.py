"""API: task forces, memberships and the directory (partners, services, taxonomy, languages)."""

from django import forms
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from psn import access
from psn.api import IsActiveMember, IsAuthenticatedAnyTaskForce, actor_for_api

from . import selectors, services
from .filters import PartnerFilter, ServiceFilter
from .models import Language, Membership, Partner, Role, Service, TaskForce, TaxonomyTerm


class TaskForceSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskForce
        fields = ["slug", "name", "district", "timezone", "sla_business_days", "active", "created_at"]
        read_only_fields = ["active", "created_at"]


class TaskForceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The task forces the caller may act in. Site admins also create them."""

    permission_classes = [IsAuthenticatedAnyTaskForce]
    serializer_class = TaskForceSerializer
    lookup_field = "slug"
    lookup_value_regex = "[a-z0-9-]{1,50}"
    ordering_fields = ["name", "slug", "created_at"]
    filterset_fields = []

    def get_queryset(self):
        return selectors.task_force_list_for(user=self.request.user)

    @extend_schema(request=TaskForceSerializer, responses={201: TaskForceSerializer})
    def create(self, request):
        # The right before the payload: "slug already exists" would tell anyone which other task forces exist.
        access.require(access.can_create_task_force(request.user), _("Only a site admin can create a task force."))
        payload = TaskForceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        task_force = services.task_force_create(
            actor_user=request.user, request=request._request, **payload.validated_data
        )
        return Response(TaskForceSerializer(task_force).data, status=status.HTTP_201_CREATED)


class MembershipSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    partner_id = serializers.IntegerField(read_only=True)
    partner = serializers.CharField(source="partner.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user_id", "email", "full_name", "partner_id", "partner", "role", "active", "created_at"]
        read_only_fields = fields


class IdFilter(filters.NumberFilter):
    """A database id: a whole number the database can hold (else a 400, never an overflow in the query)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class MembershipFilter(filters.FilterSet):
    partner = IdFilter(field_name="partner_id")
    role = filters.ChoiceFilter(choices=Role.choices)
    # "true" or "false"; anything else is a 400 rather than silently no filter at all.
    active = filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")], coerce=lambda value: value == "true"
    )

    class Meta:
        model = Membership
        fields = ["partner", "role", "active"]


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Memberships of the current task force the caller may see."""

    permission_classes = [IsActiveMember]
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["created_at", "role", "partner__name", "user__email"]
    ordering = ["partner__name", "user__email"]

    def get_queryset(self):
        return selectors.membership_list_for(actor=actor_for_api(self.request))


# --- Directory (read) -----------------------------------------------------------------------------------


class LanguageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["code", "name"]
        read_only_fields = fields


class TaxonomyTermSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TaxonomyTerm
        fields = ["code", "name", "description", "parent", "active"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = TaxonomyTerm
        fields = ["code", "name"]
        read_only_fields = fields


class PartnerSerializer(serializers.ModelSerializer):
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Partner
        fields = [
            "id",
            "hsds_id",
            "name",
            "kind",
            "description",
            "address_1",
            "city",
            "state_province",
            "postal_code",
            "phone",
            "email",
            "website",
            "service_area",
            "languages",
            "active",
            "updated_at",
        ]
        read_only_fields = fields


class PartnerSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Partner
        fields = ["id", "name"]
        read_only_fields = fields


class ServiceSerializer(serializers.ModelSerializer):
    partner = PartnerSummarySerializer(read_only=True)
    categories = CategorySerializer(many=True, read_only=True)
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Service
        fields = [
            "id",
            "hsds_id",
            "partner",
            "name",
            "description",
            "categories",
            "eligibility",
            "capacity",
            "accepting_referrals",
            "languages",
            "hours",
            "contact_name",
            "contact_phone",
            "contact_email",
            "url",
            "active",
            "updated_at",
        ]
        read_only_fields = fields


class PartnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The task force's partners (inactive ones for coordinators only). ``q`` searches name and description,
    best match first unless ``ordering`` says otherwise."""

    permission_classes = [IsActiveMember]
    serializer_class = PartnerSerializer
    filterset_class = PartnerFilter
    ordering_fields = ["name", "updated_at"]
    # No default ``ordering``: the selector orders (by rank when searching), ``?ordering=`` overrides.

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Partner.objects.none()
        return selectors.partner_list_for(actor=actor_for_api(self.request))

    def retrieve(self, request, pk=None):
        partner = selectors.partner_get_for(actor=actor_for_api(request), pk=pk)
        return Response(self.get_serializer(partner).data)


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The task force's services (of inactive partners, and inactive ones, for coordinators only). ``q``
    searches name, description, partner name and category names, best match first."""

    permission_classes = [IsActiveMember]
    serializer_class = ServiceSerializer
    filterset_class = ServiceFilter
    ordering_fields = ["name", "updated_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Service.objects.none()
        return selectors.service_list_for(actor=actor_for_api(self.request))

    def retrieve(self, request, pk=None):
        service = selectors.service_get_for(actor=actor_for_api(request), pk=pk)
        return Response(self.get_serializer(service).data)


class TaxonomyTermViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The need and service categories of the task force (codes for the ``category`` filter)."""

    permission_classes = [IsActiveMember]
    serializer_class = TaxonomyTermSerializer
    filterset_fields = []
    ordering_fields = ["name", "code"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return TaxonomyTerm.objects.none()
        return selectors.taxonomy_term_list_for(actor=actor_for_api(self.request))


class LanguageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The languages the directory knows (codes for the ``language`` filter)."""

    permission_classes = [IsActiveMember]
    serializer_class = LanguageSerializer
    filterset_fields = []
    ordering_fields = ["name", "code"]

    def get_queryset(self):
        return selectors.language_list()
