"""Client import API: upload (multipart), mapping, dry run, start, progress. Managers, Admins and
Owners only; every job of the company is visible to them."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.permissions import is_manager
from apps.clients.imports import services
from apps.clients.custom_fields.selectors import custom_field_list
from apps.clients.imports.mapping import import_fields
from apps.clients.imports.models import ClientImport
from apps.clients.imports.reading import ImportFileInvalid


class IsManager(permissions.BasePermission):
    """Managers, Admins and Owners."""

    def has_permission(self, request, view) -> bool:
        return is_manager(request.user)


class ClientImportSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.email", read_only=True, default=None)
    progress = serializers.IntegerField(source="progress_percent", read_only=True)
    check_progress = serializers.IntegerField(source="check_percent", read_only=True)
    earlier_imports_of_this_file = serializers.SerializerMethodField()

    class Meta:
        model = ClientImport
        fields = [
            "id", "created_by", "created_at", "original_name", "format", "header", "mapping", "duplicate_mode",
            "status", "total_rows", "checked_rows", "check_progress", "processed_rows", "progress", "created_count",
            "updated_count", "skipped_count", "error_count", "errors", "dry_run", "file_sha256",
            "earlier_imports_of_this_file", "started_at", "finished_at",
        ]
        read_only_fields = fields

    def get_earlier_imports_of_this_file(self, job) -> list[int]:
        """Imports of the same file (by SHA-256) run before this one: a warning for a re-run."""
        return list(
            ClientImport.objects.filter(file_sha256=job.file_sha256, pk__lt=job.pk)
            .exclude(status__in=[ClientImport.Status.UPLOADED, ClientImport.Status.DRY_RUN_DONE])
            .order_by("-pk").values_list("pk", flat=True)[:10]
        )


class ClientImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    duplicate_mode = serializers.ChoiceField(choices=ClientImport.DuplicateMode.choices, default=ClientImport.DuplicateMode.SKIP)


class ClientImportMappingSerializer(serializers.Serializer):
    # A client field or "custom:<key>" (see the job's `fields`); the service names any it does not know.
    mapping = serializers.DictField(child=serializers.CharField(max_length=80, allow_blank=True))
    duplicate_mode = serializers.ChoiceField(choices=ClientImport.DuplicateMode.choices, required=False)


_DRY_RUN_REPORT = inline_serializer("ClientImportDryRun", {
    "would_create": serializers.IntegerField(), "would_update": serializers.IntegerField(),
    "would_skip": serializers.IntegerField(), "error_count": serializers.IntegerField(),
    "errors": serializers.ListField(child=serializers.DictField()),
})


class ClientImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ClientImportSerializer
    permission_classes = [permissions.IsAuthenticated, IsManager]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    queryset = ClientImport.objects.select_related("created_by")
    ordering_fields = ["created_at"]

    def _with_fields(self, job, **extra) -> dict:
        return {**ClientImportSerializer(job).data, "fields": {name: str(label) for name, label in import_fields(custom_field_list(active_only=True)).items()}, **extra}

    @extend_schema(request={"multipart/form-data": ClientImportUploadSerializer}, responses={201: ClientImportSerializer})
    def create(self, request):
        """Upload a CSV or XLSX file (at most 20 MB, the first row naming the columns): the job, the
        guessed mapping, the header and the first 5 rows."""
        data = ClientImportUploadSerializer(data=request.data)
        if not data.is_valid():
            if "file" in data.errors:
                raise ImportFileInvalid(_("Choose a CSV or XLSX file to upload."))
            data.is_valid(raise_exception=True)
        job = services.client_import_upload(
            actor=request.user, uploaded_file=data.validated_data["file"], duplicate_mode=data.validated_data["duplicate_mode"]
        )
        body = self._with_fields(job, preview=services.client_import_preview(job=job))
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=ClientImportMappingSerializer, responses=ClientImportSerializer)
    def partial_update(self, request, pk=None):
        """Set the mapping ({"<column index>": field}) and, optionally, what to do with duplicates."""
        job = self.get_object()
        data = ClientImportMappingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.client_import_set_mapping(
            job=job, actor=request.user, mapping=data.validated_data["mapping"],
            duplicate_mode=data.validated_data.get("duplicate_mode"),
        )
        return Response(self._with_fields(job))

    @extend_schema(methods=["POST"], request=None, responses={200: _DRY_RUN_REPORT, 202: ClientImportSerializer})
    @extend_schema(methods=["GET"], responses={200: _DRY_RUN_REPORT, 202: ClientImportSerializer})
    @action(detail=True, methods=["get", "post"], url_path="dry-run")
    def dry_run(self, request, pk=None):
        """POST: check every row without writing: the counts and each row that would be rejected, and
        why (200). A file of more than 2,000 rows or 1 MB is checked in the background: 202 with the
        job, status "checking" and `checked_rows` as progress. GET: the last report (200), the job
        while the check runs (202), or 409 when the file has not been checked."""
        job = self.get_object()
        if request.method == "POST":
            job = services.client_import_check(job=job, actor=request.user)
        if job.status == ClientImport.Status.CHECKING:
            return Response(ClientImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        if "checked_at" not in job.dry_run or "failed" in job.dry_run:
            raise services.ImportStateInvalid(job.dry_run.get("failed") or _("This file has not been checked yet."))
        return Response(job.dry_run)

    @extend_schema(request=None, responses={202: ClientImportSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start the import in the background; poll the job for its progress."""
        job = services.client_import_start(job=self.get_object(), actor=request.user)
        return Response(ClientImportSerializer(job).data, status=status.HTTP_202_ACCEPTED)
