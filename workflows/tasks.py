"""SLA monitor tasks: a cheap global sweep, and per-tenant processing."""
from celery import current_app, shared_task
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from workflows.services import monitor


@shared_task(name="workflows.sla_sweep")
def sla_sweep() -> int:
    """Queue `sla_process` for each tenant whose next deadline has passed (index scan only)."""
    claimed = monitor.deadline_index_claim(timezone.now())
    task = current_app.tasks["workflows.sla_process"]
    for schema_name, version in claimed:
        with schema_context(schema_name):
            task.apply_async(kwargs={"version": version}, headers={"_schema_name": schema_name})
    return len(claimed)


@shared_task(name="workflows.sla_process")
def sla_process(version: int | None = None) -> dict:
    return monitor.sla_process(schema_name=connection.schema_name, version=version)
