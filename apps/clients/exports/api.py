"""Client export API: start an export, follow it, download the file.

Everyone sees their own exports (admins every export of the company); starting one and
downloading need the export right (`can_export_clients`). Another user's export is a 404.
"""
import json

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from apps.clients.exports import services
from apps.clients.exports.serializers import ClientExportSerializer, ClientExportStartSerializer
from apps.clients.exports.views import export_file_response


def segment_resolve(user, segment_id):
    """The segment `user` may use with this id, or a 400 naming `segment`."""
    from apps.clients.selectors import segment_list_visible_to

    if segment_id is None:
        return None
    segment = segment_list_visible_to(user).filter(pk=segment_id).first()
    if segment is None:
        raise ValidationError({"segment": [ErrorDetail(_("Unknown segment."), code="not_found")]})
    return segment


class FileRenderer(renderers.BaseRenderer):
    """Lets a client ask for the file with `Accept: application/octet-stream`; errors stay JSON."""

    media_type = "application/octet-stream"
    format = "file"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, (bytes, str)):
            return data
        return json.dumps(data, ensure_ascii=False).encode()


class ClientExportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ClientExportSerializer
    ordering_fields = ["created_at"]

    def get_queryset(self):
        return services.client_export_list_visible_to(self.request.user)

    @extend_schema(request=ClientExportStartSerializer, responses={201: ClientExportSerializer})
    def create(self, request):
        """Export the clients you may see that match `filters` (or a saved `segment`), narrowed to
        `client_ids` when given, as CSV or XLSX; poll the export until `download_url` is set."""
        data = ClientExportStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = services.client_export_start(
            actor=request.user,
            format=data.validated_data["format"],
            filters=data.validated_data.get("filters"),
            client_ids=data.validated_data.get("client_ids"),
            segment=segment_resolve(request.user, data.validated_data.get("segment")),
        )
        return Response(ClientExportSerializer(export, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, FileRenderer])
    def download(self, request, pk=None):
        """The finished file, as an attachment (audited)."""
        export = self.get_object()
        handle = services.client_export_file_open(export=export, actor=request.user)
        return export_file_response(export, handle)
