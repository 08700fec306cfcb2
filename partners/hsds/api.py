"""API of the HSDS import and export (coordinators): upload an import or a dry run, follow it, confirm a
preview, download the directory."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from partners.models import DirectoryImport
from psn import access
from psn.api import JSONParser, actor_for_api

from . import selectors, services


class DirectoryImportSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None)
    confirmable = serializers.SerializerMethodField()

    class Meta:
        model = DirectoryImport
        fields = [
            "id",
            "original_name",
            "file_format",
            "size",
            "dry_run",
            "status",
            "progress",
            "stage",
            "error",
            "summary",
            "problems",
            "confirmable",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_confirmable(self, obj) -> bool:
        return services.directory_import_confirmable(obj)


class DirectoryImportListSerializer(DirectoryImportSerializer):
    """The list leaves out the report (it can be long): read it from the import itself."""

    class Meta(DirectoryImportSerializer.Meta):
        fields = [name for name in DirectoryImportSerializer.Meta.fields if name not in ("problems", "confirmable")]
        read_only_fields = fields


class DirectoryImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("An HSDS .json file or a .zip CSV package."))
    dry_run = serializers.BooleanField(default=True, help_text=_("Only check the file and report (default)."))


class DirectoryImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """HSDS imports of the task force. ``POST`` a multipart upload (``file``, ``dry_run``, true by default):
    201 when it has already run, 202 while a worker runs it. ``confirm`` imports a successful dry run."""

    serializer_class = DirectoryImportSerializer
    lookup_value_regex = "[0-9]{1,18}"  # anything else is the API's 404, not a ValueError in the query (a 500)
    # Uploads are multipart; JSON still parses so that a JSON body gets a 400 naming the missing file.
    parser_classes = [parsers.MultiPartParser, JSONParser]
    filterset_fields = []
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return DirectoryImportListSerializer if self.action == "list" else DirectoryImportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DirectoryImport.objects.none()
        return selectors.directory_import_list_for(actor=actor_for_api(self.request))

    def retrieve(self, request, pk=None):
        directory_import = selectors.directory_import_get_for(actor=actor_for_api(request), pk=pk)
        return Response(DirectoryImportSerializer(directory_import).data)

    @extend_schema(
        request=DirectoryImportUploadSerializer,
        responses={201: DirectoryImportSerializer, 202: DirectoryImportSerializer},
    )
    def create(self, request):
        # The right before the payload: a member learns nothing from validation errors.
        selectors.require_importer(actor_for_api(request))
        payload = DirectoryImportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        directory_import = services.directory_import_start(
            actor=actor_for_api(request),
            uploaded_file=payload.validated_data["file"],
            dry_run=payload.validated_data["dry_run"],
            request=request._request,
        )
        return Response(DirectoryImportSerializer(directory_import).data, status=_created_or_accepted(directory_import))

    @extend_schema(request=None, responses={201: DirectoryImportSerializer, 202: DirectoryImportSerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        directory_import = services.directory_import_confirm(
            actor=actor_for_api(request), import_id=_id(pk), request=request._request
        )
        return Response(DirectoryImportSerializer(directory_import).data, status=_created_or_accepted(directory_import))


def _id(pk) -> int:
    try:
        value = int(pk)
    except (TypeError, ValueError):
        value = 0
    return value if 0 < value < 2**63 else 0


def _created_or_accepted(directory_import: DirectoryImport) -> int:
    finished = directory_import.status in (services.Status.DONE, services.Status.FAILED)
    return status.HTTP_201_CREATED if finished else status.HTTP_202_ACCEPTED


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "zip"], default="json")


class DirectoryExportView(APIView):
    """The directory of the task force in HSDS 3, as a download: ``?format=json`` (default) or ``zip``."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # ``format`` is ours (the file format), not DRF's renderer override: errors are always JSON.
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "zip"], default="json")],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "application/zip"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        actor = actor_for_api(request)
        access.require(access.can_export_directory(actor), _("Only coordinators can export the directory."))
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        export = services.directory_export(
            actor=actor, file_format=query.validated_data["format"], request=request._request
        )
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        return response
