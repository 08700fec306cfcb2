"""API: referrals (list, detail, create, the lifecycle moves), their notes and attachments (list, multipart upload,
download).

Thin views over cases/selectors.py, cases/lifecycle.py and cases/notes.py: they parse the input, resolve ids
inside the caller's task force and call the service, which checks the right and the state. Answers: 400 for bad
input, 403 for a missing right, 404 for what the caller cannot see, 409 when the referral's status does not
allow the move. A coordinator outside the referral's two partners reads the metadata shape only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from partners.models import Partner, Service, TaxonomyTerm
from psn import access, audit
from psn.api import IsActiveMember, Pagination, actor_for_api

from . import attachments, lifecycle, notes, selectors
from .models import Attachment, Note, ReasonCode, Referral
from .serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    NoteAnnotateSerializer,
    NoteCreateSerializer,
    NoteEditSerializer,
    NoteSerializer,
    ReasonActionSerializer,
    RecordContactSerializer,
    ReferralCreateSerializer,
    ReferralDetailSerializer,
    ReferralFilterSerializer,
    ReferralListSerializer,
    ReferralMetadataSerializer,
    TransferSerializer,
)
from .views import attachment_response


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = gettext_lazy("The referral's status does not allow this.")
    default_code = "conflict"


def _invalid(field: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [message]})


def _parsed(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _detail_data(referral: Referral) -> dict:
    shape = ReferralDetailSerializer if referral.details_visible else ReferralMetadataSerializer
    return shape(referral).data


FILTER_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, many=True, description="A status (repeatable)."),
    OpenApiParameter("priority", OpenApiTypes.STR, many=True, description="A priority (repeatable)."),
    OpenApiParameter("partner", OpenApiTypes.INT, description="A partner on either side."),
    OpenApiParameter("need", OpenApiTypes.STR, description="A need code (its direct children match too)."),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter("q", OpenApiTypes.STR, description="Reference, or the person's names where you see them."),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=sorted(selectors.ORDERINGS)),
]


class ReferralViewSet(viewsets.GenericViewSet):
    """Referrals the caller sees: their partners' (sent, and received once submitted); every referral of the task
    force for coordinators, as metadata only where they are no party."""

    permission_classes = [IsActiveMember]
    serializer_class = ReferralListSerializer
    pagination_class = Pagination
    queryset = Referral.objects.none()

    # --- Reading -----------------------------------------------------------------------------------------

    @extend_schema(parameters=FILTER_PARAMETERS, responses={200: ReferralListSerializer(many=True)})
    def list(self, request):
        actor = actor_for_api(request)
        params = request.query_params
        data = {key: params.get(key) for key in params if key not in ("status", "priority", "page", "page_size")}
        for key in ("status", "priority"):
            if key in params:
                data[key] = params.getlist(key)
        filters = _parsed(ReferralFilterSerializer, data)
        need_code = filters.pop("need", None)
        if need_code is not None:
            need = TaxonomyTerm.objects.filter(task_force=actor.task_force, code=need_code).first()
            if need is None:
                raise _invalid("need", _("No need with this code in this task force."))
            filters["need"] = need
        rows = selectors.referral_list_for(actor=actor, **filters)
        page = self.paginate_queryset(rows)
        shown = [referral for referral in page if referral.details_visible]  # the rows naming their person
        audit.record_listed(actor=actor, rows=shown, label=_("Referral list"), request=request._request)
        return self.get_paginated_response(ReferralListSerializer(page, many=True).data)

    @extend_schema(responses={200: ReferralDetailSerializer})
    def retrieve(self, request, pk=None):
        actor = actor_for_api(request)
        referral = selectors.referral_get_for(actor=actor, pk=pk)
        selectors.referral_viewed(actor=actor, referral=referral, request=request._request)
        return Response(_detail_data(referral))

    # --- Filing ------------------------------------------------------------------------------------------

    def _sending_partner(self, actor: access.Actor, partner_id: int | None) -> Partner:
        if partner_id is not None:
            partner = access.partners_visible_to(actor).filter(pk=partner_id).first()
            if partner is None:
                raise _invalid("sending_partner", _("No such partner in this task force."))
        else:
            staff_of = [m.partner_id for m in actor.memberships if access.is_referral_staff_of(actor, m.partner_id)]
            if len(staff_of) > 1:
                raise _invalid("sending_partner", _("Say which of your partners sends the referral."))
            partner = Partner.objects.filter(pk=staff_of[0]).first() if staff_of else None
            if partner is None:
                access.require(False, _("Only referral staff and partner admins file referrals."))
        access.require(
            access.can_file_referral_from(actor, partner),
            _("Only the referral staff and admins of %(partner)s can file referrals from it.")
            % {"partner": partner.name},
        )
        return partner

    @extend_schema(request=ReferralCreateSerializer, responses={201: ReferralDetailSerializer})
    def create(self, request):
        actor = actor_for_api(request)
        data = _parsed(ReferralCreateSerializer, request.data)
        sending = self._sending_partner(actor, data.get("sending_partner"))
        # The people this actor may see (as on the filing page): an id alone must not disclose anyone's record.
        person = access.people_fileable_by(actor).filter(pk=data["person"]).first()
        if person is None:
            raise _invalid("person", _("No such person among the people you may refer."))
        receiving = Partner.objects.filter(task_force=actor.task_force, pk=data["receiving_partner"]).first()
        if receiving is None:
            raise _invalid("receiving_partner", _("No such partner in this task force."))
        service = None
        if data.get("service") is not None:
            service = Service.objects.filter(task_force=actor.task_force, pk=data["service"]).first()
            if service is None:
                raise _invalid("service", _("No such service in this task force."))
        codes = list(dict.fromkeys(data["needs"]))
        needs = list(TaxonomyTerm.objects.filter(task_force=actor.task_force, code__in=codes))
        unknown = sorted(set(codes) - {term.code for term in needs})
        if unknown:
            raise _invalid("needs", _("Unknown need codes: %(codes)s.") % {"codes": ", ".join(unknown)})
        referral = lifecycle.referral_create(
            actor=actor,
            person=person,
            sending_partner=sending,
            receiving_partner=receiving,
            needs=needs,
            service=service,
            priority=data["priority"],
            due_date=data.get("due_date"),
            reason=data["reason"],
            request=request._request,
        )
        return Response(_detail_data(selectors.referral_get_for(actor=actor, pk=referral.pk)), status=201)

    # --- Moves -------------------------------------------------------------------------------------------

    def _move(self, request, pk, action_name: str, call) -> Response:
        """Run one lifecycle service; a refusal because of the referral's status is a 409."""
        actor = actor_for_api(request)
        referral = selectors.referral_get_for(actor=actor, pk=pk)
        try:
            call(actor, referral)
        except DjangoValidationError as exc:
            current = Referral.objects.filter(pk=referral.pk).values_list("status", flat=True).first()
            if not hasattr(exc, "error_dict") and lifecycle.rule_for(current, action_name) is None:
                raise Conflict(" ".join(exc.messages)) from exc
            raise
        # The referral moved (a transfer's successor is in ``transferred_to``: the caller may not see it).
        return Response(_detail_data(selectors.referral_get_for(actor=actor, pk=referral.pk)))

    @staticmethod
    def _require_state(referral: Referral, action_name: str) -> None:
        """The service's state check, before the body's ids are resolved: a move the status does not allow is the
        409 whatever the body says (the service checks again under the row lock)."""
        if lifecycle.rule_for(referral.status, action_name) is None:
            raise Conflict(" ".join(lifecycle.state_refusal(referral, action_name).messages))

    def _reason(self, actor: access.Actor, code: str | None, kind: str | None) -> ReasonCode | None:
        if not code or kind is None:
            return None
        reason = ReasonCode.objects.filter(task_force=actor.task_force, kind=kind, code=code, active=True).first()
        if reason is None:
            raise _invalid("reason", _("Choose one of the reasons offered."))
        return reason

    def _reasoned(self, request, pk, action_name: str, service, keyword: str = "reason") -> Response:
        data = _parsed(ReasonActionSerializer, request.data)

        def call(actor, referral):
            rule = lifecycle.rule_for(referral.status, action_name)
            kind = rule.reason_kind if rule else None
            # The right first (the service checks it again under the lock): a 403 says nothing about the codes.
            access.require(
                access.can_act_on_referral(actor, referral, action_name),
                _("Only the referral staff and admins of the %(side)s partner can %(verb)s this referral.")
                % {
                    "side": _(lifecycle.SIDE_LABELS[lifecycle.side_of(action_name)]),
                    "verb": _(lifecycle.ACTION_VERBS[action_name]),
                },
            )
            self._require_state(referral, action_name)
            reason = self._reason(actor, data.get("reason"), kind)
            return service(
                actor=actor,
                referral=referral,
                text=data["text"],
                request=request._request,
                **{keyword: reason},
            )

        return self._move(request, pk, action_name, call)

    def _plain(self, request, pk, action_name: str, service) -> Response:
        return self._move(
            request,
            pk,
            action_name,
            lambda actor, referral: service(actor=actor, referral=referral, request=request._request),
        )

    @extend_schema(request=None, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._plain(request, pk, lifecycle.Action.SUBMIT, lifecycle.referral_submit)

    @extend_schema(request=None, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._plain(request, pk, lifecycle.Action.ACCEPT, lifecycle.referral_accept)

    @extend_schema(request=None, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._plain(request, pk, lifecycle.Action.START, lifecycle.referral_start)

    @extend_schema(request=ReasonActionSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._reasoned(request, pk, lifecycle.Action.DECLINE, lifecycle.referral_decline)

    @extend_schema(request=ReasonActionSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._reasoned(request, pk, lifecycle.Action.COMPLETE, lifecycle.referral_complete, "outcome")

    @extend_schema(request=ReasonActionSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"], url_path="close-unsuccessful")
    def close_unsuccessful(self, request, pk=None):
        return self._reasoned(request, pk, lifecycle.Action.CLOSE_UNSUCCESSFUL, lifecycle.referral_close_unsuccessful)

    @extend_schema(request=ReasonActionSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._reasoned(request, pk, lifecycle.Action.WITHDRAW, lifecycle.referral_withdraw)

    @extend_schema(
        request=TransferSerializer,
        responses={200: ReferralDetailSerializer},
        description="Hands the referral on: the answer is this referral, closed as transferred, with the new one "
        "in ``transferred_to``.",
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        data = _parsed(TransferSerializer, request.data)

        def call(actor, referral):
            access.require(
                access.can_act_on_referral(actor, referral, lifecycle.Action.TRANSFER),
                _("Only the referral staff and admins of the receiving partner can transfer this referral."),
            )
            self._require_state(referral, lifecycle.Action.TRANSFER)
            to_partner = Partner.objects.filter(task_force=actor.task_force, pk=data["to_partner"]).first()
            if to_partner is None:
                raise _invalid("to_partner", _("No such partner in this task force."))
            service = None
            if data.get("service") is not None:
                service = Service.objects.filter(task_force=actor.task_force, pk=data["service"]).first()
                if service is None:
                    raise _invalid("service", _("No such service in this task force."))
            return lifecycle.referral_transfer(
                actor=actor,
                referral=referral,
                to_partner=to_partner,
                service=service,
                text=data["text"],
                request=request._request,
            )

        return self._move(request, pk, lifecycle.Action.TRANSFER, call)

    @extend_schema(request=RecordContactSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"], url_path="record-contact")
    def record_contact(self, request, pk=None):
        data = _parsed(RecordContactSerializer, request.data)
        return self._move(
            request,
            pk,
            lifecycle.Action.RECORD_CONTACT,
            lambda actor, referral: lifecycle.referral_record_contact(
                actor=actor, referral=referral, at=data["at"], request=request._request
            ),
        )

    # --- Notes -------------------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None, responses={200: NoteSerializer(many=True)})
    @extend_schema(methods=["POST"], request=NoteCreateSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def notes(self, request, pk=None):
        actor = actor_for_api(request)
        referral = selectors.referral_get_for(actor=actor, pk=pk)
        if request.method == "POST":
            data = _parsed(NoteCreateSerializer, request.data)
            note = notes.note_add(actor=actor, referral=referral, request=request._request, **data)
            return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)
        access.require(referral.details_visible, _("Only the members of this referral's two partners read its notes."))
        shown = {"notes": len(referral.visible_notes)}
        selectors.referral_viewed(actor=actor, referral=referral, request=request._request, changes=shown)
        return Response(NoteSerializer(referral.visible_notes, many=True).data)

    # --- Attachments -------------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], request=None, responses={200: AttachmentSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
        description="Attach a file (multipart/form-data: ``file``, ``visibility``). PDF, PNG, JPEG, DOCX or plain "
        "text, checked by content, at most PSN_ATTACHMENT_MAX_BYTES; a refusal (400) stores nothing.",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        actor = actor_for_api(request)
        referral = selectors.referral_get_for(actor=actor, pk=pk)
        if request.method == "POST":
            # The right before the body is read: a 403 (audited) says nothing about the upload.
            access.require(
                access.can_add_attachment(actor, referral),
                _("Only the members of this referral's two partners attach files to it."),
            )
            data = _parsed(AttachmentUploadSerializer, request.data)
            attachment = attachments.attachment_add(
                actor=actor,
                referral=referral,
                uploaded_file=data["file"],
                visibility=data["visibility"],
                request=request._request,
            )
            return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        access.require(
            referral.details_visible, _("Only the members of this referral's two partners read its attachments.")
        )
        shown = {"attachments": len(referral.visible_attachments)}
        selectors.referral_viewed(actor=actor, referral=referral, request=request._request, changes=shown)
        return Response(AttachmentSerializer(referral.visible_attachments, many=True).data)


class AttachmentViewSet(viewsets.GenericViewSet):
    """The file of one attachment, for those who may read it (404 for anyone else), audited at each download."""

    permission_classes = [IsActiveMember]
    serializer_class = AttachmentSerializer
    queryset = Attachment.objects.none()
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # The file carries its own type; only the errors are rendered, always as JSON (whatever Accept says).
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
        description="The file, with ``Content-Disposition: attachment``, ``X-Content-Type-Options: nosniff`` and "
        "``Cache-Control: private, no-store``; its real type is in ``Content-Type``.",
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        actor = actor_for_api(request)
        attachment, handle = attachments.attachment_open_for(actor=actor, pk=pk, request=request._request)
        return attachment_response(attachment, handle)


class NoteViewSet(viewsets.GenericViewSet):
    """One note: edited by its author within the edit window, annotated after that (by whoever reads it)."""

    permission_classes = [IsActiveMember]
    serializer_class = NoteSerializer
    queryset = Note.objects.none()

    def _note(self, actor: access.Actor, pk) -> Note:
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise exceptions.NotFound() from None
        note = Note.objects.select_related("referral").filter(task_force=actor.task_force, pk=pk).first()
        if note is None or not access.can_view_note(actor, note):
            raise exceptions.NotFound()
        return note

    def _answer(self, note: Note, code: int = 200) -> Response:
        note = Note.objects.select_related("author", "author_partner").get(pk=note.pk)
        return Response(NoteSerializer(note).data, status=code)

    @extend_schema(request=NoteEditSerializer, responses={200: NoteSerializer})
    def partial_update(self, request, pk=None):
        actor = actor_for_api(request)
        note = self._note(actor, pk)
        data = _parsed(NoteEditSerializer, request.data)
        return self._answer(notes.note_edit(actor=actor, note=note, body=data["body"], request=request._request))

    @extend_schema(request=NoteAnnotateSerializer, responses={201: NoteSerializer})
    @action(detail=True, methods=["post"])
    def annotate(self, request, pk=None):
        actor = actor_for_api(request)
        note = self._note(actor, pk)
        data = _parsed(NoteAnnotateSerializer, request.data)
        annotation = notes.note_annotate(
            actor=actor, note=note, body=data["body"], visibility=data.get("visibility"), request=request._request
        )
        return self._answer(annotation, status.HTTP_201_CREATED)
