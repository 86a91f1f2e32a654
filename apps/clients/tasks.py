"""Celery finds tasks in `<app>/tasks.py`; the client import's live in its own package."""
from apps.clients.imports.tasks import client_import_run_task  # noqa: F401
