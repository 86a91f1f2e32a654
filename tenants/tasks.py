"""Tenant-aware task plumbing: per-tenant fan-out, the worker heartbeat, outbox redelivery."""
import time

from celery import current_app, shared_task
from django.core.cache import cache
from django_tenants.utils import schema_context

from tenants import dispatch, spares
from tenants.models import Tenant

HEARTBEAT_KEY = "health:worker-heartbeat"


@shared_task(name="tenants.fan_out")
def fan_out(task_name: str) -> int:
    """Queue `task_name` once per live tenant, each carrying its tenant's schema."""
    task = current_app.tasks[task_name]
    schemas = (
        Tenant.objects.exclude(schema_name="public")
        .exclude(status__in=[Tenant.Status.SUSPENDED, Tenant.Status.DELETED])
        .values_list("schema_name", flat=True)
    )
    count = 0
    for schema_name in schemas.iterator():
        with schema_context(schema_name):
            task.apply_async(headers={"_schema_name": schema_name})
        count += 1
    return count


@shared_task(name="tenants.health_heartbeat")
def health_heartbeat() -> float:
    """Proves a worker and beat are alive: /health/ reports the age of this timestamp."""
    now = time.time()
    with schema_context("public"):
        cache.set(HEARTBEAT_KEY, now, timeout=3600)
    return now


@shared_task(name="tenants.outbox_redeliver")
def outbox_redeliver() -> int:
    return dispatch.outbox_redeliver()


@shared_task(name="tenants.spares_refill")
def spares_refill() -> int:
    return spares.spares_refill()
