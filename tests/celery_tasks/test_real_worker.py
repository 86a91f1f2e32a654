"""A real Celery worker (Redis broker) runs a tenant's task in that tenant's schema."""
import socket
import uuid

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from config.celery import app
from tests.celery_tasks.broker import using_broker


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@app.task(name="tests.schema_probe")
def schema_probe(marker: str) -> str:
    from django.core.cache import cache

    cache.set(f"probe:{marker}", connection.schema_name, 60)
    return connection.schema_name


@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=False)
def test_task_queued_in_tenant_a_runs_in_tenant_a_schema(tenant_a, django_db_blocker):
    from celery.contrib.testing.worker import start_worker

    redis = "redis://127.0.0.1:6379/14"
    with using_broker(redis, result_backend=redis), django_db_blocker.unblock():
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            marker = uuid.uuid4().hex
            with schema_context(tenant_a.slug):
                result = schema_probe.apply_async(args=[marker], ignore_result=False)
            assert result.get(timeout=20) == tenant_a.slug
            public_result = schema_probe.apply_async(args=[marker + "p"], ignore_result=False)
            assert public_result.get(timeout=20) == "public"
