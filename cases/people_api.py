"""API: people (search, read, enter with the duplicate check, correct, merge) and consents (list, read, record,
revoke).

Thin views over cases/people_selectors.py, cases/people.py and cases/consent.py, with the same rights and scopes
as the pages. Entering a person who may already be recorded answers 409 with the candidates, unless the body
says ``"confirm_new": true``. 400 for bad input, 403 for a missing right, 404 for what the caller cannot see.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import parsers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from partners.models import Language
from psn import access, audit
from psn.api import IsActiveMember, JSONParser, Pagination, actor_for_api

from . import people, people_selectors
from .api import _invalid, _parsed
from .consent import consent_record, consent_revoke
from .models import Consent, Person
from .people_serializers import (
    AffectedReferralSerializer,
    CandidateSerializer,
    ConsentCreateSerializer,
    ConsentFilterSerializer,
    ConsentSerializer,
    DuplicateCandidatesSerializer,
    MergeResultSerializer,
    MergeSerializer,
    PersonCreateSerializer,
    PersonDetailSerializer,
    PersonFilterSerializer,
    PersonSerializer,
    PersonWriteSerializer,
    RevokeResultSerializer,
    RevokeSerializer,
)

PERSON_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Name or alias (every word; close spellings match)."),
    OpenApiParameter("date_of_birth", OpenApiTypes.DATE),
    OpenApiParameter("phone", OpenApiTypes.STR, description="Any format: the digits are compared."),
]


def _language(code: str | None) -> Language | None:
    if not code:
        return None
    language = Language.objects.filter(code=code).first()
    if language is None:
        raise _invalid("preferred_language", _("No language with this code."))
    return language


def _person_arguments(serializer: PersonWriteSerializer) -> dict:
    arguments = serializer.service_arguments()
    if "preferred_language" in arguments:
        arguments["preferred_language"] = _language(arguments["preferred_language"])
    return arguments


class PersonViewSet(viewsets.GenericViewSet):
    """The people the caller may read: those of their partners' referrals and consents, and those they entered.
    Entering, correcting and recording consent: referral staff, partner admins, coordinators. Merging:
    coordinators, across the task force."""

    permission_classes = [IsActiveMember]
    serializer_class = PersonSerializer
    pagination_class = Pagination
    queryset = Person.objects.none()

    def _person(self, request, pk) -> Person:
        return people_selectors.person_get_for(actor=actor_for_api(request), pk=pk)

    def _detail(self, request, pk, code: int = 200) -> Response:
        return Response(PersonDetailSerializer(self._person(request, pk)).data, status=code)

    @extend_schema(parameters=PERSON_FILTERS, responses={200: PersonSerializer(many=True)})
    def list(self, request):
        actor = actor_for_api(request)
        params = request.query_params
        filters = _parsed(
            PersonFilterSerializer, {key: params.get(key) for key in ("q", "date_of_birth", "phone") if key in params}
        )
        rows = people_selectors.person_list_for(actor=actor, **filters)
        with people.word_similarity_threshold():
            page = self.paginate_queryset(rows)
        audit.record_listed(actor=actor, rows=page, label=_("People"), request=request._request)
        return self.get_paginated_response(PersonSerializer(page, many=True).data)

    @extend_schema(responses={200: PersonDetailSerializer})
    def retrieve(self, request, pk=None):
        actor = actor_for_api(request)
        person = self._person(request, pk)
        audit.record(
            action="viewed", actor=actor.user, task_force=actor.task_force, obj=person, request=request._request
        )
        return Response(PersonDetailSerializer(person).data)

    @extend_schema(
        request=PersonCreateSerializer,
        responses={201: PersonDetailSerializer, 409: DuplicateCandidatesSerializer},
        description="Answers 409 with the possible earlier records unless ``confirm_new`` is true: use one of "
        "them (its ``person_id``) or send again with ``confirm_new``.",
    )
    def create(self, request):
        actor = actor_for_api(request)
        access.require(
            access.can_enter_people(actor), _("Only referral staff, partner admins and coordinators enter people.")
        )
        serializer = PersonCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            person = people.person_create(
                actor=actor,
                confirm_new=serializer.validated_data["confirm_new"],
                request=request._request,
                **_person_arguments(serializer),
            )
        except people.DuplicateCandidates as found:
            body = {
                "detail": found.messages[0],
                "code": "possible_duplicates",
                "candidates": CandidateSerializer(found.candidates, many=True).data,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        return self._detail(request, person.pk, status.HTTP_201_CREATED)

    @extend_schema(request=PersonWriteSerializer, responses={200: PersonDetailSerializer})
    def partial_update(self, request, pk=None):
        actor = actor_for_api(request)
        person = self._person(request, pk)
        access.require(
            access.can_enter_people(actor), _("Only referral staff, partner admins and coordinators edit people.")
        )
        serializer = PersonWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        people.person_update(actor=actor, person=person, request=request._request, **_person_arguments(serializer))
        return self._detail(request, person.pk)

    @extend_schema(request=MergeSerializer, responses={200: MergeResultSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge the record ``merge`` into this one (coordinators): its referrals and consents move here."""
        actor = actor_for_api(request)
        keep = people_selectors.merge_person_get_for(actor=actor, pk=pk)
        access.require(access.can_merge_people(actor), _("Only coordinators merge people."))
        data = _parsed(MergeSerializer, request.data)
        other = people_selectors.merge_other_for(actor=actor, keep=keep, pk=data["merge"])
        if other is None:
            raise _invalid("merge", _("Choose another record of this task force."))
        moving = people_selectors.merge_preview_for(actor=actor, merge=other)
        keep = people.person_merge(actor=actor, keep=keep, merge=other, request=request._request)
        body = {
            "person": PersonSerializer(keep).data,
            "merged": other.pk,
            "referrals_moved": moving.referrals,
            "consents_moved": moving.consents,
        }
        return Response(body)

    @extend_schema(request=None, responses={200: ConsentSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None)
    def consents(self, request, pk=None):
        person = self._person(request, pk)
        audit.record_viewed(actor=actor_for_api(request), obj=person, request=request._request)
        return Response(ConsentSerializer(person.consent_list, many=True).data)


class ConsentViewSet(viewsets.GenericViewSet):
    """Consents of the people the caller may read. Recording (JSON, or multipart with the signed form) and
    revoking: referral staff, partner admins, coordinators."""

    permission_classes = [IsActiveMember]
    serializer_class = ConsentSerializer
    pagination_class = Pagination
    queryset = Consent.objects.none()
    parser_classes = [JSONParser, parsers.MultiPartParser]

    @extend_schema(
        parameters=[OpenApiParameter("person", OpenApiTypes.INT, description="One person's consents.")],
        responses={200: ConsentSerializer(many=True)},
    )
    def list(self, request):
        actor = actor_for_api(request)
        params = request.query_params
        filters = _parsed(ConsentFilterSerializer, {key: params.get(key) for key in ("person",) if key in params})
        page = self.paginate_queryset(people_selectors.consent_list_for(actor=actor, person=filters.get("person")))
        audit.record_listed(actor=actor, rows=page, label=_("Consents"), request=request._request)
        return self.get_paginated_response(
            ConsentSerializer(people_selectors.with_states(page, actor=actor), many=True).data
        )

    @extend_schema(responses={200: ConsentSerializer})
    def retrieve(self, request, pk=None):
        actor = actor_for_api(request)
        consent = people_selectors.consent_get_for(actor=actor, pk=pk)
        audit.record_viewed(actor=actor, obj=consent, request=request._request)
        return Response(ConsentSerializer(consent).data)

    @extend_schema(
        request={"application/json": ConsentCreateSerializer, "multipart/form-data": ConsentCreateSerializer},
        responses={201: ConsentSerializer},
    )
    def create(self, request):
        actor = actor_for_api(request)
        access.require(
            access.can_record_consent(actor),
            _("Only referral staff, partner admins and coordinators record consent."),
        )
        data = _parsed(ConsentCreateSerializer, request.data)
        person = people_selectors.person_in_task_force(actor=actor, pk=data["person"])
        if person is None:
            raise _invalid("person", _("No such person in this task force."))
        partner_ids = sorted(set(data["partners"]))
        partners = list(access.partners_visible_to(actor).filter(pk__in=partner_ids))
        if len(partners) != len(partner_ids):
            raise _invalid("partners", _("Choose only partners of this task force."))
        consent = consent_record(
            actor=actor,
            person=person,
            scope=data["scope"],
            partners=partners,
            shares=data["shares"],
            method=data["method"],
            given_on=data["given_on"],
            expires_on=data.get("expires_on"),
            file=data.get("file"),
            request=request._request,
        )
        # The recorded row itself: a site admin with no partner records consent for someone they cannot read.
        return Response(
            ConsentSerializer(people_selectors.with_states([consent], actor=actor)[0]).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=RevokeSerializer, responses={200: RevokeResultSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the consent; the answer lists the open referrals it leaves without valid consent."""
        actor = actor_for_api(request)
        consent = people_selectors.consent_get_for(actor=actor, pk=pk)
        access.require(
            access.can_record_consent(actor), _("Only referral staff, partner admins and coordinators revoke consent.")
        )
        data = _parsed(RevokeSerializer, request.data)
        affected = consent_revoke(actor=actor, consent=consent, reason=data["reason"], request=request._request)
        shown = people_selectors.affected_referrals_for(actor=actor, consent=consent, referrals=affected)
        body = {
            "consent": ConsentSerializer(people_selectors.consent_get_for(actor=actor, pk=consent.pk)).data,
            "affected_referrals": AffectedReferralSerializer(shown.visible, many=True).data,
            "affected_elsewhere": shown.hidden,
        }
        return Response(body)
