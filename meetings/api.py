"""API: meetings (list, detail, scheduling, changes to one meeting or its whole series, cancelling, minutes,
attendance, invitations), action items, the task force's reminder settings and the caller's calendar feed.

Thin views over meetings/selectors.py and meetings/services.py: they check the shape of the input, resolve ids
inside the caller's task force (an id that names nothing there is a 400 naming the field) and call the service,
which checks the right and the state again. Answers: 400 for bad input (the services' refusals too), 403 for a
missing right (checked before the body is read, so a refusal says nothing about the ids), 404 for a meeting or
item the caller does not see (another task force's, or one they are not invited to).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import ApiToken
from psn import access
from psn.api import IsActiveMember, IsAuthenticatedAnyTaskForce, Pagination, actor_for_api

from . import feed, selectors, services
from .ics import meeting_calendar
from .models import ActionItem, Meeting, MeetingSeries
from .serializers import (
    SCOPES,
    ActionItemCreateSerializer,
    ActionItemFilterSerializer,
    ActionItemSerializer,
    ActionItemUpdateSerializer,
    AttendanceSerializer,
    CalendarFeedRevokedSerializer,
    CalendarFeedSerializer,
    CancelSerializer,
    InviteeAddSerializer,
    MeetingCreateSerializer,
    MeetingDetailSerializer,
    MeetingFilterSerializer,
    MeetingListSerializer,
    MeetingUpdateSerializer,
    MinutesSerializer,
    ReminderSettingsSerializer,
)


def _invalid(field: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [message]})


def _parsed(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _partners(actor: access.Actor, ids: list[int]) -> list:
    found = list(access.partners_visible_to(actor).filter(active=True, pk__in=ids))
    missing = sorted(set(ids) - {p.pk for p in found})
    if missing:
        raise _invalid(
            "partners",
            _("No active partner of this task force has the id %(ids)s.") % {"ids": ", ".join(map(str, missing))},
        )
    return found


def _users(actor: access.Actor, ids: list[int], field: str = "users") -> list:
    found = list(access.users_invitable_by(actor).filter(pk__in=ids))
    missing = sorted(set(ids) - {u.pk for u in found})
    if missing:
        raise _invalid(
            field,
            _("No active member of this task force has the id %(ids)s.") % {"ids": ", ".join(map(str, missing))},
        )
    return found


def _scope(request) -> str:
    scope = request.query_params.get("scope", "meeting")
    if scope not in SCOPES:
        raise _invalid("scope", _("The scope is “meeting” or “series”."))
    return scope


def _series_of(meeting: Meeting) -> MeetingSeries:
    if meeting.series is None:
        raise _invalid("scope", _("This meeting is not part of a series."))
    return meeting.series


SCOPE_PARAMETER = OpenApiParameter(
    "scope",
    OpenApiTypes.STR,
    enum=list(SCOPES),
    description="``series``: the change (or the cancelling) applies to the meeting's whole series from now on.",
)
MEETING_FILTERS = [
    OpenApiParameter("when", OpenApiTypes.STR, enum=["upcoming", "past", "all"], description="Default: upcoming."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=["task_force", "working_group", "case_review", "call_in"]),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["scheduled", "cancelled", "held"]),
    OpenApiParameter("start_after", OpenApiTypes.DATETIME, description="Meetings starting at or after this time."),
    OpenApiParameter("start_before", OpenApiTypes.DATETIME, description="Meetings starting before this time."),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(MeetingFilterSerializer.ORDERINGS)),
]


class MeetingViewSet(viewsets.GenericViewSet):
    """Meetings the caller sees: every meeting of the task force for coordinators, the ones they are invited to
    (personally or through their partner) for everyone else."""

    permission_classes = [IsActiveMember]
    serializer_class = MeetingDetailSerializer
    pagination_class = Pagination
    filter_backends = []
    queryset = Meeting.objects.none()
    lookup_value_regex = "[0-9]{1,18}"

    def perform_content_negotiation(self, request, force=False):
        # The .ics carries its own type; everything else, errors included, is JSON whatever Accept says.
        return JSONRenderer(), JSONRenderer.media_type

    def _detail(self, actor: access.Actor, pk, code: int = 200) -> Response:
        meeting = selectors.meeting_detail_for(actor=actor, pk=pk)
        context = {
            "show_minutes": access.can_view_minutes(actor, meeting),
            "show_action_items": access.can_view_action_items_of(actor, meeting),
        }
        return Response(MeetingDetailSerializer(meeting, context=context).data, status=code)

    @staticmethod
    def _managing(request) -> access.Actor:
        actor = actor_for_api(request)
        access.require(access.can_manage_meetings(actor), _("Only coordinators manage meetings."))
        return actor

    @staticmethod
    def _managed(request, pk) -> tuple[access.Actor, Meeting]:
        """The meeting first (a 404 for one the caller does not see, another task force's above all), then the
        right (a 403, before the body is read)."""
        actor = actor_for_api(request)
        meeting = selectors.meeting_get_for(actor=actor, pk=pk)
        access.require(access.can_manage_meetings(actor), _("Only coordinators manage meetings."))
        return actor, meeting

    # --- Reading -----------------------------------------------------------------------------------------

    @extend_schema(parameters=MEETING_FILTERS, responses={200: MeetingListSerializer(many=True)})
    def list(self, request):
        actor = actor_for_api(request)
        params = request.query_params
        filters = _parsed(MeetingFilterSerializer, {k: params.get(k) for k in params if k not in ("page", "page_size")})
        rows = selectors.meeting_list_for(
            actor=actor,
            when=filters["when"],
            kind=filters.get("kind"),
            status=filters.get("status"),
            start_from=filters.get("start_after"),
            start_before=filters.get("start_before"),
        )
        if filters.get("ordering"):
            rows = rows.order_by(filters["ordering"], "pk")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(MeetingListSerializer(page, many=True).data)

    @extend_schema(responses={200: MeetingDetailSerializer})
    def retrieve(self, request, pk=None):
        return self._detail(actor_for_api(request), pk)

    @extend_schema(
        responses={(200, "text/calendar"): OpenApiTypes.BINARY},
        description="The meeting as an iCalendar file (METHOD:PUBLISH) with its stable UID and current SEQUENCE: "
        "no agenda, no minutes, and a case review under its kind's name only.",
    )
    @action(detail=True, methods=["get"])
    def ics(self, request, pk=None):
        meeting = selectors.meeting_get_for(actor=actor_for_api(request), pk=pk)
        response = HttpResponse(meeting_calendar(meeting, method="PUBLISH"), content_type="text/calendar")
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
        response["Cache-Control"] = "private, no-store"
        return response

    # --- Scheduling and changing ---------------------------------------------------------------------------

    @extend_schema(
        request=MeetingCreateSerializer,
        responses={201: MeetingDetailSerializer},
        description="Schedule a meeting and invite partners (their active members) and people; with ``rrule`` a "
        "recurring series (the answer is its first occurrence).",
    )
    def create(self, request):
        actor = self._managing(request)
        data = dict(_parsed(MeetingCreateSerializer, request.data))
        partners = _partners(actor, data.pop("partners", []))
        users = _users(actor, data.pop("users", []))
        meeting = services.meeting_schedule(
            actor=actor,
            timezone_name=data.pop("timezone", None),
            partners=partners,
            users=users,
            request=request._request,
            **data,
        )
        return self._detail(actor, meeting.pk, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[SCOPE_PARAMETER],
        request=MeetingUpdateSerializer,
        responses={200: MeetingDetailSerializer},
        description="Change one meeting (an occurrence of a series then keeps its own values), or with "
        "``?scope=series`` the whole series from now on (``start``/``end`` are then the series' new first start "
        "and length). Invitees are sent the update.",
    )
    def partial_update(self, request, pk=None):
        actor, meeting = self._managed(request, pk)
        scope = _scope(request)
        data = dict(_parsed(MeetingUpdateSerializer, request.data))
        partners = _partners(actor, data.pop("partners")) if "partners" in data else None
        users = _users(actor, data.pop("users")) if "users" in data else None
        rrule = data.pop("rrule", None)
        if scope == "series":
            if "timezone" in data:
                raise _invalid("timezone", _("The time zone of a series cannot change."))
            services.series_update(
                actor=actor,
                series=_series_of(meeting),
                changes=data,
                rrule=rrule,
                partners=partners,
                users=users,
                request=request._request,
            )
        else:
            if rrule is not None:
                raise _invalid("rrule", _("A single meeting has no rule: change the series with ?scope=series."))
            services.meeting_update(
                actor=actor, meeting=meeting, changes=data, partners=partners, users=users, request=request._request
            )
        return self._detail(actor, meeting.pk)

    @extend_schema(
        parameters=[SCOPE_PARAMETER],
        request=CancelSerializer,
        responses={200: MeetingDetailSerializer},
        description="Cancel the meeting, or with ``?scope=series`` end its series (every future occurrence is "
        "cancelled). Everyone who was sent the invitation is sent the cancellation.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        actor, meeting = self._managed(request, pk)
        scope = _scope(request)
        data = _parsed(CancelSerializer, request.data)
        if scope == "series":
            services.series_end(actor=actor, series=_series_of(meeting), request=request._request)
        else:
            services.meeting_cancel(actor=actor, meeting=meeting, reason=data["reason"], request=request._request)
        return self._detail(actor, meeting.pk)

    @extend_schema(request=None, responses={200: MeetingDetailSerializer})
    @action(detail=True, methods=["post"])
    def held(self, request, pk=None):
        actor, meeting = self._managed(request, pk)
        services.meeting_mark_held(actor=actor, meeting=meeting, request=request._request)
        return self._detail(actor, meeting.pk)

    @extend_schema(request=MinutesSerializer, responses={200: MeetingDetailSerializer})
    @action(detail=True, methods=["put", "post"])
    def minutes(self, request, pk=None):
        actor = actor_for_api(request)
        meeting = selectors.meeting_get_for(actor=actor, pk=pk)
        access.require(access.can_edit_minutes(actor, meeting), _("You may not edit these minutes."))
        data = _parsed(MinutesSerializer, request.data)
        services.meeting_minutes_save(actor=actor, meeting=meeting, minutes=data["minutes"], request=request._request)
        return self._detail(actor, meeting.pk)

    @extend_schema(
        request=AttendanceSerializer,
        responses={200: MeetingDetailSerializer},
        description="Record who came (present, absent or excused; a blank value clears). Recording attendance "
        "records the meeting as held.",
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        actor = actor_for_api(request)
        meeting = selectors.meeting_get_for(actor=actor, pk=pk)
        access.require(access.can_take_attendance(actor, meeting), _("You may not take attendance for this meeting."))
        data = _parsed(AttendanceSerializer, request.data)
        services.attendance_record(
            actor=actor,
            meeting=meeting,
            people=data["people"],
            partners=data["partners"],
            request=request._request,
        )
        return self._detail(actor, meeting.pk)

    @extend_schema(request=InviteeAddSerializer, responses={200: MeetingDetailSerializer})
    @action(detail=True, methods=["post"])
    def invitees(self, request, pk=None):
        actor, meeting = self._managed(request, pk)
        data = _parsed(InviteeAddSerializer, request.data)
        (user,) = _users(actor, [data["user"]], field="user")
        services.invitee_add(actor=actor, meeting=meeting, user=user, request=request._request)
        return self._detail(actor, meeting.pk)


ACTION_ITEM_FILTERS = [
    OpenApiParameter("mine", OpenApiTypes.BOOL, description="Only the caller's own items."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "done"]),
    OpenApiParameter("meeting", OpenApiTypes.INT, description="The items of one meeting."),
]


class ActionItemViewSet(viewsets.GenericViewSet):
    """Action items of the meetings the caller sees (not those of a case review they are not invited to), and
    their own. Coordinators add and change them; the owner or a coordinator marks one done or open again."""

    permission_classes = [IsActiveMember]
    serializer_class = ActionItemSerializer
    pagination_class = Pagination
    filter_backends = []
    queryset = ActionItem.objects.none()
    lookup_value_regex = "[0-9]{1,18}"

    def _answer(self, actor: access.Actor, pk, code: int = 200) -> Response:
        return Response(ActionItemSerializer(selectors.action_item_get_for(actor=actor, pk=pk)).data, status=code)

    @staticmethod
    def _meeting(actor: access.Actor, pk: int) -> Meeting:
        try:
            return selectors.meeting_get_for(actor=actor, pk=pk)
        except Http404:
            raise _invalid("meeting", _("No such meeting among those you see.")) from None

    @extend_schema(parameters=ACTION_ITEM_FILTERS, responses={200: ActionItemSerializer(many=True)})
    def list(self, request):
        actor = actor_for_api(request)
        params = request.query_params
        filters = _parsed(
            ActionItemFilterSerializer, {k: params.get(k) for k in params if k not in ("page", "page_size")}
        )
        meeting = self._meeting(actor, filters["meeting"]) if "meeting" in filters else None
        rows = selectors.action_item_list_for(
            actor=actor, mine=filters["mine"], status=filters.get("status"), meeting=meeting
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ActionItemSerializer(page, many=True).data)

    @extend_schema(responses={200: ActionItemSerializer})
    def retrieve(self, request, pk=None):
        return self._answer(actor_for_api(request), pk)

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request):
        actor = actor_for_api(request)
        access.require(access.can_manage_meetings(actor), _("Only coordinators add action items."))
        data = _parsed(ActionItemCreateSerializer, request.data)
        meeting = self._meeting(actor, data["meeting"])
        (owner,) = _users(actor, [data["owner"]], field="owner")
        item = services.action_item_add(
            actor=actor,
            meeting=meeting,
            text=data["text"],
            owner=owner,
            due_date=data["due_date"],
            request=request._request,
        )
        return self._answer(actor, item.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemUpdateSerializer, responses={200: ActionItemSerializer})
    def partial_update(self, request, pk=None):
        actor = actor_for_api(request)
        item = selectors.action_item_get_for(actor=actor, pk=pk)
        access.require(access.can_manage_meetings(actor), _("Only coordinators change action items."))
        changes = dict(_parsed(ActionItemUpdateSerializer, request.data))
        if "owner" in changes:
            (changes["owner"],) = _users(actor, [changes["owner"]], field="owner")
        services.action_item_update(actor=actor, item=item, changes=changes, request=request._request)
        return self._answer(actor, item.pk)

    def _set_status(self, request, pk, *, done: bool) -> Response:
        actor = actor_for_api(request)
        item = selectors.action_item_get_for(actor=actor, pk=pk)
        services.action_item_set_status(actor=actor, item=item, done=done, request=request._request)
        return self._answer(actor, item.pk)

    @extend_schema(request=None, responses={200: ActionItemSerializer})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        return self._set_status(request, pk, done=True)

    @extend_schema(request=None, responses={200: ActionItemSerializer})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._set_status(request, pk, done=False)


class ReminderSettingsView(APIView):
    """The current task force's reminder defaults (coordinators): one object, read and replaced whole."""

    permission_classes = [IsActiveMember]

    @staticmethod
    def _managing(request) -> access.Actor:
        actor = actor_for_api(request)
        access.require(access.can_manage_meetings(actor), _("Only coordinators change reminder settings."))
        return actor

    @extend_schema(responses={200: ReminderSettingsSerializer}, operation_id="reminder_settings_retrieve")
    def get(self, request):
        actor = self._managing(request)
        return Response(ReminderSettingsSerializer(services.reminder_settings_for(actor.task_force.pk)).data)

    @extend_schema(
        request=ReminderSettingsSerializer,
        responses={200: ReminderSettingsSerializer},
        operation_id="reminder_settings_update",
    )
    def put(self, request):
        actor = self._managing(request)
        data = _parsed(ReminderSettingsSerializer, request.data)
        saved = services.reminder_settings_save(actor=actor, request=request._request, **data)
        return Response(ReminderSettingsSerializer(saved).data)


class CalendarFeedView(APIView):
    """The caller's private calendar feed address: POST makes a new one (the old one stops working) and shows it
    this once; DELETE revokes it. Only a signed-in session makes one: an address made with an API token would
    let a leaked token mint a lasting credential that needs no token at all (as for API tokens)."""

    permission_classes = [IsAuthenticatedAnyTaskForce]

    @extend_schema(request=None, responses={201: CalendarFeedSerializer}, operation_id="calendar_feed_create")
    def post(self, request):
        access.require(
            access.can_create_api_token(request.user, authenticated_by_token=isinstance(request.auth, ApiToken)),
            _("Make a calendar feed address from a signed-in session, not with an API token."),
        )
        url = feed.calendar_feed_create(user=request.user, request=request._request)
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: CalendarFeedRevokedSerializer}, operation_id="calendar_feed_revoke")
    def delete(self, request):
        revoked = feed.calendar_feed_revoke(user=request.user, request=request._request)
        return Response({"revoked": revoked})
