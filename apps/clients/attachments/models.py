"""Files kept on a client card: scans of passports, contracts, measurements."""
from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def attachment_path(instance: Attachment, filename: str) -> str:
    """MEDIA_ROOT/<schema>/attachments/<uuid>.<ext>: each company's files under its own folder, under a
    name nobody chose. Nothing serves MEDIA_ROOT; files go out only through the checked download view."""
    extension = PurePosixPath(filename).suffix.lower().lstrip(".")[:10]
    name = uuid.uuid4().hex
    return f"{connection.schema_name}/attachments/{name}.{extension}" if extension else f"{connection.schema_name}/attachments/{name}"


class Attachment(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="attachments", verbose_name=_("client"))
    file = models.FileField(upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["client", "-uploaded_at"], name="attachment_client_idx")]

    def __str__(self) -> str:
        return self.original_name
