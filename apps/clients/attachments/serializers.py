from django.urls import reverse
from rest_framework import serializers

from apps.clients.attachments.models import Attachment
from apps.clients.attachments.services import DESCRIPTION_MAX


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by_name = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id", "client", "original_name", "content_type", "size", "description", "uploaded_by", "uploaded_by_name",
            "uploaded_at", "download_url",
        ]
        read_only_fields = fields

    def get_uploaded_by_name(self, attachment) -> str | None:
        return str(attachment.uploaded_by) if attachment.uploaded_by_id else None

    def get_download_url(self, attachment) -> str:
        """The API path that returns the file itself."""
        return reverse("client-attachment-download-api", args=[attachment.client_id, attachment.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    # Empty files pass here so the service names the rule (code "empty"), as it does for the page.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="PDF, image, office document, text or archive; at most CLIENT_ATTACHMENT_MAX_MB (20 MB by default).",
    )
    description = serializers.CharField(max_length=DESCRIPTION_MAX, required=False, allow_blank=True, default="")
