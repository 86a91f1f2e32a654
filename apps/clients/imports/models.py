"""One import of a spreadsheet of clients: the stored file, its column mapping, progress and results."""
from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ERRORS_KEPT = 1000


def import_file_path(instance: ClientImport, filename: str) -> str:
    """MEDIA_ROOT/<schema>/imports/<uuid>.<ext>: each company's files in its own folder, under a name
    nobody chose. Nothing serves MEDIA_ROOT; the file is only read back by the import."""
    extension = PurePosixPath(filename).suffix.lower().lstrip(".")
    return f"{connection.schema_name}/imports/{uuid.uuid4().hex}.{extension}"


class ClientImport(models.Model):
    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class DuplicateMode(models.TextChoices):
        SKIP = "skip", _("Skip the row")
        UPDATE = "update", _("Update the existing client")
        CREATE = "create", _("Create another client")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        CHECKING = "checking", _("Checking")
        DRY_RUN_DONE = "dry_run_done", _("Checked")
        RUNNING = "running", _("Running")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(default=timezone.now)
    file = models.FileField(upload_to=import_file_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(max_length=4, choices=Format.choices)
    # How the file is read back: CSV encoding and delimiter found at upload ("" for XLSX).
    encoding = models.CharField(max_length=16, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    header = models.JSONField(default=list)
    # {"<column index>": "<import field>"}; columns not named are ignored.
    mapping = models.JSONField(default=dict)
    duplicate_mode = models.CharField(_("when a client exists"), max_length=6, choices=DuplicateMode.choices, default=DuplicateMode.SKIP)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # [{"row": n, "errors": {field: [messages]}}], the first ERRORS_KEPT rejected rows.
    errors = models.JSONField(default=list)
    # The last dry run's report: would-create/update/skip counts and the rows it would reject. While a
    # check runs in the background: {"task": <its token>}; after a failed one: {"failed": <why>}.
    dry_run = models.JSONField(default=dict, blank=True)
    # Rows a background check has got through (its progress).
    checked_rows = models.PositiveIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def check_percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.checked_rows * 100 // self.total_rows)

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return min(100, self.processed_rows * 100 // self.total_rows)
