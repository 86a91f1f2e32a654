"""One export of a client list or segment to CSV or XLSX, built by a Celery task."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def export_file_path(instance: ClientExport, filename: str) -> str:
    """MEDIA_ROOT/<schema>/exports/<uuid>.<ext>; downloaded only through the checked view."""
    return f"{connection.schema_name}/exports/{uuid.uuid4().hex}.{instance.format}"


class ClientExport(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.XLSX)
    # The filter spec (apps.clients.filters) or explicit ids the export was asked for, as given.
    filters = models.JSONField(default=dict, blank=True)
    client_ids = models.JSONField(default=list, blank=True)
    segment = models.ForeignKey("clients.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    row_count = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_file_path, max_length=255, blank=True)
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
