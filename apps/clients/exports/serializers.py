"""Client export API: what is asked for, and what an export looks like."""
from django.urls import reverse
from rest_framework import serializers

from apps.clients.exports.models import ClientExport
from apps.clients.exports.services import MAX_CLIENT_IDS


class ClientExportStartSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ClientExport.Format.choices, default=ClientExport.Format.XLSX)
    # A filter spec (apps.clients.filters), checked key by key by the service ("filters.<key>").
    filters = serializers.JSONField(required=False, allow_null=True)
    client_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=False,
                                       max_length=MAX_CLIENT_IDS, required=False)
    segment = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class ClientExportSerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.email", read_only=True, default=None)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    client_count = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ClientExport
        fields = [
            "id", "created_by", "created_at", "format", "filters", "client_count", "segment", "status",
            "status_display", "row_count", "error", "finished_at", "download_url",
        ]
        read_only_fields = fields

    def get_client_count(self, export) -> int:
        """How many explicit ids the export was narrowed to (0: none, the filters alone)."""
        return len(export.client_ids or [])

    def get_download_url(self, export) -> str | None:
        """The file's address once the export is done."""
        if export.status != ClientExport.Status.DONE:
            return None
        path = reverse("client-export-download", kwargs={"pk": export.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path
