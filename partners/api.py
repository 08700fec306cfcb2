"""API: task forces, memberships and the directory (partners, services, taxonomy, languages)."""

from django import forms
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from psn import access
from psn.api import IsActiveMember, IsAuthenticatedAnyTaskForce, actor_for_api

from . import members, selectors, services
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


class MembershipRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Memberships of the current task force the caller may see. Partner admins (of their partner) and
    coordinators change roles (``PATCH {"role": ...}``), deactivate and reactivate them."""

    permission_classes = [IsActiveMember]
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    ordering_fields = ["created_at", "role", "partner__name", "user__email"]
    ordering = ["partner__name", "user__email"]

    def get_queryset(self):
        return selectors.membership_list_for(actor=actor_for_api(self.request))

    def _managed(self, request) -> Membership:
        """The membership, if the caller may manage it: 404 beyond what they see, else 403 without the right."""
        membership = self.get_object()
        actor = actor_for_api(request)
        access.require(
            access.can_manage_members(actor, membership.partner) and access.can_manage_membership(actor, membership),
            _("Only this partner's admins and coordinators manage its members."),
        )
        return membership

    @extend_schema(request=MembershipRoleSerializer, responses={200: MembershipSerializer})
    def partial_update(self, request, pk=None):
        membership = self._managed(request)
        payload = MembershipRoleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        membership = members.membership_change_role(
            actor=actor_for_api(request),
            membership=membership,
            role=payload.validated_data["role"],
            request=request._request,
        )
        return Response(MembershipSerializer(membership).data)

    @extend_schema(request=None, responses={200: MembershipSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        membership = members.membership_deactivate(
            actor=actor_for_api(request), membership=self._managed(request), request=request._request
        )
        return Response(MembershipSerializer(membership).data)

    @extend_schema(request=None, responses={200: MembershipSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        membership = members.membership_reactivate(
            actor=actor_for_api(request), membership=self._managed(request), request=request._request
        )
        return Response(MembershipSerializer(membership).data)


# --- Directory (read) -----------------------------------------------------------------------------------


class LanguageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Language
        fields = ["code", "name"]
        read_only_fields = fields


class TaxonomyTermSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # None at the top

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


# --- Directory management (write) -------------------------------------------------------------------------
#
# Input serializers check the payload's shape (codes and ids resolved inside the caller's task force); the
# rules are in partners.services. Nothing is deleted through the API: DELETE is a 405, ``POST
# .../deactivate/`` takes a partner or service out of the directory and ``.../reactivate/`` brings it back.


class PartnerInputSerializer(serializers.ModelSerializer):
    """A partner as written. ``kind`` is a coordinator's to change: a partner admin sending a different
    one gets a 403. The logo is uploaded on the web form only (the API speaks JSON)."""

    languages = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, queryset=Language.objects.all()
    )

    class Meta:
        model = Partner
        fields = [
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
        ]


class ServiceInputSerializer(serializers.ModelSerializer):
    """A service as written: ``partner`` by id (one of the caller's task force, else "No such partner."),
    ``categories`` and ``languages`` by code. On update the partner cannot change."""

    partner = serializers.PrimaryKeyRelatedField(
        queryset=Partner.objects.none(),
        error_messages={"does_not_exist": _("No such partner."), "incorrect_type": _("A partner id is a number.")},
    )
    categories = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, queryset=TaxonomyTerm.objects.none()
    )
    languages = serializers.SlugRelatedField(
        slug_field="code", many=True, required=False, queryset=Language.objects.all()
    )
    capacity = serializers.IntegerField(
        min_value=0, max_value=services.SERVICE_CAPACITY_MAX, allow_null=True, required=False
    )

    class Meta:
        model = Service
        fields = [
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
        ]

    def __init__(self, *args, actor: access.Actor | None = None, service: Service | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        if actor is None:  # the schema generator's instance: describes the fields, never validates
            return
        self.fields["partner"].queryset = access.partners_visible_to(actor)
        current = service.categories.all() if service is not None else ()
        self.fields["categories"].child_relation.queryset = selectors.taxonomy_term_choices_for(
            task_force=actor.task_force, keep=current
        )
        if service is not None:
            self.fields["partner"].required = False

    def validate_partner(self, partner: Partner) -> Partner:
        if self.service is not None and partner.pk != self.service.partner_id:
            raise serializers.ValidationError(_("A service stays with its partner: add a new one there instead."))
        return partner


class PartnerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The task force's partners (inactive ones for coordinators only). ``q`` searches name and description,
    best match first unless ``ordering`` says otherwise. Coordinators create partners, change their kind,
    deactivate and reactivate them; a partner's admins edit its other fields."""

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

    @extend_schema(request=PartnerInputSerializer, responses={201: PartnerSerializer})
    def create(self, request):
        actor = actor_for_api(request)
        access.require(access.can_create_partner(actor), _("Only coordinators add partners to the directory."))
        payload = PartnerInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        partner = services.partner_create(actor=actor, request=request._request, **payload.validated_data)
        return Response(PartnerSerializer(partner).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PartnerInputSerializer, responses={200: PartnerSerializer})
    def update(self, request, pk=None, partial: bool = False):
        actor = actor_for_api(request)
        partner = selectors.partner_get_for_management(actor=actor, pk=pk)
        access.require(
            access.can_edit_partner(actor, partner), _("Only this partner's admins and coordinators edit it.")
        )
        payload = PartnerInputSerializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        partner = services.partner_update(
            actor=actor, partner=partner, request=request._request, **payload.validated_data
        )
        return Response(PartnerSerializer(partner).data)

    @extend_schema(request=PartnerInputSerializer, responses={200: PartnerSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def _status_change(self, request, pk, change) -> Response:
        actor = actor_for_api(request)
        partner = selectors.partner_get_for_management(actor=actor, pk=pk)
        change(actor=actor, partner=partner, request=request._request)
        return Response(PartnerSerializer(partner).data)

    @extend_schema(request=None, responses={200: PartnerSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Take the partner out of the directory (coordinators). Nothing is deleted; twice is harmless."""
        return self._status_change(request, pk, services.partner_deactivate)

    @extend_schema(request=None, responses={200: PartnerSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return self._status_change(request, pk, services.partner_reactivate)


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The task force's services (of inactive partners, and inactive ones, for coordinators only). ``q``
    searches name, description, partner name and category names, best match first. A partner's admins and
    coordinators create, edit, deactivate and reactivate its services."""

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

    @extend_schema(request=ServiceInputSerializer, responses={201: ServiceSerializer})
    def create(self, request):
        actor = actor_for_api(request)
        # Someone who may manage no partner's services is refused before the payload is even read.
        access.require(
            actor.is_coordinator or Role.PARTNER_ADMIN in actor.roles,
            _("Only partner admins and coordinators add services."),
        )
        payload = ServiceInputSerializer(data=request.data, actor=actor)
        payload.is_valid(raise_exception=True)
        service = services.service_create(actor=actor, request=request._request, **payload.validated_data)
        return Response(ServiceSerializer(service).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ServiceInputSerializer, responses={200: ServiceSerializer})
    def update(self, request, pk=None, partial: bool = False):
        actor = actor_for_api(request)
        service = selectors.service_get_for_management(actor=actor, pk=pk)
        access.require(
            access.can_manage_services_of(actor, service.partner),
            _("Only this partner's admins and coordinators edit its services."),
        )
        payload = ServiceInputSerializer(data=request.data, partial=partial, actor=actor, service=service)
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        changes.pop("partner", None)
        service = services.service_update(actor=actor, service=service, request=request._request, **changes)
        return Response(ServiceSerializer(service).data)

    @extend_schema(request=ServiceInputSerializer, responses={200: ServiceSerializer})
    def partial_update(self, request, pk=None):
        return self.update(request, pk=pk, partial=True)

    def _status_change(self, request, pk, change) -> Response:
        actor = actor_for_api(request)
        service = selectors.service_get_for_management(actor=actor, pk=pk)
        change(actor=actor, service=service, request=request._request)
        return Response(ServiceSerializer(service).data)

    @extend_schema(request=None, responses={200: ServiceSerializer})
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Stop listing the service (its partner's admins and coordinators). Nothing is deleted."""
        return self._status_change(request, pk, services.service_deactivate)

    @extend_schema(request=None, responses={200: ServiceSerializer})
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return self._status_change(request, pk, services.service_reactivate)


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
