"""Celery finds tasks in `<app>/tasks.py`; the client import's live in its own package."""
from apps.clients.imports.tasks import client_import_run_task  # noqa: F401
from apps.clients.exports.tasks import client_export_run_task  # noqa: F401
from apps.clients.attachments.tasks import attachment_orphans_remove_task  # noqa: F401
