"""API for pipeline definitions and business calendars. Everyone reads pipelines; Admins change them."""
from django.utils import timezone
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import IsTenantAdmin
from workflows import blueprints
from workflows.models import BusinessCalendar, CalendarException, Pipeline
from workflows.serializers import (
    CalendarExceptionSerializer,
    CalendarSerializer,
    InstallSerializer,
    MigrateSerializer,
    PipelineSerializer,
    VersionSerializer,
)
from workflows.services import calendars, definitions


class AdminWrites(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or IsTenantAdmin().has_permission(request, view)


class PipelineViewSet(viewsets.ReadOnlyModelViewSet):
    """Pipelines with their published stages. Definitions are JSON documents (see export)."""

    serializer_class = PipelineSerializer
    permission_classes = [permissions.IsAuthenticated, AdminWrites]
    filterset_fields = ["kind"]

    def get_queryset(self):
        queryset = Pipeline.objects.all()
        if self.request.query_params.get("archived") not in ("1", "true"):
            queryset = queryset.filter(archived_at__isnull=True)
        return queryset

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: PipelineSerializer})
    def create(self, request):
        """Create a pipeline from a definition document (its draft; add ?publish=1 to publish)."""
        publish = request.query_params.get("publish") in ("1", "true")
        pipeline = definitions.pipeline_create(document=request.data, actor=request.user, publish=publish)
        return Response(PipelineSerializer(pipeline).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        definitions.pipeline_archive(pipeline=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT, methods=["PUT"])
    @extend_schema(responses=OpenApiTypes.OBJECT, methods=["GET"])
    @action(detail=True, methods=["get", "put"])
    def draft(self, request, pk=None):
        pipeline = self.get_object()
        if request.method == "PUT":
            definitions.pipeline_draft_replace(pipeline=pipeline, document=request.data, actor=request.user)
        return Response(definitions.pipeline_export(pipeline, draft=True))

    @extend_schema(request=None, responses=VersionSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        version = definitions.pipeline_publish(pipeline=self.get_object(), actor=request.user)
        return Response(VersionSerializer(version).data)

    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def versions(self, request, pk=None):
        versions = self.get_object().versions.prefetch_related("stages__responsible_role").order_by("-number")
        return Response(VersionSerializer(versions, many=True).data)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        pipeline = self.get_object()
        response = Response(definitions.pipeline_export(pipeline))
        response["Content-Disposition"] = f'attachment; filename="pipeline-{pipeline.pk}-{timezone.now():%Y%m%d}.json"'
        return response

    @extend_schema(request=OpenApiTypes.OBJECT, responses={201: PipelineSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_(self, request):
        """Create a pipeline from an exported document; validated, with errors naming each field."""
        pipeline = definitions.pipeline_create(document=request.data, actor=request.user)
        return Response(PipelineSerializer(pipeline).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def templates(self, request):
        return Response([{"code": code, "name": str(label)} for code, label in blueprints.blueprint_choices()])

    @extend_schema(request=InstallSerializer, responses={201: PipelineSerializer})
    @action(detail=False, methods=["post"])
    def install(self, request):
        data = InstallSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pipeline = definitions.pipeline_install_blueprint(code=data.validated_data["template"], actor=request.user)
        return Response(PipelineSerializer(pipeline).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MigrateSerializer, responses=OpenApiTypes.OBJECT)
    @action(detail=True, methods=["post"])
    def migrate(self, request, pk=None):
        """Move open items to the latest published version; dry_run (the default) only reports."""
        data = MigrateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = definitions.pipeline_migrate_items(pipeline=self.get_object(), actor=request.user, **data.validated_data)
        return Response(report)


class CalendarViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = CalendarSerializer
    permission_classes = [permissions.IsAuthenticated, AdminWrites]
    queryset = BusinessCalendar.objects.all()
    pagination_class = None

    def perform_update(self, serializer):
        serializer.instance = calendars.calendar_update(calendar=serializer.instance, actor=self.request.user, **serializer.validated_data)

    @extend_schema(request=CalendarExceptionSerializer, responses=CalendarExceptionSerializer(many=True), methods=["POST"])
    @extend_schema(responses=CalendarExceptionSerializer(many=True), methods=["GET"])
    @action(detail=True, methods=["get", "post"])
    def exceptions(self, request, pk=None):
        calendar = self.get_object()
        if request.method == "POST":
            data = CalendarExceptionSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            calendars.calendar_exception_set(
                calendar=calendar, day=data.validated_data["date"], hours=data.validated_data["hours"],
                note=data.validated_data.get("note", ""), actor=request.user,
            )
        return Response(CalendarExceptionSerializer(calendar.exceptions.all(), many=True).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"exceptions/(?P<exception_id>\d+)")
    def exception_delete(self, request, pk=None, exception_id=None):
        calendar = self.get_object()
        exception = CalendarException.objects.filter(calendar=calendar, pk=exception_id).first()
        if exception is None:
            from rest_framework.exceptions import NotFound

            raise NotFound()
        calendars.calendar_exception_delete(exception=exception, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
