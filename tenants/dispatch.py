"""Queueing tasks after commit, in the tenant that queued them, without ever failing the request.

`enqueue_on_commit(task, ...)` runs the task only if the surrounding transaction commits, carries
the current schema in the task headers, and, when the broker cannot be reached, keeps the
task in the outbox (tenants.OutboxMessage) for beat to redeliver.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery import current_app
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

BROKER_ERRORS = (OperationalError, ConnectionError, OSError)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    schema_name = connection.schema_name
    transaction.on_commit(lambda: enqueue_now(task.name, schema_name, list(args), kwargs))


def enqueue_now(task_name: str, schema_name: str, args: list, kwargs: dict) -> bool:
    """Queue now; on a broker failure keep the task in the outbox. True when it was queued."""
    task = current_app.tasks[task_name]
    try:
        task.apply_async(args=args, kwargs=kwargs, headers={"_schema_name": schema_name})
        return True
    except BROKER_ERRORS as exc:
        logger.warning("broker unreachable, task %s kept in outbox: %s", task_name, type(exc).__name__)
        from tenants.models import OutboxMessage

        with schema_context("public"):
            OutboxMessage.objects.create(
                schema_name=schema_name,
                task_name=task_name,
                args=args,
                kwargs=kwargs,
                last_error=type(exc).__name__,
            )
        return False


def outbox_redeliver(limit: int = 500) -> int:
    """Queue the outbox's due tasks; those that still fail wait longer. Returns how many went out."""
    from tenants.models import OutboxMessage

    sent = 0
    with schema_context("public"), transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at")[:limit]
        )
        for message in due:
            task = current_app.tasks.get(message.task_name)
            if task is None:
                logger.error("outbox message %s names unknown task %s; dropped", message.pk, message.task_name)
                message.delete()
                continue
            try:
                task.apply_async(
                    args=message.args, kwargs=message.kwargs, headers={"_schema_name": message.schema_name}
                )
            except BROKER_ERRORS as exc:
                message.attempts += 1
                message.last_error = type(exc).__name__
                message.next_attempt_at = timezone.now() + timedelta(seconds=min(3600, 30 * 2**message.attempts))
                message.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                break  # the broker is still down; the rest waits for the next sweep
            else:
                message.delete()
                sent += 1
    return sent
