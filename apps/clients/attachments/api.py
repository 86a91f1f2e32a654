"""Client files API, nested under the card: list, upload (multipart), download, delete.

Every request first resolves the card through client_list_visible_to, so a card the user may not
see (another staff member's, or one that only exists in another company) is a 404.
"""
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.clients.attachments import selectors, services
from apps.clients.attachments.download import attachment_file_response
from apps.clients.attachments.models import Attachment
from apps.clients.attachments.serializers import AttachmentSerializer, AttachmentUploadSerializer
from apps.clients.selectors import client_visible_or_404


class ClientAttachmentListView(GenericAPIView):
    """A client's files, newest first; upload one more."""

    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Attachment.objects.none()
        return selectors.attachment_list_of(client_visible_or_404(self.request.user, self.kwargs["pk"]))

    @extend_schema(responses=AttachmentSerializer(many=True))
    def get(self, request, pk: int):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(AttachmentSerializer(page, many=True).data)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, 400: OpenApiResponse(description="Empty, too large, or a type not accepted (field `file`)"),
                   402: OpenApiResponse(description="plan_limit_reached: the plan's storage is used up")},
    )
    def post(self, request, pk: int):
        """Upload a file (field `file`, optional `description`): PDF, image, office document, text or archive."""
        client = client_visible_or_404(request.user, pk)
        data = AttachmentUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.attachment_add(
            client=client, actor=request.user, upload=data.validated_data["file"], description=data.validated_data["description"],
        )
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class ClientAttachmentDetailView(APIView):
    @extend_schema(request=None, responses={204: None, 403: OpenApiResponse(description="Not the uploader, the card's owner or a manager")})
    def delete(self, request, pk: int, attachment_id: int):
        """Delete a file: managers, the card's owner, or whoever uploaded it."""
        client = client_visible_or_404(request.user, pk)
        attachment = get_object_or_404(selectors.attachment_list_of(client), pk=attachment_id)
        attachment.client = client
        services.attachment_delete(attachment=attachment, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientAttachmentDownloadView(APIView):
    def perform_content_negotiation(self, request, force=False):
        # The file is not rendered by DRF: any Accept (application/pdf, image/*) is fine, and errors stay JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int, attachment_id: int):
        """The file itself, as a download under its original name. Audited."""
        attachment = selectors.attachment_for_download(user=request.user, client_id=pk, attachment_id=attachment_id)
        if attachment is None:
            raise Http404
        return attachment_file_response(attachment=attachment, actor=request.user)
